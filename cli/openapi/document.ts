import { createHash } from 'node:crypto';
import { diagnostic, type Diagnostic, type DiagnosticCode } from '../../schemas/diagnostics.js';
import { parseConfigFile } from '../config/parse-config-file.js';
import { readConfigFile } from '../config/read-config-file.js';
import type { FileSourceMap, Located, NodeLocation } from '../config/source-map.js';
import { PointerPositions } from './positions.js';

/**
 * Largest OpenAPI document read. Larger than a config file (4 MiB): a 10,000-operation document is about 5 MB of
 * YAML. Aliases still expand by at most 4 MiB (yaml-limits.ts), so a bomb stays a TNG012 at the alias.
 */
export const MAX_OPENAPI_FILE_BYTES = 32 * 1024 * 1024;

/** One OpenAPI document (or a file a `$ref` points into), parsed with positions available on demand. */
export interface OpenApiFile {
  abs: string;
  /** The path shown in diagnostics (relative to the working directory). */
  display: string;
  data: unknown;
  /** SHA-256 (hex) of the file's bytes as read. */
  sha256: string;
  /** For a document fetched through an allowed remote `$ref`: its URL (also `abs` and `display`). */
  url?: string;
  /**
   * Pointer → position, computed on lookup (positions.ts: the entry a pointer lies in is parsed, not the whole
   * document), so a clean document never pays for it and one diagnostic on a large document stays cheap.
   */
  map: FileSourceMap;
}

/**
 * Reads and parses a document with the config loader's YAML pipeline (JSON is YAML too): the same limits on
 * aliases, nesting, duplicate and prototype keys, each reported with its position and code.
 */
export async function readOpenApiFile(abs: string, display: string): Promise<{ file?: OpenApiFile; diagnostics: Diagnostic[] }> {
  const read = await readConfigFile(abs, display, MAX_OPENAPI_FILE_BYTES);
  if ('diagnostic' in read) return { diagnostics: [read.diagnostic] };
  return parseOpenApiText(read.text, abs, display);
}

/** Parses a document's text (read from a file or fetched from an allowed URL) with the same pipeline and limits. */
export function parseOpenApiText(text: string, abs: string, display: string, url?: string): { file?: OpenApiFile; diagnostics: Diagnostic[] } {
  const parsed = parseConfigFile(text, display);
  if (parsed.diagnostics.some((d) => d.severity === 'error')) return { diagnostics: parsed.diagnostics };
  const sha256 = createHash('sha256').update(text, 'utf8').digest('hex');
  // The precise parser built the whole map already; after the fast one, positions are found per pointer.
  const map = parsed.parser === 'precise' ? parsed.sourceMap() : new PointerPositions(text, display, parsed.data, parsed.sourceMap);
  const file: OpenApiFile = { abs, display, data: parsed.data, sha256, map };
  if (url !== undefined) file.url = url;
  return { file, diagnostics: parsed.diagnostics };
}

/** The position of the value at `pointer` (or the nearest ancestor that has one), with the pointer itself. */
export function locateIn(file: OpenApiFile, pointer: string, preferKey = false): Located & { pointer: string } {
  let p = pointer;
  for (;;) {
    const loc = file.map.get(p);
    if (loc) return { file: file.display, ...(preferKey && loc.key ? loc.key : loc.value), pointer };
    if (p === '') return { file: file.display, line: 1, column: 1, pointer };
    p = p.slice(0, p.lastIndexOf('/'));
    preferKey = false;
  }
}

/** A diagnostic at a pointer of a document, carrying the pointer. */
export function docDiagnostic(code: DiagnosticCode, message: string, file: OpenApiFile, pointer: string, hint?: string): Diagnostic {
  return diagnostic(code, message, locateIn(file, pointer), hint);
}
