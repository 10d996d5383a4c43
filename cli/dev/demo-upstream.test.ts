// Tests of examples/demo-upstream (the quick start's notes API). They live here because vitest collects tests from
// cli/, runtime/, schemas/ and test/, and `tengine dev` is what starts the demo upstream.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDemoUpstream, type DemoUpstream } from '../../examples/demo-upstream/server.js';

let upstream: DemoUpstream;
let lines: string[];

beforeEach(async () => {
  lines = [];
  upstream = await startDemoUpstream({ port: 0, log: (l) => lines.push(l), now: () => new Date('2025-02-01T12:00:00.000Z') });
});
afterEach(async () => {
  await upstream.close();
});

async function call(path: string, init: RequestInit = {}) {
  const res = await fetch(`${upstream.url}${path}`, init);
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

function post(body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  return call('/notes', { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

describe('GET /notes (list_notes: q, limit)', () => {
  it('lists the seed notes, pinned first and then newest first, with excerpts instead of full text', async () => {
    const r = await call('/notes?q=&limit=20');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.body.total).toBe(4);
    expect(r.body.returned).toBe(4);
    expect(r.body.notes.map((n: any) => n.id)).toEqual(['n_1', 'n_4', 'n_3', 'n_2']);
    expect(r.body.notes[0]).toMatchObject({ pinned: true, title: 'Welcome to the demo notes app' });
    expect(r.body.notes[0].excerpt.length).toBeLessThanOrEqual(120);
    expect(r.body.notes[0]).not.toHaveProperty('text');
  });

  it('matches every word of q against title, text and tags, case-insensitively, and caps with limit', async () => {
    expect((await call('/notes?q=LEMONS&limit=20')).body.notes.map((n: any) => n.id)).toEqual(['n_2']);
    expect((await call('/notes?q=idea%20friday&limit=20')).body.notes.map((n: any) => n.id)).toEqual(['n_3']);
    expect((await call('/notes?q=idea%20lemons&limit=20')).body.total).toBe(0);
    const capped = await call('/notes?q=&limit=2');
    expect(capped.body).toMatchObject({ total: 4, returned: 2 });
  });

  it('answers 400 with a JSON error for a limit outside 1..100', async () => {
    for (const limit of ['0', '101', 'ten', '-1', '2.5']) {
      const r = await call(`/notes?q=&limit=${limit}`);
      expect(r.status, limit).toBe(400);
      expect(r.body.error).toBe('bad_request');
    }
  });
});

describe('GET /notes/{id} (get_note)', () => {
  it('returns the full note, conforming to the output_schema of get_note', async () => {
    const r = await call('/notes/n_2');
    expect(r.status).toBe(200);
    // output_schema: {id, title, text: string (required); tags: string[]; created_at, updated_at: string}
    expect(typeof r.body.id).toBe('string');
    expect(typeof r.body.title).toBe('string');
    expect(typeof r.body.text).toBe('string');
    expect(r.body.tags.every((t: unknown) => typeof t === 'string')).toBe(true);
    expect(typeof r.body.created_at).toBe('string');
    expect(typeof r.body.updated_at).toBe('string');
    expect(r.body).toMatchObject({ id: 'n_2', title: 'Groceries', tags: ['todo', 'home'] });
  });

  it('answers 404 with a JSON error for an unknown id', async () => {
    const r = await call('/notes/n_999');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: 'note_not_found', message: 'no note with id "n_999"' });
  });
});

describe('POST /notes (create_note)', () => {
  it('creates a note from the body_template fields and returns it with 201 and a Location', async () => {
    const r = await post({ title: 'Call Sam', text: 'About the offsite', tags: ['todo'], pinned: true, source: 'tengine:demo/local' });
    expect(r.status).toBe(201);
    expect(r.headers.get('location')).toBe('/notes/n_5');
    expect(r.body).toEqual({
      id: 'n_5',
      title: 'Call Sam',
      text: 'About the offsite',
      tags: ['todo'],
      pinned: true,
      source: 'tengine:demo/local',
      created_at: '2025-02-01T12:00:00Z',
      updated_at: '2025-02-01T12:00:00Z',
    });
    expect((await call('/notes/n_5')).body.title).toBe('Call Sam');
    expect((await call('/notes?q=&limit=1')).body.notes[0].id).toBe('n_5');
  });

  it('answers 400 for malformed JSON, a missing title, wrong types and unknown fields', async () => {
    expect((await post('{"title": ')).status).toBe(400);
    const bad = await post({ text: 'x', tags: 'todo', pinned: 'yes', colour: 'red' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_note');
    expect(bad.body.errors).toEqual([
      'unknown field "colour"',
      '"title" must be a non-empty string of at most 200 characters',
      '"tags" must be an array of at most 10 non-empty strings of at most 40 characters',
      '"pinned" must be true or false',
    ]);
    expect((await post([1, 2])).status).toBe(400);
  });

  it('answers 415 for a body that is not JSON', async () => {
    expect((await post('title=x', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
  });
});

describe('GET /whoami (whoami)', () => {
  it('echoes the X-Tengine-* headers and the project/integration query it received', async () => {
    const headers = {
      'X-Tengine-Project-Id': 'demo',
      'X-Tengine-Integration-Id': 'local',
      'X-Tengine-Request-Id': '8f0c9a52-8a1e-4c1e-9d55-2f4b3b1f7a10',
      'X-Tengine-Timestamp': '1738411200',
      'X-Tengine-Member-Id': 'u_42',
      'X-Tengine-Member-Roles': 'admin,editor',
      'X-Other': 'not echoed',
    };
    const r = await call('/whoami?project=demo&integration=local', { headers });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      project: 'demo',
      integration: 'local',
      request_id: '8f0c9a52-8a1e-4c1e-9d55-2f4b3b1f7a10',
      member: { id: 'u_42', email: null, roles: ['admin', 'editor'] },
      consistent: true,
      tengine_headers: {
        'x-tengine-integration-id': 'local',
        'x-tengine-member-id': 'u_42',
        'x-tengine-member-roles': 'admin,editor',
        'x-tengine-project-id': 'demo',
        'x-tengine-request-id': '8f0c9a52-8a1e-4c1e-9d55-2f4b3b1f7a10',
        'x-tengine-timestamp': '1738411200',
      },
    });
  });

  it('reports consistent: false when the query and the headers disagree', async () => {
    const r = await call('/whoami?project=demo&integration=local', { headers: { 'X-Tengine-Project-Id': 'other' } });
    expect(r.body).toMatchObject({ consistent: false, member: null, request_id: null });
  });
});

describe('other requests and logging', () => {
  it('answers unknown routes with 404 JSON and wrong methods with 405 and Allow', async () => {
    expect((await call('/nope')).status).toBe(404);
    const r = await call('/notes/n_1', { method: 'DELETE' });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET');
  });

  it('logs each request line with the request id and member id it received', async () => {
    await call('/notes?q=&limit=1', { headers: { 'X-Tengine-Request-Id': 'req-1', 'X-Tengine-Member-Id': 'm-7' } });
    await call('/notes/n_404');
    expect(lines[0]).toMatch(/^demo-upstream GET \/notes\?q=&limit=1 -> 200 \(\d+ ms\) request_id=req-1 member_id=m-7$/);
    expect(lines[1]).toMatch(/GET \/notes\/n_404 -> 404 .* request_id=- member_id=-$/);
  });

  it('rejects a second server on the same port with EADDRINUSE', async () => {
    const port = Number(new URL(upstream.url).port);
    await expect(startDemoUpstream({ port, log: () => {} })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
