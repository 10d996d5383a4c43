import { escapePointer } from '../source-map.js';
import { eachTool, isObject, type RuleContext } from './context.js';

// A credential anywhere in a string ("Bearer tengine_…", "key=tng_cs_…"), where its prefix starts a word.
const CREDENTIAL = /(?<![A-Za-z0-9_-])(?:tengine_|tng_mst_|tng_cs_)[A-Za-z0-9_-]{16,}/;

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
    const clean = (field: string) => ctx.isClean(`${pointer}/${field}`);
    // Presence decides the combinations (a secret of the wrong type is still a secret that is set); each rule
    // that depends on a value needs that value to be one the schema accepted.
    const hasEncrypted = tool.encrypted_auth_secret !== undefined;
    const hasEnv = tool.auth_secret_env !== undefined;
    const strategy = clean('auth_strategy') && (tool.auth_strategy === undefined || typeof tool.auth_strategy === 'string') ? (tool.auth_strategy ?? 'none') : undefined;
    if (typeof tool.encrypted_auth_secret === 'string' && clean('encrypted_auth_secret') && !looksLikeJwe(tool.encrypted_auth_secret)) {
      ctx.report('TNG214', 'encrypted_auth_secret is not an encrypted value (a compact JWE); it looks like a plaintext secret', `${pointer}/encrypted_auth_secret`, {
        hint: 'rotate this secret, then paste the output of `tengine secret encrypt --key runtime-keys.pub.json`',
      });
    }
    if (hasEncrypted && hasEnv) {
      ctx.report('TNG219', 'both encrypted_auth_secret and auth_secret_env are set', `${pointer}/auth_secret_env`, { key: true });
    }
    if (strategy !== undefined && strategy !== 'none' && !hasEncrypted && !hasEnv) {
      ctx.report('TNG208', `auth_strategy "${strategy}" needs a secret`, `${pointer}/auth_strategy`);
    }
    if (strategy === 'none' && (hasEncrypted || hasEnv)) {
      ctx.report('TNG220', 'a secret is set but auth_strategy is none, so it is never used', `${pointer}/${hasEncrypted ? 'encrypted_auth_secret' : 'auth_secret_env'}`, { key: true });
    }
  }
  scanForCredentials(ctx, ctx.config, []);
}

/**
 * Any string anywhere that holds a Tengine credential is a leaked secret (hash fields are checked by the schema).
 * The parser bounds how deep the data nests (yaml-limits.ts), so this walk reaches every string. The pointer is
 * built only for a match: the walk visits every value of the config, so it carries the path as a list instead.
 */
function scanForCredentials(ctx: RuleContext, v: unknown, path: (string | number)[]): void {
  if (typeof v === 'string') {
    // The substring tests skip the regex for almost every string of a large config.
    if ((v.includes('tengine_') || v.includes('tng_')) && CREDENTIAL.test(v)) {
      const pointer = path.map((t) => `/${escapePointer(t)}`).join('');
      if (ctx.isClean(pointer)) {
        ctx.report('TNG214', 'a Tengine credential is written in plaintext', pointer, { hint: 'revoke it, then store only its SHA-256 (tengine keys prints the YAML to paste)' });
      }
    }
  } else if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      scanForCredentials(ctx, v[i], path);
      path.pop();
    }
  } else if (isObject(v)) {
    for (const k of Object.keys(v)) {
      path.push(k);
      scanForCredentials(ctx, v[k], path);
      path.pop();
    }
  }
}
