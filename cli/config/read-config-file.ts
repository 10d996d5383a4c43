import { readFile, stat } from 'node:fs/promises';
import { diagnostic, type Diagnostic } from '../../schemas/diagnostics.js';

/** Largest config file read; bigger configs are split with `include:`. */
export const MAX_CONFIG_FILE_BYTES = 4 * 1024 * 1024;

/** Reads a config file as UTF-8 text, or explains with a diagnostic why it cannot be used. */
export async function readConfigFile(path: string, display: string, maxBytes = MAX_CONFIG_FILE_BYTES): Promise<{ text: string } | { diagnostic: Diagnostic }> {
  const at = { file: display, line: 1, column: 1 };
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) return { diagnostic: diagnostic('TNG001', `${display} is not a regular file`, at) };
    size = s.size;
  } catch (e) {
    return { diagnostic: diagnostic('TNG001', `cannot read ${display}: ${errnoText(e)}`, at) };
  }
  if (size > maxBytes) {
    return { diagnostic: diagnostic('TNG004', `${display} is ${size} bytes; the limit is ${maxBytes}`, at) };
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    return { diagnostic: diagnostic('TNG001', `cannot read ${display}: ${errnoText(e)}`, at) };
  }
  if (bytes.length > maxBytes) {
    return { diagnostic: diagnostic('TNG004', `${display} grew past ${maxBytes} bytes while reading`, at) };
  }
  return decodeConfigBytes(bytes, display);
}

/** Checks and decodes the bytes of a config (a file, or standard input for `tengine validate -`). */
export function decodeConfigBytes(bytes: Buffer, display: string, maxBytes = MAX_CONFIG_FILE_BYTES): { text: string } | { diagnostic: Diagnostic } {
  const at = { file: display, line: 1, column: 1 };
  if (bytes.length > maxBytes) return { diagnostic: diagnostic('TNG004', `${display} is ${bytes.length} bytes; the limit is ${maxBytes}`, at) };
  const nul = bytes.indexOf(0);
  if (nul >= 0) return { diagnostic: diagnostic('TNG005', `${display} contains a NUL byte at offset ${nul}: it is not a text file`, at) };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return { diagnostic: diagnostic('TNG005', `${display} is not valid UTF-8`, at) };
  }
  return { text };
}

function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return code ?? (e as Error)?.message ?? 'unknown error';
}
