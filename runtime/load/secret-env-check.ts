import type { TengineConfig } from '../../schemas/config-types.js';
import { reservedEnvName } from '../../schemas/reserved-env.js';
import { RuntimeBootError } from '../boot-types.js';
import { BOOT_EXIT } from './boot-exit-codes.js';

/**
 * Refuses a bundle in which a tool reads its upstream secret from a variable that belongs to Tengine, the CI
 * system or the host (schemas/reserved-env.ts: TENGINE_ADMIN_TOKEN, REDIS_URL, AWS_SECRET_ACCESS_KEY, ...). The
 * runtime would send that value to the tool's upstream as its bearer token or HMAC key, so whoever runs the API (or
 * edits the config) would receive the runtime's own credentials. `tengine validate` reports the same as TNG228;
 * this guards bundles built without it. It runs right after the signature, before any variable is read and before
 * the port opens, and names the tools and variables, never a value.
 */
export function checkSecretEnvNames(config: TengineConfig): void {
  const found: string[] = [];
  let first: string | undefined;
  for (const project of config.projects ?? []) {
    for (const tool of project.tools ?? []) {
      // Whatever the auth_strategy: the name alone is the mistake, and a later change of strategy would send it.
      const name = tool.auth_secret_env;
      const why = name === undefined ? undefined : reservedEnvName(name);
      if (!why) continue;
      first ??= why;
      found.push(`tool "${tool.name}" of project "${project.id}" (auth_secret_env: ${name})`);
    }
  }
  if (found.length === 0) return;
  const shown = found.length > 5 ? [...found.slice(0, 5), `${found.length - 5} more`] : found;
  throw new RuntimeBootError(
    'SECRET_ENV_FORBIDDEN',
    `${shown.join(', ')} would send a variable of the runtime's own environment upstream: ${first}`,
    BOOT_EXIT.SECRET_ENV_FORBIDDEN,
    "give each tool's upstream secret a variable of its own (e.g. CRM_API_TOKEN), set it on the runtime hosts, and rebuild (tengine validate reports this as TNG228)",
  );
}
