import { eachTool, isObject, type RuleContext } from './context.js';

const CREDENTIAL_PREFIX = /^(tengine_|tng_mst_|tng_cs_)[A-Za-z0-9_-]{16,}/;

/** True when a string has the shape of a compact JWE whose header names a key-management and content algorithm. */
export function looksLikeJwe(value: string): boolean {
  const parts = value.split('.');
  if (parts.length !== 5 || parts.some((p, i) => !/^[A-Za-z0-9_-]*$/.test(p) || (p === '' && i !== 1))) return false;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    return typeof header.alg === 'string' && typeof header.enc === 'string';
  } catch {
    return false;
  }
}

/** Outbound secrets are present when needed, never plaintext; no credential appears anywhere in clear. */
export function checkSecrets(ctx: RuleContext): void {
  for (const { tool, pointer } of eachTool(ctx)) {
    const strategy = tool.auth_strategy ?? 'none';
    const hasEncrypted = typeof tool.encrypted_auth_secret === 'string';
    const hasEnv = typeof tool.auth_secret_env === 'string';
    if (hasEncrypted && !looksLikeJwe(tool.encrypted_auth_secret as string)) {
      ctx.report('TNG214', 'encrypted_auth_secret is not an encrypted value (a compact JWE); it looks like a plaintext secret', `${pointer}/encrypted_auth_secret`, {
        hint: 'rotate this secret, then paste the output of `tengine secret encrypt --key runtime-keys.pub.json`',
      });
    }
    if (hasEncrypted && hasEnv) {
      ctx.report('TNG219', 'both encrypted_auth_secret and auth_secret_env are set', `${pointer}/auth_secret_env`, { key: true });
    }
    if (strategy !== 'none' && !hasEncrypted && !hasEnv) {
      ctx.report('TNG208', `auth_strategy "${strategy}" needs a secret`, `${pointer}/auth_strategy`);
    }
    if (strategy === 'none' && (hasEncrypted || hasEnv)) {
      ctx.report('TNG220', 'a secret is set but auth_strategy is none, so it is never used', `${pointer}/${hasEncrypted ? 'encrypted_auth_secret' : 'auth_secret_env'}`, { key: true });
    }
  }
  scanForCredentials(ctx, ctx.config, '', 0);
}

/** Any string anywhere that is a Tengine credential is a leaked secret (hash fields are checked by the schema). */
function scanForCredentials(ctx: RuleContext, v: unknown, pointer: string, depth: number): void {
  if (depth > 40) return;
  if (typeof v === 'string') {
    if (CREDENTIAL_PREFIX.test(v) && ctx.isClean(pointer)) {
      ctx.report('TNG214', 'a Tengine credential is written in plaintext', pointer, { hint: 'revoke it, then store only its SHA-256 (tengine keys prints the YAML to paste)' });
    }
  } else if (Array.isArray(v)) {
    v.forEach((x, i) => scanForCredentials(ctx, x, `${pointer}/${i}`, depth + 1));
  } else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) scanForCredentials(ctx, x, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, depth + 1);
  }
}
