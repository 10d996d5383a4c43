import net, { type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClientGone } from './cancel-signal.js';
import { createUpstreamClient } from './http-client.js';
import type { UpstreamClient, UpstreamRequest } from './types.js';

// The dispatch-handler client against raw HTTP/1.1 answers written byte for byte (node:http would normalize them):
// informational responses, odd header names, bodies without a length, late answers and reused connections.

interface RawServer {
  origin: string;
  /** Raw request heads received, in order. */
  requests: string[];
  /** Connections accepted so far, and how many of them the client closed. */
  connections: () => number;
  closedByClient: () => number;
  close(): Promise<void>;
}

type Answer = (socket: net.Socket, head: string, index: number) => void;

const servers: RawServer[] = [];
let client: UpstreamClient;

beforeAll(() => {
  client = createUpstreamClient();
});
afterAll(() => client.close());
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function rawServer(answer: Answer): Promise<RawServer> {
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  let closedByClient = 0;
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    let buffered = '';
    let ended = false;
    socket.on('end', () => {
      ended = true;
      closedByClient++;
    });
    socket.on('close', () => {
      if (!ended) closedByClient++;
      sockets.delete(socket);
    });
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      buffered += d.toString('latin1');
      let end: number;
      while ((end = buffered.indexOf('\r\n\r\n')) >= 0) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        requests.push(head);
        answer(socket, head, requests.length - 1);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const s: RawServer = {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    connections: () => connections,
    closedByClient: () => closedByClient,
    close: () =>
      new Promise<void>((resolve) => {
        for (const so of sockets) so.destroy();
        server.close(() => resolve());
      }),
  };
  servers.push(s);
  return s;
}

function request(origin: string, fields: Partial<UpstreamRequest> = {}): UpstreamRequest {
  return { origin, addressPolicy: 'unrestricted', method: 'GET', pathAndQuery: '/', headers: {}, timeoutMs: 2000, maxResponseBytes: 1 << 20, ...fields };
}

const until = async (cond: () => boolean, ms = 2000): Promise<void> => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('upstream client on the wire (RFC 9112)', () => {
  it('skips a 103 Early Hints and returns the final response, without the hint headers (RFC 9110 §15.2)', async () => {
    const s = await rawServer((so) => so.write('HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Final: 1\r\n\r\nok'));
    const r = await client.send(request(s.origin));
    if (!r.ok) throw new Error(r.detail);
    expect(r.status).toBe(200);
    expect(Buffer.from(r.body).toString()).toBe('ok');
    expect(r.headers['x-final']).toBe('1');
    expect(r.headers.link).toBeUndefined();
  });

  it('keeps headers named __proto__ and constructor as headers, repeats as arrays, values as latin1', async () => {
    const s = await rawServer((so) =>
      so.write(
        Buffer.concat([
          Buffer.from('HTTP/1.1 200 OK\r\n__proto__: p1\r\nConstructor: c\r\n__proto__: p2\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nX-Latin: caf', 'latin1'),
          Buffer.from([0xe9]),
          Buffer.from('\r\ntoString: t\r\nContent-Length: 0\r\n\r\n', 'latin1'),
        ]),
      ),
    );
    const r = await client.send(request(s.origin));
    if (!r.ok) throw new Error(r.detail);
    expect(Object.getPrototypeOf(r.headers)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(r.headers, '__proto__')?.value).toEqual(['p1', 'p2']);
    expect(r.headers.constructor).toBe('c');
    expect(r.headers.tostring).toBe('t');
    expect(r.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(r.headers['x-latin']).toBe('caf\u00e9');
    // Nothing reached Object.prototype.
    expect(({} as Record<string, unknown>).p1).toBeUndefined();
    expect(Object.prototype.toString).toBeTypeOf('function');
  });

  it('204 and 304 carry no body and leave the connection usable (RFC 9112 §6.3)', async () => {
    const s = await rawServer((so, head, i) => {
      if (i === 0) so.write('HTTP/1.1 204 No Content\r\n\r\n');
      else if (i === 1) so.write('HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n');
      else so.write(`HTTP/1.1 200 OK\r\nContent-Length: ${head.length}\r\n\r\n${head}`);
    });
    const r204 = await client.send(request(s.origin));
    expect(r204.ok && r204.status).toBe(204);
    expect(r204.ok && r204.body.byteLength).toBe(0);
    const r304 = await client.send(request(s.origin));
    expect(r304.ok && r304.status).toBe(304);
    expect(r304.ok && r304.body.byteLength).toBe(0);
    const last = await client.send(request(s.origin, { pathAndQuery: '/last' }));
    expect(last.ok && Buffer.from(last.body).toString()).toMatch(/^GET \/last HTTP\/1\.1/);
    expect(s.connections()).toBeLessThanOrEqual(2);
  });

  it('a single chunk larger than the cap (chunked, no Content-Length) → too_large, and the connection is closed', async () => {
    const s = await rawServer((so) => {
      so.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      // One chunk of 64 MiB announced; its bytes trickle in.
      so.write(`${(64 << 20).toString(16)}\r\n`);
      const piece = Buffer.alloc(64 * 1024, 0x61);
      const pump = (): void => {
        while (!so.destroyed && so.write(piece));
        if (!so.destroyed) so.once('drain', pump);
      };
      pump();
    });
    const r = await client.send(request(s.origin, { maxResponseBytes: 100_000 }));
    expect(r).toMatchObject({ ok: false, reason: 'too_large' });
    await until(() => s.closedByClient() === 1);
  });

  it('trailers after a chunked body are accepted and not mixed into the body', async () => {
    const s = await rawServer((so) => so.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n2\r\nhi\r\n0\r\nX-T: 1\r\n\r\n'));
    const r = await client.send(request(s.origin));
    if (!r.ok) throw new Error(r.detail);
    expect(Buffer.from(r.body).toString()).toBe('hi');
  });

  it('an answer after the deadline is dropped: timeout, the connection is closed, and the next call gets its own answer', async () => {
    const s = await rawServer((so, head, i) => {
      const body = `answer ${i} to ${head.split(' ')[1]}`;
      setTimeout(() => so.destroyed || so.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`), i === 0 ? 300 : 0);
    });
    const late = await client.send(request(s.origin, { pathAndQuery: '/slow', timeoutMs: 100 }));
    expect(late).toMatchObject({ ok: false, reason: 'timeout' });
    await until(() => s.closedByClient() === 1);
    const next = await client.send(request(s.origin, { pathAndQuery: '/next' }));
    expect(next.ok && Buffer.from(next.body).toString()).toBe('answer 1 to /next');
    expect(s.connections()).toBeGreaterThanOrEqual(2);
  });

  it('a caller abort (ClientGone) mid-body closes that connection; the next call is not answered with the old body', async () => {
    const gone = new ClientGone();
    const s = await rawServer((so, head, i) => {
      if (i === 0) {
        so.write('HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nfirst-part');
        setTimeout(() => gone.abort(), 30);
        setTimeout(() => so.destroyed || so.write('first-rest'), 200);
      } else {
        const body = `second ${head.split(' ')[1]}`;
        so.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      }
    });
    const first = await client.send(request(s.origin, { signal: gone }));
    expect(first).toMatchObject({ ok: false, reason: 'aborted' });
    const second = await client.send(request(s.origin, { pathAndQuery: '/2' }));
    expect(second.ok && Buffer.from(second.body).toString()).toBe('second /2');
    // The aborted connection was closed by the client rather than left for the next call.
    expect(s.closedByClient()).toBeGreaterThanOrEqual(1);
    expect(s.requests).toHaveLength(2);
  });

  it('a request that times out while queued for a busy pool is never sent', async () => {
    const small = createUpstreamClient({ maxSockets: 1 });
    try {
      const s = await rawServer((so, _head, i) => {
        if (i === 0) setTimeout(() => so.destroyed || so.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na'), 300);
        else so.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb');
      });
      const busy = small.send(request(s.origin, { pathAndQuery: '/busy' }));
      const queued = await small.send(request(s.origin, { pathAndQuery: '/queued', timeoutMs: 50 }));
      expect(queued).toMatchObject({ ok: false, reason: 'timeout' });
      expect((await busy).ok).toBe(true);
      const after = await small.send(request(s.origin, { pathAndQuery: '/after' }));
      expect(after.ok).toBe(true);
      expect(s.requests.map((h) => h.split(' ')[1])).toEqual(['/busy', '/after']);
    } finally {
      await small.close();
    }
  });

  it('a declared Content-Length above the cap fails before any body byte; a duplicate length is refused, not guessed', async () => {
    const s = await rawServer((so, _head, i) => {
      if (i === 0) so.write('HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n');
      else so.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde');
    });
    expect(await client.send(request(s.origin, { maxResponseBytes: 1000 }))).toMatchObject({ ok: false, reason: 'too_large' });
    const dup = await client.send(request(s.origin));
    expect(dup.ok).toBe(false);
  });
});
