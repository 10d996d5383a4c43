import { describe, expect, it } from 'vitest';
import { checkRemotePrefix, remoteAllowed } from './remote.js';

describe('allow_remote_refs prefixes', () => {
  it('accepts https prefixes and loopback http, normalized (an origin alone gains its /)', () => {
    expect(checkRemotePrefix('https://Schemas.Example.com')).toEqual({ prefix: 'https://schemas.example.com/' });
    expect(checkRemotePrefix('https://schemas.example.com/common/')).toEqual({ prefix: 'https://schemas.example.com/common/' });
    expect(checkRemotePrefix('http://127.0.0.1:8080/x/')).toEqual({ prefix: 'http://127.0.0.1:8080/x/' });
    expect(checkRemotePrefix('http://localhost/x')).toEqual({ prefix: 'http://localhost/x' });
  });

  it('refuses plain http elsewhere, other schemes, credentials, queries, fragments and relative URLs', () => {
    for (const bad of ['http://schemas.example.com/', 'http://127.0.0.2/', 'file:///etc/', 'ftp://127.0.0.1/', 'https://u:p@x.example.com/', 'https://x.example.com/?a=1', 'https://x.example.com/#a', 'https://x.example.com/?', '/common/', 'x.example.com/']) {
      expect(checkRemotePrefix(bad), bad).toHaveProperty('problem');
    }
  });

  it('matches by path segment: a prefix without / covers itself and what lies below it, never a longer name', () => {
    expect(remoteAllowed('https://a.example.com/common/pet.yaml', ['https://a.example.com/common/'])).toBe(true);
    expect(remoteAllowed('https://a.example.com/common/pet.yaml', ['https://a.example.com/common'])).toBe(true);
    expect(remoteAllowed('https://a.example.com/common', ['https://a.example.com/common'])).toBe(true);
    expect(remoteAllowed('https://a.example.com/common-x/pet.yaml', ['https://a.example.com/common'])).toBe(false);
    expect(remoteAllowed('https://a.example.com.evil.net/pet.yaml', [(checkRemotePrefix('https://a.example.com') as { prefix: string }).prefix])).toBe(false);
    expect(remoteAllowed('http://a.example.com/common/pet.yaml', ['https://a.example.com/'])).toBe(false);
    expect(remoteAllowed('https://a.example.com/common/pet.yaml', [])).toBe(false);
  });
});
