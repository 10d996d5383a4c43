import { findCredential } from './credential-shapes.js';
import { refusedEnvName, type EnvPolicy } from './env-policy.js';

/** Outcome of substituting `${env:NAME}` references in one string. */
export type EnvSubstitution =
  | { ok: true; value: string }
  | { ok: false; code: 'TNG009' | 'TNG010' | 'TNG214' | 'TNG228'; message: string; hint?: string };

// A reference runs to the first `}`; one without any `}` runs to the end of the text and is reported as unterminated.
const REF = /\$(\$?)\{([^}]*)(\}|$)/g;
const BODY = /^env:([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

const SECRET_HINT = 'a value from the environment is written into the bundle in clear: keep secrets in encrypted_auth_secret (tengine secret encrypt) or auth_secret_env, and rotate this one if it was ever committed or built';

/**
 * Replaces `${env:NAME}` and `${env:NAME:-default}` with values from the environment; `$${` escapes a literal `${`.
 * The resolved text is written into the bundle, so a name is read only when `policy.allowed` lists it and it is
 * not refused (env-policy.ts), and a value or default that looks like a credential is not substituted. A failed
 * reference is left as written, so no value that was refused can reach the bundle or a later message; messages
 * name the variable, never its value.
 */
export function substituteEnv(text: string, policy: EnvPolicy): EnvSubstitution {
  if (!text.includes('${')) return { ok: true, value: text };
  let failure: EnvSubstitution | undefined;
  const value = text.replace(REF, (whole, escaped: string, body: string, close: string) => {
    if (escaped) return whole.slice(1);
    if (!close) {
      const shown = whole.length > 60 ? `${whole.slice(0, 60)}…` : whole;
      failure ??= { ok: false, code: 'TNG010', message: `environment reference "${shown}" is not closed with }` };
      return whole;
    }
    const m = BODY.exec(body);
    if (!m) {
      // `${NAME}` (shell style) is the usual slip: name the form that works.
      const shell = /^([A-Za-z_][A-Za-z0-9_]*)(:-[\s\S]*)?$/.exec(body);
      failure ??= {
        ok: false,
        code: 'TNG010',
        message: `invalid environment reference "${whole.length > 80 ? `${whole.slice(0, 80)}…` : whole}"`,
        ...(shell ? { hint: `write \${env:${shell[1]}${shell[2] ?? ''}}; write $\${ for a literal \${` } : {}),
      };
      return whole;
    }
    const name = m[1]!;
    const fallback = m[2];
    const refused = refusedEnvName(name);
    if (refused) {
      failure ??= {
        ok: false,
        code: 'TNG228',
        message: `\${env:${name}} is refused: ${refused}; a value read by \${env:} is written into the bundle in clear`,
        hint: 'secrets reach the runtime through encrypted_auth_secret (tengine secret encrypt) or auth_secret_env, never through ${env:}',
      };
      return whole;
    }
    if (!policy.allowed.has(name)) {
      failure ??= {
        ok: false,
        code: 'TNG228',
        message: `\${env:${name}} reads a variable that env_allowlist does not list`,
        hint: `if ${name} holds non-secret configuration (a host, a region, a flag), add it to env_allowlist in the root config; secrets go in encrypted_auth_secret or auth_secret_env`,
      };
      return whole;
    }
    // The default is checked even when the variable is set: it is committed text, so a credential there leaks anyway.
    const defaultKind = fallback === undefined ? undefined : findCredential(fallback);
    if (defaultKind) {
      failure ??= { ok: false, code: 'TNG214', message: `the default of \${env:${name}:-…} looks like ${defaultKind}`, hint: SECRET_HINT };
      return whole;
    }
    const v = policy.env[name];
    if (v !== undefined && v !== '') {
      const kind = findCredential(v);
      if (kind) {
        failure ??= { ok: false, code: 'TNG214', message: `the value of environment variable ${name} looks like ${kind}; it was not substituted`, hint: SECRET_HINT };
        return whole;
      }
      return v;
    }
    if (fallback !== undefined) return fallback;
    failure ??= { ok: false, code: 'TNG009', message: `environment variable ${name} is not set (referenced as "${whole}")` };
    return whole;
  });
  return failure ?? { ok: true, value };
}
