import type { Project, TengineConfig, Tool } from '../../../schemas/config-types.js';
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

/** A tool as the rules see it: the tool, its project and their pointers. */
export interface ToolEntry {
  project: Project & Record<string, unknown>;
  tool: Tool & Record<string, unknown>;
  pointer: string;
  projectPointer: string;
}

/** The tool lists runRules made for its context, shared by the rules of that run. */
const toolLists = new WeakMap<RuleContext, readonly ToolEntry[]>();

/**
 * Every tool that is an object, with its project and pointers, whether or not the schema accepted all of it: a
 * rule checks the fields it reads with `ctx.isClean`, so a typo in one field hides nothing else. Within runRules
 * the list is made once for all the rules (ten of them walk every tool; on 10,000 tools rebuilding the pointers
 * for each was a tenth of their time).
 */
export function eachTool(ctx: RuleContext): readonly ToolEntry[] {
  return toolLists.get(ctx) ?? listTools(ctx);
}

/** A context whose rules share one list of the tools; the config must not change while it is in use. */
export function withToolList(ctx: RuleContext): RuleContext {
  const shared = { ...ctx };
  toolLists.set(shared, listTools(shared));
  return shared;
}

function listTools(ctx: RuleContext): ToolEntry[] {
  const out: ToolEntry[] = [];
  for (const { project, pointer: projectPointer } of eachProject(ctx)) {
    for (const [ti, tool] of entriesOf(project.tools)) {
      if (!isObject(tool)) continue;
      out.push({ project, tool, pointer: `${projectPointer}/tools/${ti}`, projectPointer });
    }
  }
  return out;
}

/** True for a non-null, non-array object. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
