import { createHash } from 'node:crypto';
import type { TengineConfig } from './config-types.js';

/** Marks a secret that was replaced by a fingerprint: equal secrets still compare equal, nothing is revealed. */
export const REDACTED_PREFIX = 'redacted:sha256:';

/**
 * A copy of a resolved config safe to show outside the deployment: each `encrypted_auth_secret` is replaced by
 * `redacted:sha256:<hex>` of its JWE (so `tengine plan` can still tell a changed secret from an unchanged one).
 * API-key and client-secret hashes and public keys are not secrets and stay. Both the runtime's admin endpoint
 * and `tengine plan` apply this, so a local config and a served one compare field by field.
 */
export function redactConfig(config: TengineConfig): TengineConfig {
  const copy = structuredClone(config);
  for (const project of copy.projects ?? []) {
    for (const tool of project.tools ?? []) {
      if (typeof tool.encrypted_auth_secret === 'string' && !tool.encrypted_auth_secret.startsWith(REDACTED_PREFIX)) {
        tool.encrypted_auth_secret = REDACTED_PREFIX + createHash('sha256').update(tool.encrypted_auth_secret).digest('hex');
      }
    }
  }
  return copy;
}
