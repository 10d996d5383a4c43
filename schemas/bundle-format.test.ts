import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64UrlStrict } from './bundle-format.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('decodeBase64UrlStrict', () => {
  it('property: accepts exactly the texts that are the canonical base64url of their bytes (RFC 4648 §5, no padding)', () => {
    const text = fc.array(fc.constantFrom(...ALPHABET, '=', '+', '/', ' '), { maxLength: 12 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(fc.oneof(text, fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString('base64url'))), (t) => {
        const canonical = /^[A-Za-z0-9_-]*$/.test(t) && Buffer.from(t, 'base64url').toString('base64url') === t;
        const decoded = decodeBase64UrlStrict(t);
        expect(decoded !== undefined).toBe(canonical);
        if (decoded) expect(Buffer.from(decoded).toString('base64url')).toBe(t);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a dangling character and set unused bits in the last character', () => {
    expect(decodeBase64UrlStrict('QUJD')).toEqual(new Uint8Array([65, 66, 67]));
    expect(decodeBase64UrlStrict('QUJDR')).toBeUndefined();
    expect(decodeBase64UrlStrict('QQ')).toEqual(new Uint8Array([65]));
    expect(decodeBase64UrlStrict('QR')).toBeUndefined();
    expect(decodeBase64UrlStrict('QUI')).toEqual(new Uint8Array([65, 66]));
    expect(decodeBase64UrlStrict('QUJ')).toBeUndefined();
    expect(decodeBase64UrlStrict('QUI=')).toBeUndefined();
  });
});
