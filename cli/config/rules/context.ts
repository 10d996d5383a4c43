import type { TengineConfig } from '../../../schemas/config-types.js';
import type { DiagnosticCode } from '../../../schemas/diagnostics.js';
import type { Located } from '../source-map.js';

/**
 * What a semantic rule sees: the merged config (defaults applied) and a way to report at a JSON pointer.
 *
 * Rules also run on configs the schema rejected, so `config` is only typed as a TengineConfig: any value may have
 * the wrong type. Rules iterate lists with `entriesOf`, test the type of every field they read, and skip a field
 * (not the whole object) when `isClean` says the schema already reported it.
 */
export interface RuleContext {
  config: TengineConfig;
  report(code: DiagnosticCode, message: string, pointer: string, opts?: { key?: boolean; hint?: string }): void;
  locate(pointer: string, key?: boolean): Located;
  /** False when the schema already reported a problem at, under or above this pointer; rules then skip it. */
  isClean(pointer: string): boolean;
}

/**
 * The `[index, element]` pairs of `list` when it is an array, and none otherwise: in a config the schema rejected,
 * a field declared as a list may hold a mapping or a scalar (reported as TNG101), and rules must not crash on it.
 */
export function entriesOf<T>(list: readonly T[] | null | undefined): Iterable<[number, T]>;
export function entriesOf(list: unknown): Iterable<[number, unknown]>;
export function entriesOf(list: unknown): Iterable<[number, unknown]> {
  return Array.isArray(list) ? list.entries() : [];
}

/** Iterates the projects that are objects, with their pointers. */
export function* eachProject(ctx: RuleContext) {
  for (const [pi, project] of entriesOf(ctx.config.projects)) {
    if (isObject(project)) yield { project, pointer: `/projects/${pi}` };
  }
}

/**
 * Iterates every tool that is an object, with its project and pointers, whether or not the schema accepted all of
 * it: a rule checks the fields it reads with `ctx.isClean`, so a typo in one field hides nothing else.
 */
export function* eachTool(ctx: RuleContext) {
  for (const { project, pointer: projectPointer } of eachProject(ctx)) {
    for (const [ti, tool] of entriesOf(project.tools)) {
      if (!isObject(tool)) continue;
      yield { project, tool, pointer: `${projectPointer}/tools/${ti}`, projectPointer };
    }
  }
}

/** True for a non-null, non-array object. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
