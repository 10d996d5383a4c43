// What a credential looks like when someone writes one into a config (TNG214). A config is committed to git and
// compiled into the bundle in clear, so any value shaped like a credential is refused, whichever field holds it and
// whether it was written in the file or came from the environment. docs/config.md §5.2 lists these shapes; keep
// the two in step.
//
// Cost matters: validate checks every string of configs with tens of thousands of tools (bench/validate-build.ts),
// so each string goes through cheap tests first and only rare ones reach the regular expressions below.

/** One documented credential shape: a name for messages and the expression that finds it. */
interface Shape {
  /** What the value looks like, for the message: "a GitHub token". */
  kind: string;
  re: RegExp;
  /** A second look at a match the expression alone would over-report. */
  confirm?: (match: string) => boolean;
}

// A prefix counts only where a word starts, so `risk-…` is no `sk-` key and `mytengine_…` no Tengine key.
const B = '(?<![A-Za-z0-9_-])';

/** Tengine's own credentials: what `tengine keys` prints, and member session tokens. */
const TENGINE = /(?<![A-Za-z0-9_-])(?:tengine_|tng_mst_|tng_cs_|tng_cn_|tng_rt_|tng_ac_)[A-Za-z0-9_-]{16,}/;

/** The kind reported for a Tengine credential (its hint differs: store the SHA-256 instead). */
export const TENGINE_CREDENTIAL = 'a Tengine credential';

const BASIC_KIND = 'HTTP Basic credentials';
// `Basic <base64 of user:password>`; "Basic Authentication" is prose, so the text must decode to a pair.
const BASIC = /(?<![A-Za-z])Basic [A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])/g;

const SLACK_WEBHOOK = 'a Slack webhook URL';

/**
 * A Docker config's `"auth": "<base64 of user:password>"` (~/.docker/config.json, DOCKER_AUTH_CONFIG). Checked even
 * in text without a 16-character word (see findCredential), since a short pair encodes short.
 */
const DOCKER_AUTH: Shape = {
  kind: 'a Docker registry credential',
  re: /"auth"[ \t\r\n]{0,8}:[ \t\r\n]{0,8}"[A-Za-z0-9+/]{4,1024}={0,2}"/g,
  confirm: (m) => decodesToPair(m.slice(m.lastIndexOf('"', m.length - 2) + 1, -1)),
};

const SHAPES: Shape[] = [
  { kind: TENGINE_CREDENTIAL, re: TENGINE },
  // A JWS/JWT compact serialization: its header is base64url JSON naming an `alg`. A fourth dot makes it a JWE
  // (ciphertext, which is what encrypted_auth_secret holds), so that is not a match.
  { kind: 'a JSON Web Token', re: new RegExp(`${B}ey[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]*(?![A-Za-z0-9_.-])`, 'g'), confirm: isJwsCompact },
  { kind: 'a Stripe secret key', re: new RegExp(`${B}(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}`) },
  { kind: 'a Stripe webhook secret', re: new RegExp(`${B}whsec_[A-Za-z0-9+/]{24,}`) },
  { kind: 'a GitHub token', re: new RegExp(`${B}(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})`) },
  { kind: 'a GitLab token', re: new RegExp(`${B}gl(?:pat|dt|rt|ptt|ft|soat)-[A-Za-z0-9_-]{20,}`) },
  { kind: 'a Slack token', re: new RegExp(`${B}(?:xox[abposr]-[A-Za-z0-9-]{10,}|xapp-\\d-[A-Za-z0-9-]{10,})`) },
  // Slack incoming webhooks (`services/T…/B…/<secret>`) and workflow webhooks (`workflows|triggers/T…/A…/<id>/<secret>`):
  // the last segment is the credential. With the host, any such URL; without it (base_url https://hooks.slack.com
  // and the rest in endpoint_path), the path when its ids are Slack-shaped and its secret mixes cases and digits.
  { kind: SLACK_WEBHOOK, re: /hooks\.slack\.com\/(?:services|workflows|triggers)\/T[A-Za-z0-9_]{1,32}\/[A-Za-z0-9_]{1,32}\/(?:[0-9]{1,32}\/)?[A-Za-z0-9]{16,}/ },
  {
    kind: SLACK_WEBHOOK,
    re: /\/(?:services|workflows|triggers)\/T[A-Z0-9]{6,14}\/[A-Z0-9]{6,14}\/(?:[0-9]{6,24}\/)?[A-Za-z0-9]{20,}/g,
    confirm: (m) => mixesClasses(m.slice(m.lastIndexOf('/') + 1)),
  },
  // Discord (and compatible) webhooks: `/api/webhooks/<numeric id>/<token>`, with or without the host.
  { kind: 'a Discord webhook URL', re: /\/api\/(?:v[0-9]{1,2}\/)?webhooks\/[0-9]{15,25}\/[A-Za-z0-9_-]{40,}/ },
  { kind: 'an AWS access key ID', re: new RegExp(`${B}(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])`) },
  { kind: 'a Google API key', re: new RegExp(`${B}AIza[A-Za-z0-9_-]{35}`) },
  { kind: 'a Google OAuth credential', re: new RegExp(`${B}(?:GOCSPX-[A-Za-z0-9_-]{24,}|ya29\\.[A-Za-z0-9_-]{20,})`) },
  { kind: 'an npm token', re: new RegExp(`${B}npm_[A-Za-z0-9]{36}`) },
  { kind: 'a PyPI token', re: new RegExp(`${B}pypi-AgE[A-Za-z0-9_-]{50,}`) },
  { kind: 'an Anthropic API key', re: new RegExp(`${B}sk-ant-[A-Za-z0-9_-]{20,}`) },
  // OpenAI: sk-…, sk-proj-…, sk-svcacct-…, sk-admin-…. A kebab-case id after "sk-" is not a key: a key mixes
  // upper case, lower case and digits.
  { kind: 'an OpenAI API key', re: new RegExp(`${B}sk-[A-Za-z0-9_-]{20,}`, 'g'), confirm: (m) => /\d/.test(m) && /[A-Z]/.test(m) && /[a-z]/.test(m.slice(3)) },
  { kind: 'a SendGrid API key', re: new RegExp(`${B}SG\\.[A-Za-z0-9_-]{16,}\\.[A-Za-z0-9_-]{16,}`) },
  { kind: 'a Twilio API key', re: new RegExp(`${B}SK[0-9a-fA-F]{32}(?![A-Za-z0-9])`) },
  { kind: 'a Mailgun API key', re: new RegExp(`${B}key-[0-9a-f]{32}(?![A-Za-z0-9])`) },
  { kind: 'a Shopify access token', re: new RegExp(`${B}shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}`) },
  { kind: 'a Square credential', re: new RegExp(`${B}sq0(?:atp|csp)-[A-Za-z0-9_-]{22,}`) },
  { kind: 'a Hugging Face token', re: new RegExp(`${B}hf_[A-Za-z0-9]{30,}`) },
  { kind: 'a DigitalOcean token', re: new RegExp(`${B}do[opr]_v1_[a-f0-9]{64}`) },
  { kind: 'a Docker Hub token', re: new RegExp(`${B}dckr_pat_[A-Za-z0-9_-]{20,}`) },
  { kind: 'an Atlassian API token', re: new RegExp(`${B}ATATT3[A-Za-z0-9_=-]{40,}`) },
  { kind: 'an Azure storage account key', re: /AccountKey=[A-Za-z0-9+/]{40,}={0,2}/ },
  { kind: 'a Telegram bot token', re: /(?<![0-9])[0-9]{8,10}:AA[A-Za-z0-9_-]{30,}/ },
  // user:password@ in any URL (a DSN, a proxy URL), the user possibly empty (`redis://:password@host`, as Redis
  // URLs carry a password alone). `{password}` is a placeholder, not a password. A password may hold `/` (clients
  // take it as written, though RFC 3986 wants it percent-encoded), unless what follows the `:` reads as a port and
  // a path (`https://host:8443/users/@me`). It is read as segments between slashes, each bounded, so a text of
  // many `a://b:` costs a scan per slash rather than one of 256 characters per start.
  {
    kind: 'a URL with a password',
    re: /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/[^\s/?#@:{}]{0,256}:(?!@|[0-9]{1,5}(?:[/?#]|$))[^\s/?#@{}]{0,256}(?:\/[^\s/?#@{}]{0,256}){0,8}@/,
  },
  { kind: BASIC_KIND, re: BASIC, confirm: (m) => decodesToPair(m.slice(6)) },
  DOCKER_AUTH,
  // base64 of a PEM private key (`LS0tLS1CRUdJTi…` is `-----BEGIN`), as Kubernetes secrets and CI variables hold
  // them; base64 of a public key or a certificate is not a secret.
  { kind: 'a base64-encoded PEM private key', re: new RegExp(`${B}LS0tLS1CRUdJTi[A-Za-z0-9+/_-]{30,120}`, 'g'), confirm: decodesToPrivatePem },
];

/** Every shape in one expression, so a string that holds none costs one scan. */
const ANY_SHAPE = new RegExp(SHAPES.map((s) => `(?:${s.re.source})`).join('|'));

// Every expression here runs in time linear in the text: a match can start only where a word starts (or at a
// literal), and a repetition that could meet a later start again is bounded, so a long string of near-misses
// (`eyeyey…`, `a://a://…`) costs no more than an ordinary one.

/** `-----BEGIN RSA PRIVATE KEY-----`, `… EC …`, `OPENSSH`, `ENCRYPTED`, plain PKCS#8, `PGP PRIVATE KEY BLOCK`. */
const PRIVATE_PEM = /-----BEGIN (?:[A-Z0-9]{1,16} ){0,4}PRIVATE KEY(?: BLOCK)?-----/;
/** A compact JWE (five dot-separated parts): ciphertext, safe to commit. */
const JWE_COMPACT = /(?<![A-Za-z0-9_-])ey[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g;

// Character classes for the one-pass prefilter: 1 = the base64 / base64url alphabet, 2 = other characters that
// occur inside credentials (`.` in JWTs, `:` and `@` in URLs with a password). Anything else ends a word.
const CHAR_CLASS = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_=-') CHAR_CLASS[c.charCodeAt(0)] = 1;
for (const c of '.:@') CHAR_CLASS[c.charCodeAt(0)] = 2;

/** No documented shape is shorter than this many word characters in a row (`Basic` aside, which has a space). */
const MIN_SHAPE_WORD = 16;
/** Candidates for the randomness test: runs of the base64 / base64url alphabet. */
const TOKEN_RUN = /[A-Za-z0-9+/_=-]{32,}/g;

/** Candidate words inside an identifier: `Customer`, `invoices` (`isWord` keeps the pronounceable ones). */
const WORDS = /[A-Z]?[a-z]{3,}/g;
const VOWELS = /[aeiouyAEIOUY]/g;

/**
 * True when a run of letters reads as a word: at least a fifth vowels and no three vowels in a row. A random token
 * holds lower-case runs too (`qzxt`), and counting those as words let about 2 % of random 32-character secrets
 * through; with this test it is about 0.3 %.
 */
function isWord(w: string): boolean {
  const vowels = w.match(VOWELS)?.length ?? 0;
  return vowels / w.length >= 0.2 && !/[aeiouy]{3}/i.test(w);
}
/** `data:…;base64,…`: encoded content (an image), not a secret. */
const DATA_URI = /data:[^,\s]{0,200};base64,[A-Za-z0-9+/=]*/g;

/** Shortest run judged by its randomness; shorter random strings are too often ids. */
export const MIN_RANDOM_TOKEN_LENGTH = 32;

/**
 * Finds a credential in `text` and says what it looks like ("a GitHub token"), or returns undefined. Checks, in
 * order: PEM private keys, the documented token shapes (SHAPES), then random-looking tokens (`looksRandom`) unless
 * `randomness` is false (fields that hold identifiers or digests) or the text holds a PEM block (a public key or a
 * certificate, whose base64 body would look random).
 */
export function findCredential(text: string, randomness = true): string | undefined {
  if (text.length < 16) return undefined;
  let rest = text;
  if (text.includes('-----BEGIN')) {
    if (PRIVATE_PEM.test(text)) return 'a PEM private key';
    randomness = false;
  }
  // One pass over the characters decides which of the (costlier) expressions can match at all: prose has no
  // 16-character word, and only a 32-character run of the base64 alphabet can be a random token.
  let word = 0;
  let run = 0;
  let longestWord = 0;
  let longestRun = 0;
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    const cls = c < 128 ? CHAR_CLASS[c]! : 0;
    if (cls === 0) {
      word = 0;
      run = 0;
      continue;
    }
    if (++word > longestWord) longestWord = word;
    if (cls === 1) {
      if (++run > longestRun) longestRun = run;
    } else run = 0;
  }
  if (longestWord < MIN_SHAPE_WORD) return rest.includes('"auth"') ? matchShape(DOCKER_AUTH, rest) : undefined;
  if (ANY_SHAPE.test(rest)) {
    for (const s of SHAPES) {
      const kind = matchShape(s, rest);
      if (kind) return kind;
    }
  }
  if (!randomness || longestRun < MIN_RANDOM_TOKEN_LENGTH) return undefined;
  if (rest.includes('ey')) rest = rest.replace(JWE_COMPACT, ' ');
  if (rest.includes('base64,')) rest = rest.replace(DATA_URI, ' ');
  // In a URL or a path, `/` separates segments, and ids in paths (a spreadsheet id) are not secrets; a query value
  // still is (`?token=…`): `&` ends the run and `=` splits it below.
  const url = rest.includes('://');
  TOKEN_RUN.lastIndex = 0;
  for (let m = TOKEN_RUN.exec(rest); m; m = TOKEN_RUN.exec(rest)) {
    let run = m[0];
    if (run.includes('/') && (url || (run.startsWith('/') && hasWordSegment(run)))) continue;
    // A leading `/` with no word among the segments is base64's own alphabet (1 in 64 random secrets starts so).
    if (run.startsWith('/')) run = run.replace(/^\/+/, '');
    // `=` inside a run separates a query or form key from its value (`access_token=…`); only at the end is it padding.
    for (const part of run.split(/=+(?!=*$)/)) if (looksRandom(part)) return 'a random-looking token';
  }
  return undefined;
}

/**
 * True when a run of the base64 alphabet looks like a random secret rather than an identifier, a path, a digest or
 * encoded text: at least 32 characters (padding aside) mixing upper case, lower case and digits; not hexadecimal
 * (digests, commit SHAs, UUIDs); not a path (`/…`); switching between upper case, lower case and digits at least
 * every third character on average (words and CamelCase identifiers switch far less often); at least 4 bits of
 * entropy per character; and not base64 of readable text.
 */
export function looksRandom(run: string): boolean {
  const core = run.replace(/=+$/, '');
  if (core.length < MIN_RANDOM_TOKEN_LENGTH || core.startsWith('/') || /^[0-9A-Fa-f-]+$/.test(core)) return false;
  let upper = 0;
  let lower = 0;
  let digit = 0;
  let switches = 0;
  let prev = -1;
  const counts = new Map<number, number>();
  for (let i = 0; i < core.length; i++) {
    const c = core.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
    const cls = c >= 65 && c <= 90 ? 0 : c >= 97 && c <= 122 ? 1 : c >= 48 && c <= 57 ? 2 : 3;
    if (cls === 0) upper++;
    else if (cls === 1) lower++;
    else if (cls === 2) digit++;
    if (prev >= 0 && cls !== prev) switches++;
    prev = cls;
  }
  if (upper === 0 || lower === 0 || digit === 0) return false;
  if (switches / (core.length - 1) < 0.34) return false;
  let entropy = 0;
  for (const n of counts.values()) {
    const p = n / core.length;
    entropy -= p * Math.log2(p);
  }
  if (entropy < 4) return false;
  // Identifiers are made of words: in CamelCase names most characters sit in pronounceable runs of three or more
  // letters; in about 0.3 % of random 32-character tokens do half of them.
  let wordy = 0;
  for (const w of core.match(WORDS) ?? []) if (isWord(w)) wordy += w.length;
  if (wordy / core.length >= 0.5) return false;
  return !decodesToText(core);
}

/** True when one `/`-separated segment of `path` is a word (`spreadsheets`, `v4` is not): a path, not base64. */
function hasWordSegment(path: string): boolean {
  return path.split('/').some((seg) => /^[A-Za-z]{3,}$/.test(seg) && isWord(seg));
}

/** True when `b64` is base64 (or base64url) of printable text: encoded data, not a random secret. */
function decodesToText(b64: string): boolean {
  if (/[+/]/.test(b64) && /[-_]/.test(b64)) return false;
  const bytes = Buffer.from(b64, /[-_]/.test(b64) ? 'base64url' : 'base64');
  if (bytes.length === 0) return false;
  let printable = 0;
  for (const b of bytes) if ((b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d) printable++;
  return printable / bytes.length >= 0.95;
}

/** The kind of `s` when it matches `text` (and its confirmation agrees), else undefined. */
function matchShape(s: Shape, text: string): string | undefined {
  if (!s.confirm) return s.re.test(text) ? s.kind : undefined;
  s.re.lastIndex = 0;
  for (let m = s.re.exec(text); m; m = s.re.exec(text)) if (s.confirm(m[0])) return s.kind;
  return undefined;
}

/** True when `token` holds at least two of upper case, lower case and digits (Slack's secrets mix all three). */
function mixesClasses(token: string): boolean {
  return Number(/[A-Z]/.test(token)) + Number(/[a-z]/.test(token)) + Number(/[0-9]/.test(token)) >= 2;
}

/** True when base64 (or base64url) text starting with `LS0tLS1CRUdJTi` decodes to a PEM private-key header. */
function decodesToPrivatePem(b64: string): boolean {
  const text = Buffer.from(b64.slice(0, b64.length - (b64.length % 4)), /[-_]/.test(b64) ? 'base64url' : 'base64').toString('latin1');
  return PRIVATE_PEM.test(text);
}

/** True when `b64` decodes to `user:password` text (what HTTP Basic carries). */
function decodesToPair(b64: string): boolean {
  const text = Buffer.from(b64, 'base64').toString('latin1');
  return /^[\x21-\x7e][\x20-\x7e]*:[\x20-\x7e]+$/.test(text);
}

/** True when `token` is a JWS compact serialization: three parts, the first base64url JSON with an `alg`. */
function isJwsCompact(token: string): boolean {
  const header = token.slice(0, token.indexOf('.'));
  try {
    const parsed = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null && typeof (parsed as { alg?: unknown }).alg === 'string';
  } catch {
    return false;
  }
}
