import { createServer, type Server } from 'node:http';
import { RuntimeBootError } from '../boot-types.js';
import { BOOT_EXIT } from '../load/boot-exit-codes.js';
import type { RuntimeMetrics } from './metrics.js';

/**
 * The separate metrics listener (--metrics-port): `GET /metrics` without credentials, meant for a private
 * interface or a port the network keeps internal; every other path is 404. Fails the boot like the main listener.
 */
export function listenMetrics(host: string, port: number, metrics: RuntimeMetrics): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end('{"error":"not_found","message":"No such endpoint"}');
      return;
    }
    metrics.render().then(
      (page) => {
        res.writeHead(200, { 'Content-Type': page.contentType, 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : page.body);
      },
      () => {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end('{"error":"internal_error","message":"Internal server error"}');
      },
    );
  });
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new RuntimeBootError('LISTEN_FAILED', `cannot listen for metrics on ${host}:${port}: ${e.code ?? e.message}`, BOOT_EXIT.LISTEN_FAILED, e.code === 'EADDRINUSE' ? 'the metrics port is in use: pick another --metrics-port' : 'check --metrics-host and --metrics-port')),
    );
    server.listen(port, host, () => resolve(server));
  });
}
