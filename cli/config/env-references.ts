/** Outcome of substituting `${env:NAME}` references in one string. */
export type EnvSubstitution =
  | { ok: true; value: string }
  | { ok: false; code: 'TNG009' | 'TNG010'; message: string; hint?: string };

// A reference runs to the first `}`; one without any `}` runs to the end of the text and is reported as unterminated.
const REF = /\$(\$?)\{([^}]*)(\}|$)/g;
const BODY = /^env:([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

/**
 * Replaces `${env:NAME}` and `${env:NAME:-default}` with values from `env`; `$${` escapes a literal `${`.
 * Only non-secret values belong here: the resolved text is written into the bundle.
 */
export function substituteEnv(text: string, env: Record<string, string | undefined>): EnvSubstitution {
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
        message: `invalid environment reference "${whole}"`,
        ...(shell ? { hint: `write \${env:${shell[1]}${shell[2] ?? ''}}; write $\${ for a literal \${` } : {}),
      };
      return whole;
    }
    const name = m[1]!;
    const fallback = m[2];
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (fallback !== undefined) return fallback;
    failure ??= { ok: false, code: 'TNG009', message: `environment variable ${name} is not set (referenced as "${whole}")` };
    return whole;
  });
  return failure ?? { ok: true, value };
}
