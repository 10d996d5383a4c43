// Issue 8, defect 7: one member assertion mints at most one session. An `aud` list naming several projects is
// refused (AUD_MISMATCH) instead of minting a session in each of them with one `jti`, and an assertion without
// `jti` (the compatible product's own client code mints none) is guarded on its signed bytes, so it is accepted
// once: replays, concurrent replays and a re-encoded ECDSA signature of the same bytes are all REPLAYED.
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TengineConfig } from '../schemas/config-types.js';
import { assertionKeyConfig, generateAssertionKey, mintAssertion, type TestAssertionKey } from './fixtures/member-fixtures.js';
import { inProcessApp } from './fixtures/runtime-harness.js';

const ENDPOINT = '/api/v1/mcp/session-token';
// Order of the P-256 group: s and n - s are both valid ECDSA signatures of the same bytes.
const P256_N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

let app: Hono;
let apiKeys: Record<string, string>;
let key: TestAssertionKey;
let close: () => Promise<void>;

beforeAll(async () => {
  // One customer key registered in two projects: the setup in which a multi-audience assertion is a real risk.
  key = generateAssertionKey('ES256', 'shared-backend-v1');
  const config: TengineConfig = {
    version: 1,
    projects: ['crm', 'billing'].map((id) => ({ id, environment: 'production' as const, assertion_keys: [assertionKeyConfig(key)], integrations: [{ id: 'backend', kind: 'api_key' as const }] })),
  };
  const built = await inProcessApp(config);
  ({ app, apiKeys, close } = built);
});

afterAll(async () => {
  await close?.();
});

async function exchange(project: string, assertion: string): Promise<{ status: number; body: Record<string, any> }> {
  const res = await app.request(ENDPOINT, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKeys[`${project}/backend`]!}`, 'content-type': 'application/json' },
    body: JSON.stringify({ member_assertion: assertion }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** The other valid ES256 signature of the same bytes: (r, s) → (r, n − s). */
function twinSignature(jwt: string): string {
  const [h, p, sig] = jwt.split('.') as [string, string, string];
  const raw = Buffer.from(sig, 'base64url');
  const s = BigInt(`0x${raw.subarray(32).toString('hex')}`);
  const flipped = Buffer.from((P256_N - s).toString(16).padStart(64, '0'), 'hex');
  return `${h}.${p}.${Buffer.concat([raw.subarray(0, 32), flipped]).toString('base64url')}`;
}

const REPLAYED = { status: 401, body: { detail: 'Invalid member assertion: REPLAYED', code: 'REPLAYED' } };
const AUD_MISMATCH = { status: 401, body: { detail: 'Invalid member assertion: AUD_MISMATCH', code: 'AUD_MISMATCH' } };

describe('exactly one audience (one assertion, one project)', () => {
  it('aud: [project-a, project-b] with one jti → AUD_MISMATCH in both projects, no session minted', async () => {
    const assertion = await mintAssertion(key, 'crm', { claims: { aud: ['tengine:project:crm', 'tengine:project:billing'] } });
    expect(await exchange('crm', assertion)).toEqual(AUD_MISMATCH);
    expect(await exchange('billing', assertion)).toEqual(AUD_MISMATCH);
  });

  it('an aud list repeating the same project twice is refused too (exactly one entry)', async () => {
    const assertion = await mintAssertion(key, 'crm', { claims: { aud: ['tengine:project:crm', 'tengine:project:crm'] } });
    expect(await exchange('crm', assertion)).toEqual(AUD_MISMATCH);
  });

  it('aud as a list of exactly one entry is the same as the string: accepted once', async () => {
    const assertion = await mintAssertion(key, 'billing', { claims: { aud: ['tengine:project:billing'] } });
    const first = await exchange('billing', assertion);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ project_id: 'billing', member_id: 'alice' });
    expect(await exchange('billing', assertion)).toEqual(REPLAYED);
  });
});

describe('replay guard without jti (RFC 7519 makes jti optional)', () => {
  it('the same assertion without jti exchanged five times: one session, four REPLAYED', async () => {
    const assertion = await mintAssertion(key, 'crm', { claims: { jti: undefined, sub: 'no-jti-sequential' } });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await exchange('crm', assertion));
    expect(answers[0]!.status, JSON.stringify(answers[0]!.body)).toBe(200);
    expect(answers[0]!.body.token).toMatch(/^tng_mst_/);
    for (const a of answers.slice(1)) expect(a).toEqual(REPLAYED);
  });

  it('five concurrent exchanges of one assertion without jti: exactly one session', async () => {
    const assertion = await mintAssertion(key, 'crm', { claims: { jti: undefined, sub: 'no-jti-concurrent' } });
    const answers = await Promise.all(Array.from({ length: 5 }, () => exchange('crm', assertion)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 401 && a.body.code === 'REPLAYED')).toHaveLength(4);
  });

  it('a re-encoded ECDSA signature (s → n − s) of the same bytes is REPLAYED, though it verifies on its own', async () => {
    // A twin used first is a valid assertion: the guard must not depend on which of the two spellings arrives.
    const alone = await mintAssertion(key, 'crm', { claims: { jti: undefined, sub: 'no-jti-malleable-alone' } });
    expect((await exchange('crm', twinSignature(alone))).status).toBe(200);

    const original = await mintAssertion(key, 'crm', { claims: { jti: undefined, sub: 'no-jti-malleable' } });
    const twin = twinSignature(original);
    expect(twin).not.toBe(original);
    expect((await exchange('crm', original)).status).toBe(200);
    expect(await exchange('crm', twin)).toEqual(REPLAYED);
  });

  it('another base64url spelling of the same signature bytes (unused trailing bits) is REPLAYED', async () => {
    const original = await mintAssertion(key, 'crm', { claims: { jti: undefined, sub: 'no-jti-b64' } });
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // 64 signature bytes take 86 characters; the last one carries 2 bits, the other 4 are ignored when decoding.
    const last = alphabet.indexOf(original.at(-1)!);
    const respelled = original.slice(0, -1) + alphabet[last ^ 1]!;
    expect(Buffer.from(respelled.split('.')[2]!, 'base64url')).toEqual(Buffer.from(original.split('.')[2]!, 'base64url'));
    expect((await exchange('crm', original)).status).toBe(200);
    expect(await exchange('crm', respelled)).toEqual(REPLAYED);
  });

  it('two ES256 assertions minted at the same second with the same claims are two assertions (randomized signatures): both accepted', async () => {
    const iat = Math.floor(Date.now() / 1000);
    const [a, b] = await Promise.all([0, 1].map(() => mintAssertion(key, 'crm', { claims: { jti: undefined, sub: 'no-jti-parallel' }, iat })));
    expect(a!.split('.').slice(0, 2)).toEqual(b!.split('.').slice(0, 2));
    const answers = await Promise.all([exchange('crm', a!), exchange('crm', b!)]);
    expect(answers.map((x) => x.status)).toEqual([200, 200]);
  });

  it('two different assertions without jti for the same member are both accepted (the guard is per assertion)', async () => {
    const a = await mintAssertion(key, 'crm', { claims: { jti: undefined, sub: 'no-jti-twice' }, iat: Math.floor(Date.now() / 1000) });
    const b = await mintAssertion(key, 'crm', { claims: { jti: undefined, sub: 'no-jti-twice' }, iat: Math.floor(Date.now() / 1000) - 1 });
    expect((await exchange('crm', a)).status).toBe(200);
    expect((await exchange('crm', b)).status).toBe(200);
  });

  it('the guard is per project: a jti-less assertion for crm does not block the same bytes elsewhere, which fail AUD_MISMATCH anyway', async () => {
    const assertion = await mintAssertion(key, 'crm', { claims: { jti: undefined, sub: 'no-jti-project' } });
    expect(await exchange('billing', assertion)).toEqual(AUD_MISMATCH);
    expect((await exchange('crm', assertion)).status).toBe(200);
  });
});
