import { describe, expect, it } from 'vitest';
import { reservedEnvName } from './reserved-env.js';

describe('reservedEnvName: variables no config may name (docs/config.md §2.1, §5.1)', () => {
  it.each([
    // What the runtime itself reads (issue 8 re-run, F4: its admin token went upstream as a bearer token).
    'TENGINE_ADMIN_TOKEN', 'TENGINE_REDIS_URL', 'TENGINE_RUNTIME_KEYS', 'TENGINE_BUNDLE_SIGNING_KEY', 'REDIS_URL', 'redis_url',
    // CI runners.
    'GITHUB_TOKEN', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN', 'RUNNER_TEMP', 'CI_JOB_TOKEN', 'GITLAB_TOKEN', 'BUILDKITE_AGENT_ACCESS_TOKEN', 'CIRCLE_TOKEN',
    'BITBUCKET_STEP_OIDC_TOKEN', 'JENKINS_URL', 'TRAVIS_TOKEN', 'DRONE_TOKEN', 'TEAMCITY_VERSION', 'CODEBUILD_BUILD_ID', 'SYSTEM_ACCESSTOKEN',
    // The host's and platform's credentials.
    'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ACCESS_KEY_ID', 'AWS_CONTAINER_AUTHORIZATION_TOKEN', 'AWS_WEB_IDENTITY_TOKEN_FILE',
    'ARM_CLIENT_SECRET', 'AZURE_CLIENT_SECRET', 'AZURE_STORAGE_CONNECTION_STRING', 'IDENTITY_HEADER', 'MSI_SECRET',
    'GOOGLE_APPLICATION_CREDENTIALS', 'GOOGLE_OAUTH_ACCESS_TOKEN', 'CLOUDSDK_AUTH_ACCESS_TOKEN', 'KUBERNETES_SERVICE_HOST', 'KUBECONFIG',
    'VAULT_TOKEN', 'DOCKER_AUTH_CONFIG', 'HTTPS_PROXY', 'http_proxy', 'ALL_PROXY',
    // Settings of the process.
    'NODE_OPTIONS', 'NODE_AUTH_TOKEN', 'NODE_EXTRA_CA_CERTS', 'NPM_TOKEN', 'npm_config__authToken',
  ])('%s is reserved, and the reason names it', (name) => {
    expect(reservedEnvName(name)).toEqual(expect.stringMatching(new RegExp(`^${name} is \\S`)));
  });

  it.each(['CRM_HMAC_SECRET', 'CRM_API_TOKEN', 'SHOP_API_SECRET', 'UPSTREAM_BEARER_TOKEN', 'STRIPE_API_KEY', 'SECRET', 'TOKEN', 'CI', 'REDIS_URL_OF_CRM', 'MY_REDIS_URL', 'AZURE_OPENAI_API_KEY', 'REGION', 'NODEJS_APP_TOKEN'])(
    '%s is a name a tool secret may use',
    (name) => {
      expect(reservedEnvName(name)).toBeUndefined();
    },
  );
});
