import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Generations } from './generations.js';
import { Reloader, type ReloadOutcome } from './reloader.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

/** A server routing through `g`; generation `name` answers after `?ms=` milliseconds with its name. */
async function serve(g: () => Generations): Promise<string> {
  server = createServer((req, res) => g().listener(req, res));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function generation(name: string, released: string[]) {
  return {
    digest: `sha256:${name}`,
    listener: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
      const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? 0);
      setTimeout(() => res.end(name), ms);
    },
    release: async () => {
      released.push(name);
    },
  };
}

describe('Generations', () => {
  it('a swap sends new requests to the new generation; the old one finishes its request and only then is released', async () => {
    const released: string[] = [];
    const gens = new Generations(generation('a', released));
    const url = await serve(() => gens);
    const slow = fetch(`${url}/?ms=300`).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 50));
    expect(gens.inFlight()).toBe(1);
    gens.swap(generation('b', released));
    expect(gens.digest).toBe('sha256:b');
    expect(await (await fetch(url)).text()).toBe('b');
    expect(released).toEqual([]);
    expect(await slow).toBe('a');
    await new Promise((r) => setTimeout(r, 20));
    expect(released).toEqual(['a']);
    expect(gens.inFlight()).toBe(0);
  });

  it('an idle generation is released at the swap; whenIdle resolves false at its deadline and true once idle', async () => {
    const released: string[] = [];
    const gens = new Generations(generation('a', released));
    gens.swap(generation('b', released));
    expect(released).toEqual(['a']);
    const url = await serve(() => gens);
    const pending = fetch(`${url}/?ms=200`);
    await new Promise((r) => setTimeout(r, 50));
    expect(await gens.whenIdle(20)).toBe(false);
    expect(await gens.whenIdle(2_000)).toBe(true);
    await pending;
    await gens.releaseAll();
    expect(released).toEqual(['a', 'b']);
  });
});

describe('Reloader', () => {
  it('coalesces requests arriving during a reload into exactly one more', async () => {
    let runs = 0;
    const reloader = new Reloader(async (): Promise<ReloadOutcome> => {
      runs++;
      await new Promise((r) => setTimeout(r, 30));
      return { result: 'unchanged', digest: `run-${runs}` };
    });
    const first = reloader.request();
    const later = Array.from({ length: 10 }, () => reloader.request());
    const outcomes = await Promise.all([first, ...later]);
    expect(runs).toBe(2);
    expect(outcomes[0]).toMatchObject({ digest: 'run-1' });
    expect(new Set(outcomes.slice(1).map((o) => (o as { digest: string }).digest))).toEqual(new Set(['run-2']));
    await reloader.request();
    expect(runs).toBe(3);
  });
});
