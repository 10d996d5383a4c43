import { reservedEnvName } from '../../../schemas/reserved-env.js';
import { findCredential, TENGINE_CREDENTIAL } from '../credential-shapes.js';
import { escapePointer } from '../source-map.js';
import { eachTool, isObject, type RuleContext } from './context.js';
import { isLiteralCredentialHeader, isLiteralCredentialQuery } from './template-rules.js';

/**
 * Fields that hold identifiers, digests or public keys: random-looking values are expected there, so only the
 * documented credential shapes are looked for (a kid may be a key thumbprint, a client_id a random id).
 */
const IDENTIFIER_FIELDS: ReadonlySet<string> = new Set(['kid', 'client_id', 'sha256', 'client_secret_sha256', 'public_key', 'auth_secret_env', 'id']);

const TENGINE_HINT = 'revoke it, then store only its SHA-256 (tengine keys prints the YAML to paste)';
const SECRET_HINT = 'revoke or rotate it, then keep it out of the config: upstream credentials go in encrypted_auth_secret (tengine secret encrypt) or auth_secret_env, and a value the model supplies is a declared argument';

/** A variable name to suggest for a tool's own upstream secret: `CRM_SEARCH_SECRET` for tool `crm.search`. */
function upstreamSecretName(toolName: unknown): string {
  const base = typeof toolName === 'string' ? toolName.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 48) : '';
  return /^[A-Z]/.test(base) ? `${base}_SECRET` : 'UPSTREAM_API_SECRET';
}

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
    // The runtime reads auth_secret_env at boot and sends its value upstream: a variable of Tengine, the CI system
    // or the host (TENGINE_ADMIN_TOKEN, AWS_SECRET_ACCESS_KEY) would go to whoever runs the tool's API. The runtime
    // refuses such a bundle too (SECRET_ENV_FORBIDDEN); this says so before it is built.
    const reserved = typeof tool.auth_secret_env === 'string' && clean('auth_secret_env') ? reservedEnvName(tool.auth_secret_env) : undefined;
    if (reserved) {
      ctx.report('TNG228', `auth_secret_env is refused: ${reserved}; the runtime would send its value to this tool's upstream`, `${pointer}/auth_secret_env`, {
        hint: `give the upstream secret a variable of its own (e.g. ${upstreamSecretName(tool.name)}) and set it on the runtime hosts`,
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
 * Any string anywhere that looks like a credential (credential-shapes.ts) is a leaked secret: the config is in git
 * and the bundle carries it in clear. Mapping keys are checked too (a body_template key is sent upstream). Values
 * that another rule already reports as TNG214 are skipped, so one leak is one diagnostic: encrypted_auth_secret
 * (must be a JWE), a literal credential header or query parameter, and a base_url with user-info.
 *
 * The parser bounds how deep the data nests (yaml-limits.ts), so this walk reaches every string. The pointer is
 * built only for a match: the walk visits every value of the config, so it carries the path as a list instead.
 */
function scanForCredentials(ctx: RuleContext, v: unknown, path: (string | number)[]): void {
  if (typeof v === 'string') {
    const kind = findCredential(v, !IDENTIFIER_FIELDS.has(String(path[path.length - 1])));
    if (kind && !reportedElsewhere(path, v)) reportCredential(ctx, path, kind, false);
  } else if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      scanForCredentials(ctx, v[i], path);
      path.pop();
    }
  } else if (isObject(v)) {
    for (const k of Object.keys(v)) {
      path.push(k);
      const kind = findCredential(k);
      if (kind) reportCredential(ctx, path, kind, true);
      scanForCredentials(ctx, v[k], path);
      path.pop();
    }
  }
}

function reportCredential(ctx: RuleContext, path: (string | number)[], kind: string, key: boolean): void {
  const pointer = path.map((t) => `/${escapePointer(t)}`).join('');
  if (!ctx.isClean(pointer)) return;
  ctx.report('TNG214', `${kind} is written in plaintext${key ? ' (as a key)' : ''}`, pointer, { key, hint: kind === TENGINE_CREDENTIAL ? TENGINE_HINT : SECRET_HINT });
}

/** A tool field whose credential another rule reports (see scanForCredentials). */
function reportedElsewhere(path: (string | number)[], value: string): boolean {
  if (path.length < 5 || path[0] !== 'projects' || path[2] !== 'tools') return false;
  const field = path[4];
  if (path.length === 5) return field === 'encrypted_auth_secret' || (field === 'base_url' && value.includes('@'));
  if (path.length !== 6) return false;
  if (field === 'headers_template') return isLiteralCredentialHeader(String(path[5]), value);
  return field === 'query_template' && isLiteralCredentialQuery(String(path[5]), value);
}
