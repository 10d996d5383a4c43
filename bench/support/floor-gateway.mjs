// The floor of issue 15: a minimal hand-written MCP→HTTP gateway, the least a gateway can do for one tools/call
// of the bench's get_record tool. node:http in, a pooled undici client out (the runtime's own client), the JSON-RPC
// body parsed and answered, no authentication, no validation, no logging. Benchmarks report the runtime's cost as a
// ratio to this one's in the same run (bench/runtime-variants.ts with BENCH_FLOOR=1).
import { createServer } from 'node:http';
import { Pool } from 'undici';

const upstream = new Pool(`http://127.0.0.1:${process.env.UPSTREAM_PORT}`, { connections: 64, pipelining: 1 });

function answer(res, status, payload) {
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function call(message) {
  const args = message.params?.arguments ?? {};
  const path = `/records/${encodeURIComponent(String(args.id))}?expand=${encodeURIComponent(String(args.expand ?? ''))}`;
  const { statusCode, body } = await upstream.request({ method: 'GET', path });
  const text = await body.text();
  if (statusCode < 200 || statusCode >= 300) return { content: [{ type: 'text', text: `upstream HTTP ${statusCode}` }], isError: true };
  return { content: [{ type: 'text', text }], structuredContent: JSON.parse(text) };
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    let message;
    try {
      message = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return answer(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
    }
    try {
      if (message.method === 'tools/call') return answer(res, 200, { jsonrpc: '2.0', id: message.id, result: await call(message) });
      return answer(res, 200, { jsonrpc: '2.0', id: message.id, error: { code: -32601, message: 'Method not found' } });
    } catch (e) {
      return answer(res, 200, { jsonrpc: '2.0', id: message.id, result: { content: [{ type: 'text', text: String(e?.message ?? e) }], isError: true } });
    }
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
