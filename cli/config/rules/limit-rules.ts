import { eachProject, entriesOf, isObject, type RuleContext } from './context.js';

/**
 * Most tools one config may declare, over all projects, root file and fragments together (TNG230). The runtime
 * holds every tool in memory and compiles its schemas at boot, and a model cannot choose among more than a few
 * hundred per project; the limit is far above real configs and twice the 10,000-tool benchmark.
 */
export const MAX_TOOLS_PER_CONFIG = 20_000;

/**
 * Largest tool, as the bytes of its JSON (UTF-8) in the bundle (TNG230). Generous for a large OpenAPI-derived
 * input_schema (tens of KiB); a tool beyond it is usually a pasted document or an alias that expands too far, and
 * it would weigh on every `tools/list`.
 */
export const MAX_TOOL_BYTES = 256 * 1024;

/**
 * Largest config as a whole, as the bytes of its JSON (TNG230): the bundle is one signed document that CI writes and
 * every runtime reads and verifies in memory. Twenty thousand tools of the largest size would come to gigabytes and
 * fail in the middle of the build; eight times the 10,000-tool benchmark config is still well within it.
 */
export const MAX_CONFIG_BYTES = 64 * 1024 * 1024;

/** Size limits of a config: how many tools, how large each may be, and how large all of it. */
export function checkLimits(ctx: RuleContext): void {
  let count = 0;
  let firstOver: string | undefined;
  let totalBound = 0;
  for (const { project, pointer } of eachProject(ctx)) {
    for (const [ti, tool] of entriesOf(project.tools)) {
      const at = `${pointer}/tools/${ti}`;
      if (++count === MAX_TOOLS_PER_CONFIG + 1) firstOver = at;
      if (!isObject(tool)) continue;
      // An upper bound first (six bytes per character, as if every one were escaped): only a tool that could be
      // too large pays for serializing it, so a config of thousands of ordinary tools is not serialized twice.
      const bound = jsonUpperBound(tool);
      totalBound += bound;
      if (bound <= MAX_TOOL_BYTES) continue;
      const bytes = Buffer.byteLength(JSON.stringify(tool));
      if (bytes > MAX_TOOL_BYTES) {
        const name = typeof tool.name === 'string' ? `tool "${tool.name.slice(0, 64)}"` : 'this tool';
        ctx.report('TNG230', `${name} is ${bytes} bytes as JSON; the limit is ${MAX_TOOL_BYTES} bytes per tool`, at, {
          hint: `shrink the tool (long descriptions, large schemas, YAML aliases that expand too far): at most ${MAX_TOOL_BYTES} bytes per tool (docs/config.md §1.6)`,
        });
      }
    }
  }
  // The same two steps for the whole config: only one whose upper bound is past the limit is measured exactly.
  if (totalBound > MAX_CONFIG_BYTES) {
    const bytes = configBytes(ctx.config);
    if (bytes > MAX_CONFIG_BYTES) {
      ctx.report('TNG230', `the config is ${bytes === Infinity ? 'too large to serialize' : `${bytes} bytes`} as JSON; the limit is ${MAX_CONFIG_BYTES} bytes per config`, '/projects', {
        hint: `split the tools over several configs, each built into its own bundle: at most ${MAX_CONFIG_BYTES} bytes per config (docs/config.md §1.6)`,
      });
    }
  }
  if (firstOver !== undefined) {
    ctx.report('TNG230', `the config declares ${count} tools; the limit is ${MAX_TOOLS_PER_CONFIG} per config (reported at the first tool past it)`, firstOver, {
      hint: `split the tools over several configs, each built into its own bundle: at most ${MAX_TOOLS_PER_CONFIG} tools per config (docs/config.md §1.6)`,
    });
  }
}

/** At least the UTF-8 length of `JSON.stringify(v)`: every character of a string or key counted as a six-byte escape. */
function jsonUpperBound(v: unknown): number {
  if (typeof v === 'string') return v.length * 6 + 2;
  if (Array.isArray(v)) {
    let n = 2;
    for (const x of v) n += jsonUpperBound(x) + 1;
    return n;
  }
  if (isObject(v)) {
    let n = 2;
    for (const k of Object.keys(v)) n += k.length * 6 + 4 + jsonUpperBound(v[k]);
    return n;
  }
  // Numbers (at most 24 characters as JSON), booleans and null.
  return 24;
}

/** The UTF-8 bytes of the config's JSON; Infinity when it is past what one string can hold. */
function configBytes(config: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(config));
  } catch {
    return Infinity;
  }
}
