// Minimal loopback upstream for benchmarks: answers every request with a small JSON object.
import { createServer } from 'node:http';

const body = JSON.stringify({ id: 'rec_123', name: 'Ada Lovelace', email: 'ada@example.com', tags: ['vip', 'beta'], score: 42 });
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
