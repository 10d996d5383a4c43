import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { API_KEY_ENV, codexTable, cursorConfigEntry, genericJsonEntry, tomlString, vscodeConfigEntry, type McpClientId } from '../dev/client-snippets.js';
import { CliError } from '../io.js';
import { jsonSyntaxError, type ParsePosition } from './json-position.js';
import { tomlShapeError, upsertTomlTable } from './toml-table.js';

/** The clients `connect --write` can merge into, and the file each reads by default. */
export const WRITABLE_CLIENTS = ['cursor', 'vscode', 'codex', 'json'] as const;

/** The default config file of a writable client, or undefined when it has none (json needs --file). */
export function defaultClientFile(client: McpClientId, env: Record<string, string | undefined>, cwd: string): string | undefined {
  if (client === 'cursor') return path.join(cwd, '.cursor', 'mcp.json');
  if (client === 'vscode') return path.join(cwd, '.vscode', 'mcp.json');
  if (client === 'codex') {
    const home = env.CODEX_HOME || (env.HOME ? path.join(env.HOME, '.codex') : undefined);
    return home ? path.join(home, 'config.toml') : undefined;
  }
  return undefined;
}

/** What `--write` did: `unchanged` when the file already held exactly this entry. */
export interface WriteResult {
  file: string;
  action: 'created' | 'updated' | 'unchanged';
}

function malformed(file: string, pos: ParsePosition, kind: string): CliError {
  return new CliError('CONNECT_CONFIG_MALFORMED', `${file}:${pos.line}:${pos.column}: not valid ${kind}: ${pos.message}; the file was left untouched`, `fix the file at line ${pos.line}, column ${pos.column} (or move it away), then run the command again`);
}

/**
 * Merges the Tengine entry into a client's config file: the server's own entry is set, everything else in the
 * file is kept. A file that does not parse is refused with its position and never touched.
 */
export async function writeClientConfig(client: McpClientId, file: string, target: { url: string; name: string }): Promise<WriteResult> {
  let before: string | undefined;
  try {
    before = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new CliError('CONNECT_CONFIG_UNREADABLE', `cannot read ${file}: ${code === 'EISDIR' ? 'it is a directory' : (code ?? (e as Error).message)}`, 'check the path given to --file');
  }
  let next: string;
  if (client === 'codex') {
    const text = before ?? '';
    const bad = tomlShapeError(text);
    if (bad) throw malformed(file, bad, 'TOML');
    const header = codexTable(target.name, target.url).split('\n')[0]!;
    next = upsertTomlTable(text, ['mcp_servers', target.name], header, [
      ['url', tomlString(target.url)],
      ['bearer_token_env_var', tomlString(API_KEY_ENV)],
    ]);
    // The server may already be defined another way (`tengine = { … }` under [mcp_servers]): a table added next to
    // it would make the file invalid for Codex, so it is refused rather than written.
    const clash = tomlShapeError(next);
    if (clash) throw new CliError('CONNECT_CONFIG_CONFLICT', `${file} already defines mcp_servers.${target.name} in a form --write cannot edit (${clash.message}); the file was left untouched`, `edit the entry by hand (tengine connect codex prints it), or remove it and run the command again`);
  } else {
    let doc: Record<string, unknown> = {};
    if (before !== undefined && before.trim() !== '') {
      const bad = jsonSyntaxError(before);
      if (bad) throw malformed(file, bad, 'JSON');
      const parsed = JSON.parse(before) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw malformed(file, { line: 1, column: 1, message: 'the file must hold a JSON object' }, 'client config');
      doc = parsed as Record<string, unknown>;
    }
    const objectAt = (key: string): Record<string, unknown> | undefined => {
      const v = doc[key];
      if (v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v))) {
        throw new CliError('CONNECT_CONFIG_MALFORMED', `${file}: "${key}" is not an object; the file was left untouched`, `make "${key}" an object of servers, then run the command again`);
      }
      return v as Record<string, unknown> | undefined;
    };
    let merged: Record<string, unknown>;
    if (client === 'vscode') {
      const entry = vscodeConfigEntry(target.name, target.url);
      const inputs = doc.inputs;
      if (inputs !== undefined && !Array.isArray(inputs)) throw new CliError('CONNECT_CONFIG_MALFORMED', `${file}: "inputs" is not an array; the file was left untouched`, 'make "inputs" an array, then run the command again');
      const input = entry.inputs[0]!;
      // The user's own input of that id (another description, say) is kept: only a missing one is added.
      const hasInput = (inputs ?? []).some((i) => typeof i === 'object' && i !== null && (i as { id?: unknown }).id === input.id);
      merged = { ...doc, inputs: hasInput ? inputs : [...((inputs as unknown[] | undefined) ?? []), input], servers: { ...objectAt('servers'), ...entry.servers } };
    } else {
      const entry = client === 'cursor' ? cursorConfigEntry(target.name, target.url) : genericJsonEntry(target.name, target.url);
      merged = { ...doc, mcpServers: { ...objectAt('mcpServers'), ...entry.mcpServers } };
    }
    next = before !== undefined && JSON.stringify(merged) === JSON.stringify(doc) ? before : `${JSON.stringify(merged, null, 2)}\n`;
  }
  if (before === next) return { file, action: 'unchanged' };
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    // Write then rename: the client never reads a half-written config.
    await writeFile(tmp, next, { mode: 0o600 });
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw new CliError('CONNECT_CONFIG_UNWRITABLE', `cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'check the permissions of the file and its directory, or choose another --file');
  }
  return { file, action: before === undefined ? 'created' : 'updated' };
}
