import type { EnvPolicy } from './env-policy.js';
import { substituteEnv, type EnvSubstitution } from './env-references.js';
import { escapePointer } from './source-map.js';

/** A reference that could not be substituted, at the JSON pointer of the string that holds it. */
export type EnvFailure = Extract<EnvSubstitution, { ok: false }> & { pointer: string };

/**
 * Substitutes `${env:…}` references in every string value of one parsed file, in place, and returns the references
 * that failed (they stay as written). Keys are never substituted. `skip` names top-level fields read as written:
 * the root file's `env_allowlist`, which decides what references may read and so cannot use one itself.
 *
 * The parser bounds how deep the data nests (yaml-limits.ts); the path is kept as a list and turned into a pointer
 * only for a failure, since the walk visits every value of the file.
 */
export function resolveEnvReferences(data: unknown, policy: EnvPolicy, skip: readonly string[] = []): EnvFailure[] {
  const failures: EnvFailure[] = [];
  const path: (string | number)[] = [];
  const visit = (holder: Record<string, unknown> | unknown[], key: string | number): void => {
    const v = (holder as Record<string | number, unknown>)[key];
    if (typeof v === 'string') {
      if (!v.includes('${')) return;
      const r = substituteEnv(v, policy);
      if (r.ok) (holder as Record<string | number, unknown>)[key] = r.value;
      else failures.push({ ...r, pointer: path.map((t) => `/${escapePointer(t)}`).join('') });
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        path.push(i);
        visit(v, i);
        path.pop();
      }
    } else if (typeof v === 'object' && v !== null) {
      for (const k of Object.keys(v)) {
        if (path.length === 0 && skip.includes(k)) continue;
        path.push(k);
        visit(v as Record<string, unknown>, k);
        path.pop();
      }
    }
  };
  visit({ '': data }, '');
  return failures;
}
