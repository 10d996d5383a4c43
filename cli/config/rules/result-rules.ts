import { escapePointer, parsePointer } from '../../../schemas/json-pointer.js';
import { parseTemplate } from '../../../schemas/template.js';
import { eachTool, entriesOf, isObject, type RuleContext } from './context.js';

/**
 * A tool's `result` mapping (docs/config.md#result-mapping): its pointers are JSON pointers (TNG320), `format: mcp`
 * takes neither `text` nor `resource_links`, since the upstream supplies the blocks itself (TNG321), the `text`
 * template parses (TNG217) and, when `output_schema` lists the result's properties, names only those (TNG322:
 * a field the schema does not declare is probably a typo, shown as nothing).
 */
export function checkResultMappings(ctx: RuleContext): void {
  for (const { tool, pointer } of eachTool(ctx)) {
    const at = `${pointer}/result`;
    const result = tool.result;
    if (!isObject(result)) continue;
    checkPointer(ctx, result.pointer, `${at}/pointer`);
    for (const [i, link] of entriesOf(result.resource_links)) {
      if (isObject(link)) checkPointer(ctx, link.pointer, `${at}/resource_links/${i}/pointer`);
    }
    if (result.format === 'mcp' && ctx.isClean(`${at}/format`)) {
      for (const field of ['text', 'resource_links'] as const) {
        if (result[field] === undefined) continue;
        ctx.report('TNG321', `result.${field} cannot be used with format: mcp, whose upstream answers the content blocks itself`, `${at}/${field}`, { key: true });
      }
    }
    if (typeof result.text !== 'string' || !ctx.isClean(`${at}/text`)) continue;
    const parsed = parseTemplate(result.text);
    if (!parsed.ok) {
      ctx.report('TNG217', `${parsed.message} at character ${parsed.offset + 1} of the template`, `${at}/text`);
      continue;
    }
    const declared = declaredFields(tool.output_schema);
    if (!declared || !ctx.isClean(`${pointer}/output_schema`)) continue;
    for (const v of parsed.variables) {
      if (!declared.has(v)) ctx.report('TNG322', `placeholder "{${v}}" of result.text is not a property output_schema declares (${[...declared].slice(0, 8).map((d) => escapePointer(d)).join(', ') || 'none'})`, `${at}/text`);
    }
  }
}

function checkPointer(ctx: RuleContext, value: unknown, at: string): void {
  if (typeof value !== 'string' || !ctx.isClean(at)) return;
  if (parsePointer(value) === undefined) {
    ctx.report('TNG320', `"${value.slice(0, 80)}" is not a JSON pointer`, at);
  }
}

/** The top-level properties `output_schema` declares, or undefined when it does not list them (any field may exist). */
function declaredFields(schema: unknown): Set<string> | undefined {
  if (!isObject(schema) || !isObject(schema.properties)) return undefined;
  return new Set(Object.keys(schema.properties));
}
