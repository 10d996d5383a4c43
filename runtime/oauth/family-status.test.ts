import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../store/memory-store.js';
import { FAMILY_STATUS_TTL_MS, FamilyStatus } from './family-status.js';
import { revokeFamily } from './grants.js';

describe('FamilyStatus (the revocation list at /mcp)', () => {
  it('reads a family at most once per TTL; a revocation shows once the TTL has passed', async () => {
    const store = createMemoryStore();
    let now = 1_000_000;
    const status = new FamilyStatus(store, () => now);
    await store.set('oauth:family:f1', 'active', 60_000);
    expect(await status.check('f1')).toBe('active');
    await revokeFamily(store, 'f1', 60_000);
    now += FAMILY_STATUS_TTL_MS - 1;
    expect(await status.check('f1')).toBe('active');
    now += 2;
    expect(await status.check('f1')).toBe('revoked');
    await store.close();
  });

  it('a family the store no longer holds (expired) is not revoked', async () => {
    const store = createMemoryStore();
    expect(await new FamilyStatus(store, Date.now).check('gone')).toBe('active');
    await store.close();
  });

  it('with the store down: a status read before still answers; a family never read is unknown (refused, not let through)', async () => {
    const store = createMemoryStore();
    let now = 1_000_000;
    const status = new FamilyStatus(store, () => now);
    await revokeFamily(store, 'seen-revoked', 60_000);
    expect(await status.check('seen-revoked')).toBe('revoked');
    expect(await status.check('seen-active')).toBe('active');
    await store.close();
    now += FAMILY_STATUS_TTL_MS * 10;
    expect(await status.check('seen-revoked')).toBe('revoked');
    expect(await status.check('seen-active')).toBe('active');
    expect(await status.check('never-seen')).toBe('unknown');
  });
});
