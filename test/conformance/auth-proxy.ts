// The conformance suite's client cannot send a credential, and the runtime serves no unauthenticated MCP: this
// loopback proxy adds `Authorization: Bearer <API key>` to requests that carry none and changes nothing else (Host,
// Origin and every other header pass through, so the DNS-rebinding and header scenarios test the runtime's checks;
// responses, event streams included, are piped back as they arrive).
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running proxy: its base URL and a close function. */
export interface AuthProxy {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts a proxy on 127.0.0.1 in front of `route().target` (an `http://127.0.0.1:<port>` base URL), read per request
 * so the runtime can be started after the proxy, with the proxy's URL as its public URL.
 */
export async function startAuthProxy(route: () => { target: string; apiKey: string }): Promise<AuthProxy> {
  const server: Server = createServer((req, res) => {
    const { target, apiKey } = route();
    const to = new URL(target);
    const headers = { ...req.headers };
    if (!headers.authorization) headers.authorization = `Bearer ${apiKey}`;
    const upstream = request({ hostname: to.hostname, port: to.port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    // A client that goes away (a closed event stream) closes the runtime's side too, as it would without the proxy.
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
