import { fullFormats } from 'ajv-formats/dist/formats.js';
import { describe, expect, it } from 'vitest';
import { createDraft07UserSchemaAjv, createUserSchemaAjv } from './ajv.js';
import { LINEAR_FORMATS } from './user-formats.js';

/** ajv-formats' own check for a format, to compare the linear replacements against. */
function original(name: string): (s: string) => boolean {
  const f = (fullFormats as Record<string, unknown>)[name];
  if (f instanceof RegExp) return (s) => f.test(s);
  if (typeof f === 'function') return f as (s: string) => boolean;
  const v = (f as { validate: RegExp | ((s: string) => boolean) }).validate;
  return v instanceof RegExp ? (s) => v.test(s) : v;
}

const SAMPLES: Record<string, string[]> = {
  url: [
    'http://example.com', 'https://example.com:8443/a/b?c=d#e', 'ftp://user:pass@files.example.org/x', 'HTTPS://EXAMPLE.COM', 'http://ex-ample.co.uk',
    'http://例え.テスト', 'http://a.b', 'http://localhost', 'http://8.8.8.8', 'http://8.8.8.8:80/x', 'http://1.2.3.4.5', 'http://10.0.0.1', 'http://127.0.0.1',
    'http://169.254.169.254', 'http://169.253.1.1', 'http://192.168.1.1', 'http://192.169.1.1', 'http://172.16.0.1', 'http://172.31.9.9', 'http://172.32.0.1',
    'http://172.15.0.1', 'http://100.1.1.1', 'http://224.0.0.1', 'http://1.1.1.0', 'http://1.1.1.255', 'http://10.1.1.1.nip.io', 'http://a@b@c.com/x@y',
    'http://exa mple.com', 'http://example.com/a b', 'mailto:x@y.z', 'http://-a.com', 'http://a-.com', 'http://a.c', 'http://a.com:1', 'http://a.com:123456', '',
  ],
  uri: [
    'http://example.com', 'urn:isbn:0451450523', 'mailto:a@b.c', 'http://[::1]:80/x', 'http://[v1.fe]/', 'HTTP://EXAMPLE.COM/%7Efoo', 'a:b', 'a:/b', 'http://a b',
    '//no-scheme', 'no-colon', 'http://%zz', 'http://x/"', "http://x/'()", 'ſ:x', 'k:x', '1a:x', 'http://1.2.3.4/', 'http://[1:2:3:4:5:6:7:8]/', 'http://[::ffff:1.2.3.4]/',
  ],
  'uri-reference': ['', '/a/b', '../x?y#z', '#frag', '//host/x', 'http://example.com', 'a b', '%zz', 'http://[::1]/', 'x"y', 'ſ', '?q', 'http://a/b\\c'],
  duration: ['P1Y', 'P1Y2M3DT4H5M6S', 'P1W', 'PT1H', 'PT1M', 'PT1S', 'PT1H1S', 'P', 'PT', 'P1', 'P1D1Y', 'P1YT', 'PT1H2M3S4', 'p1y', 'P1W1D', 'P12M', 'P1DT1H'],
  'date-time': ['2020-01-01T12:00:00Z', '2020-01-01t12:00:00.123+01:00', '2020-01-01 12:00:00Z', '2020-01-01T12:00:00', '2020-02-30T00:00:00Z', '2020-01-01T12:00:00Zt', 'tt', ''],
  'iso-date-time': ['2020-01-01T12:00:00Z', '2020-01-01T12:00:00', '2020-01-01 12:00:00.5', '2020-13-01T12:00:00', '2020-01-01T12:00:00 x', ''],
};

describe('linear format replacements: the same answers as ajv-formats', () => {
  it.each(Object.entries(SAMPLES))('%s', (name, samples) => {
    const ours = LINEAR_FORMATS[name]!.validate as (s: string) => boolean;
    const theirs = original(name);
    expect(samples.filter((s) => ours(s) !== theirs(s))).toEqual([]);
  });

  it('url: the private-address exclusions agree for every first and second octet as written (1-3 digits)', () => {
    const ours = LINEAR_FORMATS.url!.validate as (s: string) => boolean;
    const theirs = original('url');
    const octets: string[] = [];
    for (let len = 1; len <= 3; len++) for (let n = 0; n < 10 ** len; n++) octets.push(String(n).padStart(len, '0'));
    const differ: string[] = [];
    // Every (first, second) pair for the first octets that matter, and every first octet with a few second ones.
    for (const a of octets) {
      const seconds = ['10', '127', '169', '172', '192'].includes(a) ? octets : ['0', '16', '31', '168', '254', '255', '256', '016'];
      for (const b of seconds) {
        const s = `http://${a}.${b}.1.1`;
        if (ours(s) !== theirs(s)) differ.push(s);
      }
    }
    expect(differ).toEqual([]);
  });
});

/**
 * Adversarial inputs close to the 1 MiB request limit, per format: the shapes that make a backtracking engine
 * super-linear on each format's pattern. Before the replacements, `url` took minutes on these (quadratic: 5 s at
 * 64 KiB); every check now answers within the test timeout.
 */
const N = 1 << 19;
const ADVERSARIAL: Record<string, string[]> = {
  url: ['http://' + ':'.repeat(N), 'http://a:' + ':'.repeat(N), 'http://' + 'a:'.repeat(N / 2) + ' ', 'http://' + 'a@a.co/'.repeat(N / 8) + ' ', 'http://a' + '.a'.repeat(N / 2) + '!'],
  uri: ['A:/.3.5.3'.repeat(N / 16) + '.' + '2/.'.repeat(N / 16) + 'G\x00', 'a:' + 'a/'.repeat(N / 2) + '\x00', 'a://' + '%00'.repeat(N / 3) + '\x00'],
  'uri-reference': ['//' + '3.'.repeat(N / 4) + '2/.'.repeat(N / 4) + '\x00', 'a/'.repeat(N / 2) + '\x00', '//a' + ':'.repeat(N) + '\x00'],
  duration: ['P' + '1'.repeat(N) + '!', 'PT' + '1'.repeat(N) + '!', 'P' + '1Y'.repeat(N / 2)],
  'date-time': ['t'.repeat(N), ' '.repeat(N), '2020-01-01T12:00:00.' + '1'.repeat(N) + '!'],
  'iso-date-time': ['t'.repeat(N), '2020-01-01 12:00:00.' + '1'.repeat(N) + '!'],
  time: ['12:00:00.' + '1'.repeat(N) + '!'],
  email: ['a'.repeat(N) + '!', 'a@' + 'a'.repeat(N) + '!', 'a@a' + '-'.repeat(N) + '!', 'a' + '.a'.repeat(N / 2) + '!'],
  hostname: ['a.'.repeat(N / 2) + '!'],
  ipv6: ['1:'.repeat(N / 2) + '!', ':'.repeat(N)],
  'uri-template': ['{a' + ',a'.repeat(N / 2) + '\x00'],
  'json-pointer': ['/'.repeat(N) + '~', '/a'.repeat(N / 2) + '~'],
  'relative-json-pointer': ['1' + '/'.repeat(N) + '~'],
  byte: ['A'.repeat(N) + '!', 'A'.repeat(N) + '='],
  // Parsed by V8 (never run): invalid at the very end, so the whole string is read.
  regex: ['('.repeat(N), '(a)'.repeat(N / 3) + ')', 'a{1,2}'.repeat(N / 6) + '\\', Array.from({ length: N / 16 }, (_, i) => `(?<g${i}>)`).join('') + '('],
};

describe('formats answer adversarial 512 KiB inputs in linear time (2020-12 and draft-07 Ajv)', () => {
  const ajvs = [createUserSchemaAjv(), createDraft07UserSchemaAjv()];
  it.each(Object.entries(ADVERSARIAL))('%s', (format, inputs) => {
    for (const ajv of ajvs) {
      const v = ajv.compile({ type: 'string', format });
      for (const s of inputs) {
        expect(v(s)).toBe(false);
        expect(v.errors?.[0]).toMatchObject({ keyword: 'format', params: { format } });
      }
    }
  });
});
