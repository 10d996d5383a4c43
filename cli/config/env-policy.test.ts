import { describe, expect, it } from 'vitest';
import { readEnvAllowlist, refusedEnvName } from './env-policy.js';

describe('refusedEnvName: what ${env:} may never read (docs/config.md §2.1)', () => {
  it.each([
    // Tengine's own settings: the bundle-signing key of the issue, the runtime keys, the admin token.
    'TENGINE_BUNDLE_SIGNING_KEY', 'TENGINE_RUNTIME_KEYS', 'TENGINE_ADMIN_TOKEN', 'TENGINE_REDIS_URL', 'TENGINE_PUBLIC_URL', 'tengine_anything', 'REDIS_URL',
    // What CI systems set for a job.
    'GITHUB_TOKEN', 'GITHUB_SHA', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN', 'ACTIONS_RUNTIME_TOKEN', 'RUNNER_TEMP', 'CI_JOB_TOKEN', 'CI_REGISTRY_PASSWORD',
    'CI_DEPLOY_TOKEN', 'GITLAB_TOKEN', 'BUILDKITE_AGENT_ACCESS_TOKEN', 'CIRCLE_TOKEN', 'BITBUCKET_STEP_OIDC_TOKEN',
    // Names that say they hold a secret.
    'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ACCESS_KEY_ID', 'DB_PASSWORD', 'SMTP_PASSWD', 'GPG_PASSPHRASE', 'SSH_PRIVATE_KEY',
    'GOOGLE_APPLICATION_CREDENTIALS', 'STRIPE_API_KEY', 'STRIPE_APIKEY', 'STRIPE_KEY', 'SIGNING_KEYS', 'GH_PAT', 'MyServiceToken', 'client_secret',
    'SESSION_COOKIE', 'SENTRY_DSN', 'NPM_CREDS',
    // The host's and platform's settings (schemas/reserved-env.ts), which auth_secret_env may not name either.
    'AWS_REGION', 'KUBERNETES_SERVICE_HOST', 'HTTPS_PROXY', 'NODE_OPTIONS',
  ])('%s is refused', (name) => {
    expect(refusedEnvName(name)).toEqual(expect.stringContaining(name));
  });

  it.each(['CRM_API_ORIGIN', 'CRM_BILLING_ORIGIN', 'ANALYTICS_UPSTREAM', 'DEMO_UPSTREAM', 'REGION', 'CI', 'KEYCLOAK_URL', 'MONKEY_MODE', 'AUTH_SERVER_ORIGIN', 'TENANT'])(
    '%s may be listed',
    (name) => {
      expect(refusedEnvName(name)).toBeUndefined();
    },
  );
});

describe('readEnvAllowlist', () => {
  it('allows the listed names, reports refused entries by index, and ignores what is not a name (the schema reports it)', () => {
    const r = readEnvAllowlist({ env_allowlist: ['REGION', 'GITHUB_TOKEN', '${env:X}', 7, 'TENANT'] });
    expect([...r.allowed]).toEqual(['REGION', 'TENANT']);
    expect(r.refused.map((x) => x.index)).toEqual([1]);
  });

  it('allows nothing when the list is missing or not a list', () => {
    expect(readEnvAllowlist({}).allowed.size).toBe(0);
    expect(readEnvAllowlist({ env_allowlist: 'REGION' }).allowed.size).toBe(0);
  });
});
