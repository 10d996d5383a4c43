import type { TengineConfig } from '../../../schemas/config-types.js';
import type { DiagnosticCode } from '../../../schemas/diagnostics.js';
import type { Located } from '../source-map.js';

/** What a semantic rule sees: the merged config (defaults applied) and a way to report at a JSON pointer. */
export interface RuleContext {
  config: TengineConfig;
  report(code: DiagnosticCode, message: string, pointer: string, opts?: { key?: boolean; hint?: string }): void;
  locate(pointer: string, key?: boolean): Located;
  /** False when the schema already reported a problem at or under (or above) this pointer; rules then skip it. */
  isClean(pointer: string): boolean;
}

/** Iterates the structurally valid tools (no schema error inside them) with their projects and pointers. */
export function* eachTool(ctx: RuleContext) {
  for (const entry of eachToolObject(ctx)) if (ctx.isClean(entry.pointer)) yield entry;
}

/** Iterates every tool that is at least an object, valid or not, for rules that read only one checked field. */
export function* eachToolObject(ctx: RuleContext) {
  for (const [pi, project] of (ctx.config.projects ?? []).entries()) {
    if (!isObject(project) || !Array.isArray(project.tools)) continue;
    for (const [ti, tool] of project.tools.entries()) {
      if (!isObject(tool)) continue;
      yield { project, tool, pointer: `/projects/${pi}/tools/${ti}`, projectPointer: `/projects/${pi}` };
    }
  }
}

/** True for a non-null, non-array object. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
