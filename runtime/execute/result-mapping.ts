import type { ContentBlock } from '@modelcontextprotocol/sdk/types.js';
import type { ResultMapping } from '../../schemas/config-types.js';
import { parsePointer, resolvePointer, type CompiledPointer } from '../../schemas/json-pointer.js';
import { parseTemplate, type TemplatePart } from '../../schemas/template.js';
import { checkMcpResult, loadMcpResultSchema } from './mcp-content.js';
import type { SchemaValidator } from './schema-compiler.js';
import { toolError, type ToolErrorDetails, type ToolResult } from './tool-errors.js';

/** A tool's `result` mapping, compiled once at bundle load. */
export interface CompiledResultMapping {
  format: 'json' | 'mcp';
  pointer: CompiledPointer;
  /** The `pointer` as configured, named in errors. */
  pointerText: string;
  text?: TemplatePart[];
  links: { pointer: CompiledPointer; pointerText: string; name: string; mimeType?: string; description?: string }[];
}

/**
 * Compiles `result`; throws only for a mapping `tengine validate` refuses (TNG320, TNG321, TNG217), a programmer
 * error at this point.
 */
export function compileResultMapping(m: ResultMapping): CompiledResultMapping {
  const pointerText = m.pointer ?? '';
  const compiled: CompiledResultMapping = { format: m.format ?? 'json', pointer: mustPointer(pointerText, 'result.pointer'), pointerText, links: [] };
  if (m.text !== undefined) {
    const parsed = parseTemplate(m.text);
    if (!parsed.ok) throw new Error(`result.text: ${parsed.message}`);
    compiled.text = parsed.parts;
  }
  for (const [i, l] of (m.resource_links ?? []).entries()) {
    compiled.links.push({
      pointer: mustPointer(l.pointer, `result.resource_links/${i}/pointer`),
      pointerText: l.pointer,
      name: l.name,
      ...(l.mime_type !== undefined ? { mimeType: l.mime_type } : {}),
      ...(l.description !== undefined ? { description: l.description } : {}),
    });
  }
  if (compiled.format === 'mcp' && (compiled.text || compiled.links.length > 0)) throw new Error('result: format mcp takes neither text nor resource_links');
  if (compiled.format === 'mcp') loadMcpResultSchema();
  return compiled;
}

/** What applying a mapping needs besides the parsed body. */
export interface ApplyResultOptions {
  base: ToolErrorDetails;
  status: number;
  output?: SchemaValidator;
}

/**
 * Maps a parsed JSON body through the tool's `result`: the value at `pointer` becomes `structuredContent` (checked
 * against `output_schema`) shown as JSON text or through the `text` template, followed by `resource_link` blocks;
 * or, for `format: mcp`, the upstream's own content blocks after checking them against the MCP schema.
 */
export function applyResultMapping(m: CompiledResultMapping, body: unknown, opts: ApplyResultOptions): ToolResult {
  const { base } = opts;
  const value = resolvePointer(body, m.pointer);
  if (value === undefined) return toolError('UPSTREAM_RESULT_UNMAPPABLE', { ...base, upstream_status: opts.status, detail: `the JSON body has no value at result.pointer "${m.pointerText.slice(0, 100)}"` });
  if (m.format === 'mcp') return mcpResult(value, opts);
  const structured = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { result: value };
  if (opts.output) {
    const check = opts.output(structured);
    if (!check.ok) return toolError('UPSTREAM_OUTPUT_INVALID', { ...base, upstream_status: opts.status, detail: 'the upstream result does not match the output_schema', errors: check.errors.slice(0, 10) });
  }
  const content: ContentBlock[] = [{ type: 'text', text: m.text ? renderText(m.text, structured) : JSON.stringify(structured) }];
  for (const l of m.links) {
    const uri = resolvePointer(body, l.pointer);
    if (uri === undefined || uri === null) continue;
    if (typeof uri !== 'string' || !isHttpUrl(uri)) {
      return toolError('UPSTREAM_RESULT_UNMAPPABLE', { ...base, upstream_status: opts.status, detail: `the value at resource_links pointer "${l.pointerText.slice(0, 100)}" is not an absolute http(s) URL` });
    }
    content.push({ type: 'resource_link', uri, name: l.name, ...(l.mimeType !== undefined ? { mimeType: l.mimeType } : {}), ...(l.description !== undefined ? { description: l.description } : {}) });
  }
  return { content, structuredContent: structured };
}

function mcpResult(value: unknown, opts: ApplyResultOptions): ToolResult {
  const { base } = opts;
  const checked = checkMcpResult(value);
  if (!checked.ok) return toolError('UPSTREAM_CONTENT_INVALID', { ...base, upstream_status: opts.status, detail: 'the upstream result is not a valid MCP content array', errors: checked.errors });
  if (checked.isError) {
    // The upstream's own tool error: its blocks reach the model as they are, the code reaches the audit line and usage records.
    const err = toolError('UPSTREAM_TOOL_ERROR', { ...base, upstream_status: opts.status });
    return { content: checked.content, isError: true, _meta: err._meta };
  }
  if (opts.output) {
    // MCP: a tool with an outputSchema must return conforming structured content; content blocks alone do not.
    if (checked.structuredContent === undefined) return toolError('UPSTREAM_OUTPUT_INVALID', { ...base, upstream_status: opts.status, detail: 'the upstream MCP result has no structuredContent, which the output_schema requires' });
    const check = opts.output(checked.structuredContent);
    if (!check.ok) return toolError('UPSTREAM_OUTPUT_INVALID', { ...base, upstream_status: opts.status, detail: 'the upstream result does not match the output_schema', errors: check.errors.slice(0, 10) });
  }
  return checked.structuredContent !== undefined ? { content: checked.content, structuredContent: checked.structuredContent } : { content: checked.content };
}

/** The text template over the result's top-level fields: strings as they are, other values as JSON, absent ones as nothing. */
export function renderText(parts: readonly TemplatePart[], fields: Record<string, unknown>): string {
  let out = '';
  for (const p of parts) {
    if ('text' in p) {
      out += p.text;
      continue;
    }
    const v = Object.prototype.hasOwnProperty.call(fields, p.variable) ? fields[p.variable] : undefined;
    out += v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

function isHttpUrl(s: string): boolean {
  if (!/^https?:\/\//i.test(s) || s.length > 8192) return false;
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
}

function mustPointer(p: string, where: string): CompiledPointer {
  const parsed = parsePointer(p);
  if (!parsed) throw new Error(`${where}: not a JSON pointer`);
  return parsed;
}
