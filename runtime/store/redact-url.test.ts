import { describe, expect, it } from 'vitest';
import { redactUrl } from './redact-url.js';

describe('redactUrl (docs/storage.md: messages carry the URL without user, password or query)', () => {
  it.each([
    ['redis://:pass@10.0.0.5:6379', 'redis://10.0.0.5:6379'],
    ['rediss://user:pass@cache.example.com:6380/2?x=1', 'rediss://cache.example.com:6380/2'],
    ['redis://10.0.0.5', 'redis://10.0.0.5'],
    // An unencoded "/" in the password: what follows it parses as a path and must not be printed.
    ['redis://user:6379/s3cr3t@10.0.0.5:6379', 'redis://user:6379'],
    ['redis://:s3cr/et@10.0.0.5:6379', '(unparsable URL)'],
  ])('%s → %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });
});
