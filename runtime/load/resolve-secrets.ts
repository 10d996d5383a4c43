import type { BundlePayload, Tool } from '../../schemas/config-types.js';
import { RuntimeBootError } from '../boot-types.js';
import { decryptSecret, RuntimeKeyError, type RuntimeKeySet } from '../keys/runtime-keys.js';
import { BOOT_EXIT } from './boot-exit-codes.js';

/**
 * Decrypts (or reads from the environment) every upstream secret once, at boot: a bundle whose secrets cannot be
 * resolved does not start, so a bad deploy fails its health check instead of failing calls one by one.
 */
export async function resolveSecrets(
  payload: BundlePayload,
  keySet: RuntimeKeySet | undefined,
  env: Record<string, string | undefined>,
): Promise<Map<Tool, string>> {
  const secrets = new Map<Tool, string>();
  for (const project of payload.config.projects ?? []) {
    for (const tool of project.tools ?? []) {
      if ((tool.auth_strategy ?? 'none') === 'none') continue;
      const where = `tool "${tool.name}" of project "${project.id}"`;
      if (tool.encrypted_auth_secret) {
        if (!keySet) {
          throw new RuntimeBootError('RUNTIME_KEYS_REQUIRED', `${where} has an encrypted secret but no runtime key set was given`, BOOT_EXIT.RUNTIME_KEYS_REQUIRED, 'pass --runtime-keys runtime-keys.json (or TENGINE_RUNTIME_KEYS)');
        }
        try {
          secrets.set(tool, await decryptSecret(tool.encrypted_auth_secret, keySet));
        } catch (e) {
          const code = e instanceof RuntimeKeyError ? e.code : 'SECRET_DECRYPT_FAILED';
          throw new RuntimeBootError(code, `Failed to decrypt auth secret of ${where}`, BOOT_EXIT.SECRET_DECRYPT_FAILED, 're-encrypt the secret with `tengine secret encrypt` against this runtime key set, then rebuild');
        }
      } else if (tool.auth_secret_env) {
        const value = env[tool.auth_secret_env];
        if (value === undefined || value === '') {
          throw new RuntimeBootError('SECRET_ENV_MISSING', `${where} reads its secret from ${tool.auth_secret_env}, which is not set`, BOOT_EXIT.SECRET_ENV_MISSING, `set ${tool.auth_secret_env} in the runtime's environment`);
        }
        secrets.set(tool, value);
      }
    }
  }
  return secrets;
}
