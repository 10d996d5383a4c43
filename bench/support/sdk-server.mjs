// Baseline for bench/mcp-call.ts: the "obvious" stateless server built on the MCP SDK, one McpServer and one
// StreamableHTTPServerTransport per request (as the SDK's stateless example does), forwarding the same tool call
// to the same upstream. Not part of the product; it exists to measure what that design costs per call.
import { createServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { Pool } from 'undici';
import { z } from 'zod';

const upstream = new Pool(`http://127.0.0.1:${process.env.UPSTREAM_PORT}`, { connections: 256 });

function buildServer() {
  const server = new McpServer({ name: 'sdk-baseline', version: '0.0.0' });
  server.registerTool(
    'get_record',
    { description: 'Fetch a record by id.', inputSchema: { id: z.string().min(1), expand: z.enum(['owner', 'none']).optional() } },
    async ({ id, expand }) => {
      const { body } = await upstream.request({ path: `/records/${encodeURIComponent(id)}?expand=${expand ?? ''}`, method: 'GET' });
      const text = await body.text();
      return { content: [{ type: 'text', text }], structuredContent: JSON.parse(text) };
    },
  );
  return server;
}

const http = createServer(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const server = buildServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    transport.close();
    server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
});
http.keepAliveTimeout = 65_000;
http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => process.stdout.write(`${http.address().port}\n`));
process.on('SIGTERM', () => http.close(() => process.exit(0)));
