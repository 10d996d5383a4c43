import { styler } from '../output/style.js';
import { API_KEY_ENV, clientSnippet, inspectorCommand, type ClientSnippet, type McpClientId } from './client-snippets.js';

/** What `tengine dev` reports once the runtime listens. */
export interface DevReady {
  mcpUrl: string;
  apiKey: string;
  /** Where the key is kept, as shown to the user. */
  apiKeyFile: string;
  apiKeyCreated: boolean;
  /** Development project that accepts the key. */
  project: string;
  integration: string;
  tools: number;
  /** The demo upstream this process runs, if any. */
  upstreamUrl: string | null;
  bundleFile: string;
  bundleDigest: string;
}

/** The clients the dev banner shows, in order. Claude Desktop needs OAuth, so it is left to `tengine connect`. */
export const DEV_BANNER_CLIENTS: readonly McpClientId[] = ['claude-code', 'cursor', 'vscode', 'anthropic-api'];

/** The human banner: URL, key, a snippet per client and an MCP Inspector one-liner. */
export function renderDevHuman(r: DevReady, color: boolean): string {
  const s = styler(color);
  const target = { url: r.mcpUrl, key: r.apiKey };
  const lines = [
    '',
    `${s.green('✓')} Tengine is serving project ${s.bold(r.project)} (${r.tools} tool${r.tools === 1 ? '' : 's'}) in development mode`,
    '',
    `  MCP URL         ${s.bold(r.mcpUrl)}`,
    `  API key         ${s.bold(r.apiKey)}`,
    `                  ${s.dim(`development only; ${r.apiKeyCreated ? 'new, saved' : 'kept'} in ${r.apiKeyFile}, accepted by integration "${r.integration}"`)}`,
  ];
  if (r.upstreamUrl) lines.push(`  Demo upstream   ${r.upstreamUrl} ${s.dim('(in-memory notes API; changes are lost on exit)')}`);
  lines.push(`  Bundle          ${r.bundleFile} ${s.dim(r.bundleDigest)}`, '', 'Connect a client:', '');
  for (const client of DEV_BANNER_CLIENTS) {
    const snip = clientSnippet(client, target);
    lines.push(`  ${s.bold(snip.title)} ${s.dim(`(${snip.target})`)}`);
    if (client === 'cursor') lines.push(`    ${s.yellow(`reads the key from ${API_KEY_ENV}: export ${API_KEY_ENV}=$(cat ${r.apiKeyFile}) before starting Cursor`)}`);
    if (client === 'anthropic-api') lines.push(`    ${s.yellow('needs a public https URL: expose the port through a tunnel and use that URL (see tengine connect anthropic-api)')}`);
    lines.push(indent(snip.snippet.trimEnd(), '    '), '');
  }
  lines.push(`  ${s.bold('Check it from a terminal')} ${s.dim('(MCP Inspector CLI)')}`, `    ${inspectorCommand(target)}`, '');
  lines.push(s.dim('More clients and notes: tengine connect <claude-code|cursor|vscode|anthropic-api|claude-desktop|codex|openai-api|json>'), '');
  return `${lines.join('\n')}\n`;
}

/** The JSON document `tengine dev -f json` prints once ready. */
export function renderDevJson(r: DevReady): string {
  const target = { url: r.mcpUrl, key: r.apiKey };
  const snippets: ClientSnippet[] = DEV_BANNER_CLIENTS.map((c) => clientSnippet(c, target));
  const out = {
    format_version: 1,
    mcp_url: r.mcpUrl,
    api_key: r.apiKey,
    api_key_file: r.apiKeyFile,
    project: r.project,
    integration: r.integration,
    tools: r.tools,
    upstream_url: r.upstreamUrl,
    bundle: r.bundleFile,
    bundle_digest: r.bundleDigest,
    snippets: snippets.map(({ client, target: where, snippet, notes }) => ({ client, target: where, snippet, notes })),
    inspector: inspectorCommand(target),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

/**
 * A log sink for the runtime that prints one readable line per entry (`time level message key=value ...`) in
 * `pretty` mode, or the JSON object itself in `json` mode.
 */
export function devLogSink(write: (text: string) => void, mode: 'pretty' | 'json', color: boolean): (entry: Record<string, unknown>) => void {
  const s = styler(color);
  return (entry) => {
    if (mode === 'json') return write(`${JSON.stringify(entry)}\n`);
    const { time, ts, level, msg, message, event, ...rest } = entry;
    const when = typeof time === 'string' ? time : typeof ts === 'string' ? ts : new Date().toISOString();
    const lvl = typeof level === 'string' ? level : 'info';
    const paint = lvl === 'error' || lvl === 'fatal' ? s.red : lvl === 'warn' ? s.yellow : s.dim;
    const text = [msg, message, event].find((v) => typeof v === 'string') ?? '';
    const fields = Object.entries(rest)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
      .join(' ');
    write(`${s.dim(when.slice(11, 19))} ${paint(lvl.padEnd(5))} ${text}${fields ? ` ${s.dim(fields)}` : ''}\n`);
  };
}

function indent(text: string, pad: string): string {
  return text
    .split('\n')
    .map((l) => (l === '' ? l : pad + l))
    .join('\n');
}
