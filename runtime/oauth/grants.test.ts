// Codes and refresh-token families on both stores. On Redis, two store clients stand for two runtime instances:
// a code issued through one redeems through the other, and one refresh token sent to both at once, 500 times,
// never yields two continuations.
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix, inCI, probeRedis } from '../../test/fixtures/redis-server.js';
import { createMemoryStore } from '../store/memory-store.js';
import { createRedisStore } from '../store/redis-store.js';
import type { Store } from '../store/store.js';
import { OAuthError } from './errors.js';
import { issueCode, issueRefreshToken, redeemCode, REFRESH_REUSE_GRACE_MS, revokeRefreshToken, rotateRefreshToken, type CodeRecord, type GrantRecord } from './grants.js';

const REDIS_URL = process.env.TENGINE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const RUN_PREFIX = `tengine-test:${randomUUID()}:oauth:`;
const DAY = 86_400_000;

const grant: GrantRecord = { clientId: 'client-a', projectId: 'p', integrationId: 'i', scopes: ['s'], resource: 'https://x.example/mcp' };
const codeRecord: CodeRecord = { ...grant, redirectUri: 'https://app.example/cb', redirectUriGiven: true, codeChallenge: createHash('sha256').update('v'.repeat(43)).digest('base64url') };

async function codeOf(e: Promise<unknown>): Promise<string> {
  try {
    await e;
  } catch (err) {
    expect(err).toBeInstanceOf(OAuthError);
    return (err as OAuthError).code;
  }
  return 'none';
}

function grantSuite(name: string, make: () => Promise<[Store, Store]>) {
  describe(`grants on ${name}`, () => {
    let a: Store;
    let b: Store;
    beforeAll(async () => {
      [a, b] = await make();
    });
    afterAll(async () => {
      await a?.close();
      if (b !== a) await b?.close();
    });

    it('a code issued on one instance redeems once on the other; a second redemption revokes the family', async () => {
      const code = await issueCode(a, codeRecord);
      const { record, family } = await redeemCode(b, code, DAY, () => undefined);
      expect(record).toEqual(codeRecord);
      const now = Date.now();
      const rt = await issueRefreshToken(b, grant, family, now + DAY, now);
      expect(await codeOf(redeemCode(a, code, DAY, () => undefined))).toBe('invalid_grant');
      expect(await codeOf(rotateRefreshToken(a, rt, 'client-a', Date.now()))).toBe('invalid_grant');
    });

    it('a failed check spends the code', async () => {
      const code = await issueCode(a, codeRecord);
      expect(await codeOf(redeemCode(a, code, DAY, () => { throw new OAuthError('invalid_grant', 'no'); }))).toBe('invalid_grant');
      expect(await codeOf(redeemCode(a, code, DAY, () => undefined))).toBe('invalid_grant');
    });

    it('rotation: the successor works; the spent token within the grace window is refused without revoking, later it revokes', async () => {
      const code = await issueCode(a, codeRecord);
      const { family } = await redeemCode(a, code, DAY, () => undefined);
      const t0 = Date.now();
      const first = await issueRefreshToken(a, grant, family, t0 + DAY, t0);
      const r1 = await rotateRefreshToken(b, first, 'client-a', t0);
      const second = await issueRefreshToken(b, r1.grant, r1.family, r1.familyExpiresAt, t0);
      expect(await codeOf(rotateRefreshToken(a, first, 'client-a', t0 + 1000))).toBe('invalid_grant');
      // Still alive: the reuse fell inside the grace window.
      const r2 = await rotateRefreshToken(a, second, 'client-a', t0 + 2000);
      const third = await issueRefreshToken(a, r2.grant, r2.family, r2.familyExpiresAt, t0 + 2000);
      // A replay of the first token long after: the whole family goes.
      expect(await codeOf(rotateRefreshToken(b, first, 'client-a', t0 + REFRESH_REUSE_GRACE_MS + 5000))).toBe('invalid_grant');
      expect(await codeOf(rotateRefreshToken(b, third, 'client-a', t0 + REFRESH_REUSE_GRACE_MS + 6000))).toBe('invalid_grant');
    });

    it('revocation by its client stops the family; by another client changes nothing', async () => {
      const code = await issueCode(a, codeRecord);
      const { family } = await redeemCode(a, code, DAY, () => undefined);
      const now = Date.now();
      const rt = await issueRefreshToken(a, grant, family, now + DAY, now);
      await revokeRefreshToken(b, rt, 'client-b', now);
      const next = await rotateRefreshToken(a, rt, 'client-a', now);
      const rt2 = await issueRefreshToken(a, next.grant, next.family, next.familyExpiresAt, now);
      await revokeRefreshToken(b, rt2, 'client-a', now);
      expect(await codeOf(rotateRefreshToken(a, rt2, 'client-a', now))).toBe('invalid_grant');
    });

    it('one refresh token sent to two instances at once, 500 times: never two continuations', async () => {
      for (let i = 0; i < 500; i++) {
        const code = await issueCode(a, codeRecord);
        const { family } = await redeemCode(a, code, DAY, () => undefined);
        const now = Date.now();
        const rt = await issueRefreshToken(a, grant, family, now + DAY, now);
        const outcomes = await Promise.allSettled([rotateRefreshToken(a, rt, 'client-a', now), rotateRefreshToken(b, rt, 'client-a', now)]);
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
        expect((refused.reason as OAuthError).code).toBe('invalid_grant');
      }
    }, 60_000);

    it('store keys hold digests, never the code or token itself', async () => {
      const code = await issueCode(a, codeRecord);
      expect(await a.get(`oauth:code:${code}`)).toBeUndefined();
      expect(await a.get(`oauth:code:${createHash('sha256').update(code).digest('base64url')}`)).toBeDefined();
      expect(code).toMatch(/^tng_ac_[A-Za-z0-9_-]{43}$/);
    });
  });
}

grantSuite('the memory store (one instance)', async () => {
  const s = createMemoryStore();
  return [s, s];
});

const redisProbe = await probeRedis(REDIS_URL);
if (redisProbe !== undefined && !inCI()) console.warn(`Skipping the Redis leg of the OAuth grants: ${redisProbe}. Set CI=1 to fail instead.`);
describe.skipIf(redisProbe !== undefined && !inCI())('Redis', () => {
  it(`Redis at ${REDIS_URL} is reachable`, () => {
    expect(redisProbe).toBeUndefined();
  });
  afterAll(async () => {
    if (redisProbe === undefined) await deleteKeysWithPrefix(REDIS_URL, RUN_PREFIX);
  });
  grantSuite('Redis (two instances)', async () => [await createRedisStore({ url: REDIS_URL, keyPrefix: RUN_PREFIX }), await createRedisStore({ url: REDIS_URL, keyPrefix: RUN_PREFIX })]);
});
