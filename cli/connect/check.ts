import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CliError } from '../io.js';

/** What `connect --check` found, step by step. */
export interface ConnectionCheck {
  server: { name: string; version: string } | null;
  protocol_version: string | null;
  tools: number;
  whoami: Record<string, unknown> | null;
}

/**
 * Connects to the runtime as an MCP client would (initialize, tools/list, then the built-in `mcp_whoami`), so a
 * snippet is known to work before it is handed to a client. Each failing step has its own code.
 */
export async function checkConnection(url: string, key: string): Promise<ConnectionCheck> {
  const client = new Client({ name: 'tengine-connect-check', version: '1' });
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${key}` } } });
  try {
    try {
      await client.connect(transport, { timeout: 15_000 });
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      if (/\b401\b|unauthori[sz]ed|invalid_token/i.test(msg)) throw new CliError('CONNECT_CHECK_UNAUTHORIZED', `${url} refused the API key`, 'check the key (tengine keys api-key mints one) and that it belongs to this runtime\'s project');
      throw new CliError('CONNECT_CHECK_UNREACHABLE', `cannot initialize an MCP session with ${url}: ${msg.split('\n')[0]}`, 'check the URL (it ends in /mcp) and that the runtime is up');
    }
    const version = client.getServerVersion();
    let tools: { name: string }[];
    try {
      tools = (await client.listTools(undefined, { timeout: 15_000 })).tools;
    } catch (e) {
      throw new CliError('CONNECT_CHECK_FAILED', `tools/list failed: ${(e as Error).message}`, 'check the runtime logs');
    }
    let whoami: Record<string, unknown> | null = null;
    try {
      const r = await client.callTool({ name: 'mcp_whoami', arguments: {} }, undefined, { timeout: 15_000 });
      if (r.isError) throw new Error(JSON.stringify(r.content));
      whoami = (r.structuredContent as Record<string, unknown> | undefined) ?? null;
    } catch (e) {
      throw new CliError('CONNECT_CHECK_FAILED', `mcp_whoami failed: ${(e as Error).message}`, 'check the runtime logs');
    }
    return { server: version ? { name: version.name, version: version.version } : null, protocol_version: transport.protocolVersion ?? null, tools: tools.length, whoami };
  } finally {
    await client.close().catch(() => {});
  }
}
