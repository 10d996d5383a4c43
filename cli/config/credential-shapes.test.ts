import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findCredential, looksRandom, TENGINE_CREDENTIAL } from './credential-shapes.js';

// Test values are assembled at run time, so no file of this repository holds a literal credential.
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
let drbgCounter = 0;
/**
 * Random-looking letters and digits, as most API tokens are, from a fixed seed: the detector is a heuristic that
 * misses a fraction of a percent of random tokens, so truly random inputs would make these tests fail now and then.
 */
function token(n: number): string {
  let bytes = Buffer.alloc(0);
  while (bytes.length < n) bytes = Buffer.concat([bytes, createHash('sha256').update(`credential-shapes-test:${drbgCounter++}`).digest()]);
  return Array.from(bytes.subarray(0, n), (b) => ALNUM[b % 62]).join('');
}
/** Seeded bytes for the values a test expects to be found (same reason as `token`). */
function bytes(n: number): Buffer {
  let out = Buffer.alloc(0);
  while (out.length < n) out = Buffer.concat([out, createHash('sha256').update(`credential-shapes-bytes:${drbgCounter++}`).digest()]);
  return out.subarray(0, n);
}
const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const ed = generateKeyPairSync('ed25519');
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

describe('findCredential: the documented shapes (docs/config.md §5.2)', () => {
  it.each([
    ['a PEM private key (PKCS#8)', () => ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'a PEM private key'],
    ['a PEM private key (PKCS#1 RSA)', () => rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), 'a PEM private key'],
    ['an ENCRYPTED PRIVATE KEY', () => rsa.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'p' }).toString(), 'a PEM private key'],
    ['an OPENSSH PRIVATE KEY', () => `-----BEGIN OPENSSH PRIVATE KEY-----\n${bytes(48).toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n`, 'a PEM private key'],
    ['a JWT (JWS compact, header with alg)', () => `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: '1' })}.${bytes(32).toString('base64url')}`, 'a JSON Web Token'],
    ['a JWT after "Bearer "', () => `Bearer ${b64url({ alg: 'RS256' })}.${b64url({ sub: '1' })}.${bytes(64).toString('base64url')}`, 'a JSON Web Token'],
    ['a Tengine API key', () => `tengine_${bytes(32).toString('base64url')}`, TENGINE_CREDENTIAL],
    ['a Stripe live key', () => `sk_live_${token(24)}`, 'a Stripe secret key'],
    ['a Stripe test key inside a sentence', () => `key=sk_test_${token(24)} for tests`, 'a Stripe secret key'],
    ['a Stripe restricted key', () => `rk_live_${token(24)}`, 'a Stripe secret key'],
    ['a GitHub personal access token', () => `ghp_${token(36)}`, 'a GitHub token'],
    ['a GitHub app token', () => `ghs_${token(36)}`, 'a GitHub token'],
    ['a fine-grained GitHub token', () => `github_pat_${token(22)}_${token(59)}`, 'a GitHub token'],
    ['a GitLab token', () => `glpat-${token(20)}`, 'a GitLab token'],
    ['a Slack bot token', () => `xoxb-${token(10)}-${token(12)}`, 'a Slack token'],
    ['an AWS access key id', () => `AKIA${token(16).toUpperCase()}`, 'an AWS access key ID'],
    ['an AWS temporary key id', () => `ASIA${token(16).toUpperCase()}`, 'an AWS access key ID'],
    ['a Google API key', () => `AIza${token(35)}`, 'a Google API key'],
    ['an npm token', () => `npm_${token(36)}`, 'an npm token'],
    ['an OpenAI key', () => `sk-${token(48)}`, 'an OpenAI API key'],
    ['an OpenAI project key', () => `sk-proj-${token(40)}`, 'an OpenAI API key'],
    ['an Anthropic key', () => `sk-ant-api03-${token(80)}`, 'an Anthropic API key'],
    ['a SendGrid key', () => `SG.${token(22)}.${token(43)}`, 'a SendGrid API key'],
    ['a Twilio API key SID', () => `SK${bytes(16).toString('hex')}`, 'a Twilio API key'],
    ['a URL with a password', () => `postgres://app:${token(12)}@db.internal:5432/app`, 'a URL with a password'],
    ['HTTP Basic credentials', () => `Basic ${Buffer.from(`user:${token(12)}`).toString('base64')}`, 'HTTP Basic credentials'],
    ['a random 32-character token', () => `X ${token(32)} Y`, 'a random-looking token'],
    ['a random base64 secret', () => bytes(48).toString('base64'), 'a random-looking token'],
    ['a random base64 secret that starts with /', () => `/${bytes(47).toString('base64')}`, 'a random-looking token'],
    ['a random token as a query value', () => `https://api.example.com/v1/x?access_token=${token(40)}`, 'a random-looking token'],
    // Issue 8 re-run, F5: shapes that passed the check and reached the bundle in clear.
    ['base64 of a PEM private key (PKCS#8)', () => Buffer.from(ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()).toString('base64'), 'a base64-encoded PEM private key'],
    ['base64 of a PEM RSA private key, line-wrapped as base64(1) writes it', () => Buffer.from(rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()).toString('base64').replace(/.{76}/g, '$&\n'), 'a base64-encoded PEM private key'],
    ['base64url of a PEM private key', () => Buffer.from(ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()).toString('base64url'), 'a base64-encoded PEM private key'],
    ['a Redis URL with a password and no user', () => `redis://:${token(16)}@redis.internal:6379/0`, 'a URL with a password'],
    ['a URL whose password holds /', () => `postgres://app:${token(6)}/${token(6)}@db.internal:5432/app`, 'a URL with a password'],
    ['a Discord webhook URL', () => `https://discord.com/api/webhooks/${'1234567890'.repeat(2).slice(0, 19)}/${token(68)}`, 'a Discord webhook URL'],
    ['a Discord webhook path (base_url https://discord.com)', () => `/api/webhooks/${'9876543210'.repeat(2).slice(0, 18)}/${token(34)}-${token(33)}`, 'a Discord webhook URL'],
    ['a Slack webhook URL', () => `https://hooks.slack.com/services/T${token(8).toUpperCase()}/B${token(10).toUpperCase()}/${token(24)}`, 'a Slack webhook URL'],
    ['a Slack webhook path (base_url https://hooks.slack.com)', () => `/services/T${token(8).toUpperCase()}/B${token(10).toUpperCase()}/${token(24)}`, 'a Slack webhook URL'],
    ['a Slack workflow webhook URL', () => `https://hooks.slack.com/workflows/T${token(8).toUpperCase()}/A${token(8).toUpperCase()}/${'4'.repeat(18)}/${token(24)}`, 'a Slack webhook URL'],
    ['a Docker config JSON', () => JSON.stringify({ auths: { 'registry.example.com': { auth: Buffer.from(`deploy:${token(16)}`).toString('base64') } } }), 'a Docker registry credential'],
    ['a short Docker config JSON (no 16-character word)', () => JSON.stringify({ auths: { r: { auth: Buffer.from(`u:${token(5)}`).toString('base64') } } }), 'a Docker registry credential'],
    ['a pretty-printed Docker config JSON', () => JSON.stringify({ auths: { 'ghcr.io': { auth: Buffer.from(`bot:${token(20)}`).toString('base64') } } }, null, 2), 'a Docker registry credential'],
  ])('%s', (_name, make, kind) => {
    expect(findCredential(make())).toBe(kind);
  });
});

describe('findCredential: what a config legitimately holds is not a credential', () => {
  it.each([
    ['a UUID', () => randomUUID()],
    ['an upper-case UUID', () => randomUUID().toUpperCase()],
    ['a SHA-256 hex digest (api key and client secret hashes)', () => createHash('sha256').update('x').digest('hex')],
    ['a commit SHA', () => createHash('sha1').update('x').digest('hex')],
    ['a compact JWE (encrypted_auth_secret)', () => [b64url({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: 'k1' }), ...[40, 12, 60, 16].map((n) => randomBytes(n).toString('base64url'))].join('.')],
    ['a PEM public key (assertion keys)', () => ed.publicKey.export({ type: 'spki', format: 'pem' }).toString()],
    ['an RSA PEM public key', () => rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString()],
    ['an https origin', () => 'https://api.crm.example.com'],
    ['a path with an id segment (a spreadsheet id)', () => `/v4/spreadsheets/${token(44)}/values/{range}`],
    ['a path of words and an id', () => `/sheets/${token(44)}/values`],
    ['a URL with an id in its path', () => `https://docs.example.com/spreadsheets/d/${token(44)}/edit`],
    ['a URL with a templated password', () => 'https://{user}:{password}@api.example.com'],
    ['prose', () => 'Search contacts by name or e-mail address. Returns at most 50 contacts, most recently updated first.'],
    ['prose about Basic authentication', () => 'The legacy endpoint uses Basic Authentication, which Tengine replaces with a bearer token.'],
    ['prose about risk', () => 'Marks the deal as a high-risk-of-churn-and-needs-attention account for the sales team.'],
    ['a JSON Schema pattern', () => '^(?:sk|pk)_(?:live|test)_[A-Za-z0-9]{24,}$'],
    ['a long CamelCase identifier', () => 'GetCustomerInvoicesByDateRange2024Version2'],
    ['a long snake_case identifier', () => 'crm_contacts_search_by_email_address_v2'],
    ['base64 of text', () => Buffer.from('Customer record exported by the nightly job, version 2 of the format.').toString('base64')],
    ['a data URI', () => `data:image/png;base64,${randomBytes(60).toString('base64')}`],
    ['a word that merely contains a prefix', () => `mytengine_${'a'.repeat(30)}`],
    ['a template', () => 'Bearer {access_token}'],
    ['base64 of a PEM public key', () => Buffer.from(rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString()).toString('base64')],
    ['a URL with a port, then @ in its path', () => 'https://api.example.com:8443/v1/users/@me'],
    ['a loopback URL with @ in its path', () => 'http://localhost:3000/@someone/posts'],
    ['a URL with a user and no password', () => 'https://deploy@git.example.com/org/repo.git'],
    ['a Redis URL without a password', () => 'redis://redis.internal:6379/0'],
    ['an FTP URL with an empty password', () => 'ftp://anonymous:@ftp.example.com/pub'],
    ['a templated webhook path', () => '/api/webhooks/{webhook_id}/{webhook_token}'],
    ['a templated Slack path', () => '/services/{team}/{bot}/{secret}'],
    ['an API path that looks like a Slack one, made of words', () => '/services/TENANTS/BILLING/invoicesbycustomername'],
    ['JSON with an auth setting', () => JSON.stringify({ auth: 'required', mode: 'strict' })],
  ])('%s', (_name, make) => {
    expect(findCredential(make())).toBeUndefined();
  });

  it('identifier fields skip the randomness test but not the documented shapes', () => {
    const thumbprint = createHash('sha256').update('key').digest('base64url');
    expect(findCredential(thumbprint)).toBe('a random-looking token');
    expect(findCredential(thumbprint, false)).toBeUndefined();
    expect(findCredential(`ghp_${token(36)}`, false)).toBe('a GitHub token');
  });

  it('property: random base62 tokens are found nearly always (32 characters: 98 %; 40 characters: 99 %)', () => {
    for (const [length, share] of [[32, 0.98], [40, 0.99]] as const) {
      let found = 0;
      for (let i = 0; i < 2000; i++) if (findCredential(token(length))) found++;
      expect(found / 2000).toBeGreaterThanOrEqual(share);
    }
  });

  it('property: lower-case words, digits and separators are never a random token', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z]{1,12}$|^[0-9]{1,6}$/), { minLength: 1, maxLength: 20 }), fc.constantFrom('_', '-', '/', ' ', '.'), (words, sep) => {
        expect(findCredential(words.join(sep))).toBeUndefined();
      }),
      { numRuns: 300, seed: 20250801 },
    );
  });
});

describe('findCredential runs in linear time', () => {
  // Each string is a near-miss repeated: before the expressions were bounded, `x…` alone (a 256 KiB body template)
  // took minutes, because the URL-with-password shape rescanned the rest of the text from every position.
  it.each([['x'], ['ey'], ['eyJ.'], ['a://'], ['a://b:'], ['data:'], ['-----BEGIN A '], ['sk-'], ['Basic '], ['1234567890:'], ['AccountKey='], ['hooks.slack.com/services/T'], ['Ab1'], ['ghp_'], ['a://:'], ['a://b:/'], ['a://b:1/'], ['/services/TAAAAAA/AAAAAA/'], ['/api/webhooks/1234567890123456/'], ['LS0tLS1CRUdJTi'], ['"auth":"'], ['"auth":"dTp']])(
    '300,000 characters of %j',
    (unit) => {
      const text = unit.repeat(Math.ceil(300_000 / unit.length));
      expect(['a random-looking token', undefined]).toContain(findCredential(text));
      expect(['a random-looking token', undefined]).toContain(findCredential(`${text} ${text}`));
    },
  );
});

describe('looksRandom', () => {
  it('needs 32 characters, upper case, lower case and digits', () => {
    const t = token(40);
    expect(looksRandom(t.slice(0, 31))).toBe(false);
    expect(looksRandom(t.replace(/[0-9]/g, 'x'))).toBe(false);
    expect(looksRandom(t.toLowerCase())).toBe(false);
  });

  it('a path that starts with / is never random', () => {
    expect(looksRandom(`/${token(40)}`)).toBe(false);
  });
});
