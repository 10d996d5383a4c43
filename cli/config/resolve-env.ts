import { diagnostic, type Diagnostic } from '../../schemas/diagnostics.js';
import type { EnvPolicy } from './env-policy.js';
import { substituteEnv, type EnvSubstitution } from './env-references.js';
import { escapePointer, type Located } from './source-map.js';

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

/** What resolving one file produced: its diagnostics, and the strings left unresolved. */
export interface ResolvedFile {
  diagnostics: Diagnostic[];
  /**
   * Pointers (in the file) of the strings whose reference failed. The failure is reported, so the schema and the
   * rules skip those strings rather than report `${env:…}` itself as a bad URL or placeholder.
   */
  unresolved: Set<string>;
}

/**
 * Resolves the references of one parsed file and reports each failure once, at the string that holds it. A string
 * an alias copied from its anchor (`aliased`) is reported at the anchor only, where the reference is written.
 */
export function resolveFileEnv(
  data: unknown,
  policy: EnvPolicy,
  opts: { locate: (pointer: string) => Located; aliased: ReadonlySet<string>; skip?: readonly string[] },
): ResolvedFile {
  const out: ResolvedFile = { diagnostics: [], unresolved: new Set() };
  for (const f of resolveEnvReferences(data, policy, opts.skip)) {
    out.unresolved.add(f.pointer);
    if (!opts.aliased.has(f.pointer)) out.diagnostics.push(diagnostic(f.code, f.message, opts.locate(f.pointer), f.hint));
  }
  return out;
}
