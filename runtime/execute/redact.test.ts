// Redaction of the tool's secret in everything an upstream sends back (docs/outbound.md §6 "Redaction"; issue 8
// defect 10d: an echo HTML-entity-escaped, percent-encoded or JS-escaped used to pass through).
import { spawnSync } from 'node:child_process';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { compileTool } from './compile-tool.js';
import { decodeLayer, LEGACY_NAMES, mayHoldEscapes } from './escape-decoder.js';
import { HTML_ENTITIES } from './html-entities.js';
import { createRedactor, REDACTED } from './redact.js';
import { API_KEY_CALLER, errorOf, testContext, testTool, useUpstream } from './test-support.js';

/** A secret with characters every escaper rewrites: `/`, `+`, `=`, `&`, `"`, a non-ASCII letter. */
const SECRET = 'sk_live_9f3a/2b+Qx7=&"é';

/** Each character of `s` through `enc`, except ASCII letters and digits (as escapers leave them). */
const each = (s: string, enc: (c: string) => string) => [...s].map((c) => (/[A-Za-z0-9]/.test(c) ? c : enc(c))).join('');
const utf8Percent = (c: string, lower = false) => [...Buffer.from(c, 'utf8')].map((b) => '%' + (lower ? b.toString(16) : b.toString(16).toUpperCase()).padStart(2, '0')).join('');
const NAMED: Record<string, string> = { '/': '&sol;', '+': '&plus;', '=': '&equals;', '&': '&amp;', '"': '&quot;', _: '&lowbar;', é: '&eacute;' };

/** Spellings of the secret an upstream may echo: every one must come back as [REDACTED]. */
const SPELLINGS: [string, string][] = [
  ['as written', SECRET],
  ['HTML hex references (&#x2F;)', each(SECRET, (c) => `&#x${c.codePointAt(0)!.toString(16).toUpperCase()};`)],
  ['HTML hex references, upper-case X and lower-case digits (&#X2f;)', each(SECRET, (c) => `&#X${c.codePointAt(0)!.toString(16)};`)],
  ['HTML decimal references (&#47;)', each(SECRET, (c) => `&#${c.codePointAt(0)};`)],
  ['HTML decimal references with leading zeros (&#0047;)', each(SECRET, (c) => `&#${String(c.codePointAt(0)).padStart(4, '0')};`)],
  ['HTML named references (&sol; &amp; &quot; &eacute;)', each(SECRET, (c) => NAMED[c] ?? c)],
  // The secret's `&"` followed by `é` and `2b`: legacy names decode without `;` even before letters and digits.
  ['HTML legacy names without ; before letters (&amp &quot &eacute)', SECRET.replace('&', '&amp').replace('"', '&quot').replace('é', '&eacute')],
  ['HTML legacy name without ; before a digit (&amp2)', 'sk_live_9f3a/2b+Qx7=&amp"é'.replace('&amp"', '&amp&quot')],
  ['HTML as an escaper writes it (&amp; &quot; &#x2F;)', SECRET.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('/', '&#x2F;')],
  ['percent-encoded, upper case', encodeURIComponent(SECRET)],
  ['percent-encoded, lower case', each(SECRET, (c) => utf8Percent(c, true))],
  ['percent-encoded every character', [...SECRET].map((c) => utf8Percent(c)).join('')],
  ['double percent-encoded (%252F)', encodeURIComponent(encodeURIComponent(SECRET))],
  ['escape() style (%E9, %u00E9)', escape(SECRET)],
  ['JSON \\u escapes in text', each(SECRET, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)],
  ['JS \\x escapes', each(SECRET, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)],
  ['JS \\u{} escapes', each(SECRET, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`)],
  ['backslash before punctuation (\\/ \\+ \\= \\& \\")', each(SECRET, (c) => (/[\x21-\x7e]/.test(c) ? `\\${c}` : c))],
  ['percent-encoded HTML reference (%26%23x2F%3B)', SECRET.replace('/', '%26%23x2F%3B')],
  ['HTML-escaped HTML reference (&amp;#x2F;)', SECRET.replace('/', '&amp;#x2F;')],
  ['JSON-escaped HTML reference (\\u0026#x2F;)', SECRET.replace('/', '\\u0026#x2F;')],
  ['HTML-escaped percent-encoding (&#x25;2F)', SECRET.replace('/', '&#x25;2F')],
  ['a mixture of all of them', `sk_live_9f3a&#x2F;2b%2BQx7\\u003d&amp;\\"%C3%A9`],
];

describe('createRedactor: every spelling of the secret becomes [REDACTED], and nothing else changes', () => {
  const redact = createRedactor(SECRET);

  it.each(SPELLINGS)('%s', (_name, spelled) => {
    expect(redact(`<p>token: ${spelled}.</p> next`)).toBe(`<p>token: ${REDACTED}.</p> next`);
  });

  it('every occurrence is masked; text around and between them is kept byte for byte', () => {
    const text = `a ${SPELLINGS[1]![1]} b%20c ${SECRET}${SECRET} &amp; \\n ${SPELLINGS[10]![1]} z`;
    expect(redact(text)).toBe(`a ${REDACTED} b%20c ${REDACTED}${REDACTED} &amp; \\n ${REDACTED} z`);
  });

  it('text without the secret is returned as it is, escapes and all', () => {
    const text = 'sk_live_9f3a&#x2F;2b <b>&amp;</b> %2F %zz &#xZZ; &unknown; \\q \\u12 100% \\';
    expect(redact(text)).toBe(text);
  });

  it('a secret that itself holds escape-like text is found as written and as its decoded spelling', () => {
    const odd = createRedactor('p%41ss&amp;w\\nord');
    expect(odd('x p%41ss&amp;w\\nord y')).toBe(`x ${REDACTED} y`);
    expect(odd('x p%2541ss%26amp%3Bw%5Cnord y')).toBe(`x ${REDACTED} y`);
    expect(odd('x p%41ss&amp;w\\\\nord y')).toBe(`x ${REDACTED} y`);
  });

  it('ignores secrets under 8 characters and tools without a secret', () => {
    expect(createRedactor('short').active).toBe(false);
    expect(createRedactor('short')('short &#x73;hort')).toBe('short &#x73;hort');
    expect(createRedactor(undefined)('x')).toBe('x');
  });

  it('handles 220 000 escape starts of every kind and a near-miss of the secret in one text', () => {
    const text = `${'&#'.repeat(50_000)}${'%'.repeat(50_000)}${'\\'.repeat(50_000)}${'\\u{'.repeat(50_000)}${'&a'.repeat(20_000)}${encodeURIComponent(SECRET.slice(0, -1))}`;
    expect(redact(text)).toBe(text);
    expect(redact(text + encodeURIComponent(SECRET))).toBe(text + REDACTED);
  });
});

describe('decodeLayer', () => {
  /** Every unit's source span, as "from-to". */
  const spans = (view: NonNullable<ReturnType<typeof decodeLayer>>) => Array.from({ length: view.text.length }, (_, i) => view.source(i).join('-'));

  it('decodes one layer and maps every unit back to its span of the source', () => {
    const view = decodeLayer('a%2Fb&lt;c\\u00e9%C3%A9xy')!;
    expect(view.text).toBe('a/b<c\u00e9\u00e9xy');
    expect(spans(view)).toEqual(['0-1', '1-4', '4-5', '5-9', '9-10', '10-16', '16-22', '22-23', '23-24']);
  });

  it('a second layer maps to the first, and through it to the original (double encoding)', () => {
    const first = decodeLayer('x%252Fy')!;
    expect(first.text).toBe('x%2Fy');
    const second = decodeLayer(first.text)!;
    expect(second.text).toBe('x/y');
    expect(spans(second)).toEqual(['0-1', '1-4', '4-5']);
    expect([first.source(1)[0], first.source(3)[1]]).toEqual([1, 6]);
  });

  it('a character outside the BMP is two units spanning one reference', () => {
    const view = decodeLayer('&#x1F600;!')!;
    expect(view.text).toBe('\u{1F600}!');
    expect([view.source(0), view.source(1), view.source(2)]).toEqual([[0, 9], [0, 9], [9, 10]]);
  });

  it('legacy names decode without ; even before letters and digits, taking the longest one (&ampary, &notit, &amp2)', () => {
    expect(decodeLayer('Can&ampary')?.text).toBe('Can&ary');
    expect(decodeLayer('x&notit;')?.text).toBe('x¬it;');
    expect(decodeLayer('&amp2&ltV&quotlue')?.text).toBe('&2<V"lue');
    // A name that needs its `;` stays as written without one.
    expect(decodeLayer('&sol')).toBeUndefined();
    // All 106 legacy names are known, each decodes without `;`.
    expect(LEGACY_NAMES.size).toBe(106);
    for (const name of LEGACY_NAMES) expect(decodeLayer(`&${name}x`)?.text, name).toBe(`${HTML_ENTITIES.get(name)}x`);
  });

  it('every named reference decodes to the character HTML5 defines for it (checked against python3 html.entities)', () => {
    const run = spawnSync('python3', ['-c', 'import json, sys; from html.entities import html5; print(json.dumps({n: html5[n + ";"] for n in json.load(sys.stdin)}))'], { input: JSON.stringify([...HTML_ENTITIES.keys()]), encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(Object.fromEntries(HTML_ENTITIES));
    expect(HTML_ENTITIES.size).toBe(143);
    // The names decoded without `;` are exactly HTML5's legacy ones.
    const legacy = spawnSync('python3', ['-c', 'import json; from html.entities import html5; print(json.dumps(sorted(n for n in html5 if not n.endswith(";"))))'], { encoding: 'utf8' });
    expect(JSON.parse(legacy.stdout)).toEqual([...LEGACY_NAMES].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });

  it('leaves what is not an escape: unknown names, bad digits, surrogate references, a backslash before a letter', () => {
    expect(decodeLayer('&nope; &#xD800; &#; %G1 %u12 \\d \\u{110000} 100%')).toBeUndefined();
    expect(mayHoldEscapes('plain text')).toBe(false);
  });
});

// A real upstream that echoes the tool's secret (its Authorization header) in the spelling the path names.
const ECHO: Record<string, (secret: string) => string> = {
  'html-hex': (s) => each(s, (c) => `&#x${c.codePointAt(0)!.toString(16).toUpperCase()};`),
  'html-dec': (s) => each(s, (c) => `&#${c.codePointAt(0)};`),
  'html-named': (s) => each(s, (c) => NAMED[c] ?? c),
  percent: (s) => encodeURIComponent(s),
  'percent-lower': (s) => each(s, (c) => utf8Percent(c, true)),
  'percent-double': (s) => encodeURIComponent(encodeURIComponent(s)),
  'js-u': (s) => each(s, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
  'js-x': (s) => each(s, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`),
  'slash-escaped': (s) => s.replaceAll('/', '\\/').replaceAll('"', '\\"'),
  mixed: (s) => s.replace('/', '%26%23x2F%3B').replace('+', '&#43;').replace('=', '\\u003d').replace('&', '&amp;'),
};

const BODIES: Record<string, (echo: string, res: ServerResponse) => void> = {
  'error-text': (echo, res) => {
    res.writeHead(403, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<html><body>Forbidden: token ${echo} is not allowed here</body></html>`);
  },
  'error-json': (echo, res) => {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(`{"error":"invalid_token","detail":"got ${echo.replaceAll('"', '\\"')}"}`);
  },
  'ok-text': (echo, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`debug: authorization=${echo}\n`);
  },
  'ok-json': (echo, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`{"debug":{"authorization":"${echo.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"},"raw":"${echo.replaceAll('"', '\\u0022').replaceAll('\\x', '\\\\x')}"}`);
  },
};

const echoing = useUpstream((req, res) => {
  const [, kind, spelling] = req.url.split('/') as [string, string, string];
  BODIES[kind]!(ECHO[spelling]!(String(req.headers.authorization).slice('Bearer '.length)), res);
});

/** Everything the model sees, as one string. */
const seen = (result: unknown) => JSON.stringify(result);

describe('a real upstream echoing the secret in each encoding: the model sees [REDACTED] (issue 8 defect 10d)', () => {
  // A bearer travels in a header, so it is ASCII; `/ + = & "` are what the escapers rewrite.
  const BEARER = 'sk_live_9f3a/2b+Qx7=&"~';
  const tool = (path: string) => compileTool(testTool(echoing.up.origin, { endpoint_path: path, auth_strategy: 'static_bearer' }), 'acme', testContext(echoing.client, { secret: BEARER }));
  const spellings = Object.keys(ECHO);
  /** A fragment of the secret that every spelling keeps as it is (escapers leave letters and digits alone). */
  const FRAGMENT = '9f3a';

  it('(each spelling differs from the secret as written, and keeps the fragment the leak checks look for)', () => {
    for (const s of spellings) {
      expect(ECHO[s]!(BEARER).includes(BEARER), s).toBe(false);
      expect(ECHO[s]!(BEARER).includes(FRAGMENT), s).toBe(true);
    }
  });

  it.each(spellings)('%s in an error body (text/html): detail shows [REDACTED]', async (spelling) => {
    const result = await tool(`/error-text/${spelling}`).execute({}, API_KEY_CALLER);
    const error = errorOf(result);
    expect(error).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', upstream_status: 403 });
    expect(error?.detail).toBe(`<html><body>Forbidden: token ${REDACTED} is not allowed here</body></html>`);
    expect(seen(result)).not.toContain(FRAGMENT);
  });

  it.each(spellings)('%s in an error body (JSON): detail shows [REDACTED]', async (spelling) => {
    const result = await tool(`/error-json/${spelling}`).execute({}, API_KEY_CALLER);
    expect(errorOf(result)).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', upstream_status: 401 });
    expect(String(errorOf(result)?.detail)).toContain(REDACTED);
    expect(seen(result)).not.toContain(FRAGMENT);
  });

  it.each(spellings)('%s in a successful text body: the text shows [REDACTED]', async (spelling) => {
    const result = await tool(`/ok-text/${spelling}`).execute({}, API_KEY_CALLER);
    expect(errorOf(result)).toBeUndefined();
    expect(result.content).toEqual([{ type: 'text', text: `debug: authorization=${REDACTED}\n` }]);
    expect(seen(result)).not.toContain(FRAGMENT);
  });

  it.each(spellings)('%s in a successful JSON body: structuredContent and text show [REDACTED]', async (spelling) => {
    const result = await tool(`/ok-json/${spelling}`).execute({}, API_KEY_CALLER);
    expect(errorOf(result)).toBeUndefined();
    expect(result.structuredContent).toEqual({ debug: { authorization: REDACTED }, raw: REDACTED });
    expect(JSON.parse(result.content[0]!.text!)).toEqual(result.structuredContent);
    expect(seen(result)).not.toContain(FRAGMENT);
  });
});
