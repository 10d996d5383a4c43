// Environment variables that belong to Tengine itself, to a CI system, or to the host and platform a process runs
// on. A config may never make one of them travel: `auth_secret_env` would send it to a tool's upstream (the runtime
// reads it at boot), and `${env:}` would compile it into the bundle. The CLI refuses them at validate (TNG228) and
// the runtime refuses a bundle that names one (SECRET_ENV_FORBIDDEN), from this one list. docs/config.md §2.1 and
// §5.1 give the same list; keep them in step.
//
// It is a list of well-known names, not of everything a host may hold: the rule that makes it sufficient is that a
// tool's upstream secret gets a variable of its own (CRM_HMAC_SECRET), set for that purpose only.

/** One reserved family: a name prefix (`AWS_`) or an exact name (`REDIS_URL`), upper case, and who owns it. */
interface Reserved {
  /** `prefix` matches every name that starts with it; `name` only itself. Both compared in upper case. */
  match: { prefix: string } | { name: string };
  /** Completes "NAME is …": "one of Tengine's own settings (TENGINE_*), secrets among them". */
  owner: string;
}

const TENGINE = "one of Tengine's own settings (TENGINE_*), secrets among them";
const AZURE = "an Azure credential of the host (read by Azure's SDKs)";
const GOOGLE = "a Google Cloud credential of the host (read by Google's SDKs)";
const PROXY = "the host's proxy setting, which may carry a password";
const MANAGED_IDENTITY = "the host's Azure managed-identity endpoint or secret";

/** The reserved names, in the order docs/config.md §2.1 lists them. */
export const RESERVED_ENV: readonly Reserved[] = [
  // Tengine's own settings: the runtime's admin token, Redis URL and keys, and the CLI's bundle-signing key.
  { match: { prefix: 'TENGINE_' }, owner: TENGINE },
  { match: { name: 'REDIS_URL' }, owner: "read by the Tengine runtime as its store's URL, password included" },
  // Set by CI systems for each job: tokens that act on the repository, the registry, the cloud account.
  { match: { prefix: 'GITHUB_' }, owner: 'set by GitHub Actions (GITHUB_*)' },
  { match: { prefix: 'ACTIONS_' }, owner: 'set by GitHub Actions (ACTIONS_*)' },
  { match: { prefix: 'RUNNER_' }, owner: 'set by the CI runner (RUNNER_*)' },
  { match: { prefix: 'CI_' }, owner: 'set by GitLab CI (CI_*)' },
  { match: { prefix: 'GITLAB_' }, owner: 'set by GitLab CI (GITLAB_*)' },
  { match: { prefix: 'BUILDKITE_' }, owner: 'set by Buildkite (BUILDKITE_*)' },
  { match: { prefix: 'CIRCLE_' }, owner: 'set by CircleCI (CIRCLE_*)' },
  { match: { prefix: 'BITBUCKET_' }, owner: 'set by Bitbucket Pipelines (BITBUCKET_*)' },
  { match: { prefix: 'JENKINS_' }, owner: 'set by Jenkins (JENKINS_*)' },
  { match: { prefix: 'TRAVIS_' }, owner: 'set by Travis CI (TRAVIS_*)' },
  { match: { prefix: 'DRONE_' }, owner: 'set by Drone CI (DRONE_*)' },
  { match: { prefix: 'TEAMCITY_' }, owner: 'set by TeamCity (TEAMCITY_*)' },
  { match: { prefix: 'CODEBUILD_' }, owner: 'set by AWS CodeBuild (CODEBUILD_*)' },
  { match: { name: 'SYSTEM_ACCESSTOKEN' }, owner: "Azure Pipelines' job token" },
  // The host's and the platform's credentials, which the SDKs of the process read implicitly.
  { match: { prefix: 'AWS_' }, owner: "an AWS setting of the host (AWS_*), its credentials among them" },
  { match: { prefix: 'ARM_' }, owner: 'an Azure Resource Manager setting of the host (ARM_*), its client secret among them' },
  ...['AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_CLIENT_CERTIFICATE_PASSWORD', 'AZURE_PASSWORD', 'AZURE_FEDERATED_TOKEN_FILE', 'AZURE_STORAGE_KEY', 'AZURE_STORAGE_CONNECTION_STRING', 'AZURE_STORAGE_SAS_TOKEN'].map(
    (name) => ({ match: { name }, owner: AZURE }),
  ),
  ...['IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'MSI_ENDPOINT', 'MSI_SECRET'].map((name) => ({ match: { name }, owner: MANAGED_IDENTITY })),
  ...['GOOGLE_APPLICATION_CREDENTIALS', 'GOOGLE_OAUTH_ACCESS_TOKEN', 'GOOGLE_CREDENTIALS', 'GCE_METADATA_HOST'].map((name) => ({ match: { name }, owner: GOOGLE })),
  { match: { prefix: 'CLOUDSDK_' }, owner: 'a Google Cloud SDK setting of the host (CLOUDSDK_*), its access token among them' },
  { match: { prefix: 'KUBERNETES_' }, owner: 'set by Kubernetes for the pod (KUBERNETES_*)' },
  { match: { name: 'KUBECONFIG' }, owner: "the host's Kubernetes credentials" },
  { match: { name: 'VAULT_TOKEN' }, owner: "the host's HashiCorp Vault token" },
  { match: { name: 'DOCKER_AUTH_CONFIG' }, owner: "the host's Docker registry credentials" },
  ...['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY'].map((name) => ({ match: { name }, owner: PROXY })),
  // Settings of the Node.js process itself: NODE_AUTH_TOKEN (npm's registry token, set by actions/setup-node),
  // NODE_OPTIONS, NODE_EXTRA_CA_CERTS; and npm's own (npm_config_*, what `npm start` passes down, tokens included).
  { match: { prefix: 'NODE_' }, owner: 'a setting of the Node.js process (NODE_*), NODE_AUTH_TOKEN among them' },
  { match: { prefix: 'NPM_' }, owner: "one of npm's settings or tokens (npm_*)" },
];

/**
 * Why a config may never name `name` (an `auth_secret_env`, an `env_allowlist` entry, a `${env:}` reference):
 * "AWS_SECRET_ACCESS_KEY is an AWS setting of the host (AWS_*), its credentials among them". Undefined when the
 * name is none of the reserved ones. Compared without regard to case: `http_proxy` is read as often as
 * `HTTP_PROXY`, and a name that differs from a reserved one only by case is a mistake or a trick.
 */
export function reservedEnvName(name: string): string | undefined {
  const upper = name.toUpperCase();
  for (const r of RESERVED_ENV) {
    if ('prefix' in r.match ? upper.startsWith(r.match.prefix) : upper === r.match.name) return `${name} is ${r.owner}`;
  }
  return undefined;
}
