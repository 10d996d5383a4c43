import type { Ajv, FormatDefinition } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { compileLinear, type LinearRegExp } from './linear-regexp.js';

// ajv-formats ships CommonJS with a default export; under NodeNext the callable sits on `.default`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv | Ajv2020) => unknown;

/*
 * Every `format` of ajv-formats (full mode) was checked for super-linear time on adversarial input up to the
 * request size limit (1 MiB), by analysis (the recheck ReDoS analyser) and by growing inputs:
 *
 * - bounded whatever the input: date, ipv4, ipv6, uuid (only bounded repeats after `^`), hostname (its lookahead
 *   caps the length at 254 before anything else runs), int32, int64, float, double, password, binary.
 * - linear by construction: time and iso-time (a single unbounded `\d+` after `^`: backtracking gives its digits
 *   back once).
 * - linear on V8 (recheck's automaton analysis proves it): email, uri-template, json-pointer,
 *   json-pointer-uri-fragment, relative-json-pointer, byte.
 * - replaced here: `url` (quadratic: `"http://" + ":".repeat(65536)` takes seconds), `uri` (recheck finds a cubic
 *   attack), `uri-reference` and `duration` (no proof either way). They run on the linear engine with the same
 *   meaning. date-time and iso-date-time keep theirs with a split that stops at three pieces.
 * - `regex` only parses the string with V8's parser (linear in its length); nothing ever runs it.
 */

/** RFC 3986 URI, copied from ajv-formats 3.0.1 (src/formats.ts, `URI`), where it is not exported. */
const URI = /^(?:[a-z][a-z0-9+\-.]*:)(?:\/?\/(?:(?:[a-z0-9\-._~!$&'()*+,;=:]|%[0-9a-f]{2})*@)?(?:\[(?:(?:(?:(?:[0-9a-f]{1,4}:){6}|::(?:[0-9a-f]{1,4}:){5}|(?:[0-9a-f]{1,4})?::(?:[0-9a-f]{1,4}:){4}|(?:(?:[0-9a-f]{1,4}:){0,1}[0-9a-f]{1,4})?::(?:[0-9a-f]{1,4}:){3}|(?:(?:[0-9a-f]{1,4}:){0,2}[0-9a-f]{1,4})?::(?:[0-9a-f]{1,4}:){2}|(?:(?:[0-9a-f]{1,4}:){0,3}[0-9a-f]{1,4})?::[0-9a-f]{1,4}:|(?:(?:[0-9a-f]{1,4}:){0,4}[0-9a-f]{1,4})?::)(?:[0-9a-f]{1,4}:[0-9a-f]{1,4}|(?:(?:25[0-5]|2[0-4]\d|[01]?\d\d?)\.){3}(?:25[0-5]|2[0-4]\d|[01]?\d\d?))|(?:(?:[0-9a-f]{1,4}:){0,5}[0-9a-f]{1,4})?::[0-9a-f]{1,4}|(?:(?:[0-9a-f]{1,4}:){0,6}[0-9a-f]{1,4})?::)|[Vv][0-9a-f]+\.[a-z0-9\-._~!$&'()*+,;=:]+)\]|(?:(?:25[0-5]|2[0-4]\d|[01]?\d\d?)\.){3}(?:25[0-5]|2[0-4]\d|[01]?\d\d?)|(?:[a-z0-9\-._~!$&'()*+,;=]|%[0-9a-f]{2})*)(?::\d*)?(?:\/(?:[a-z0-9\-._~!$&'()*+,;=:@]|%[0-9a-f]{2})*)*|\/(?:(?:[a-z0-9\-._~!$&'()*+,;=:@]|%[0-9a-f]{2})+(?:\/(?:[a-z0-9\-._~!$&'()*+,;=:@]|%[0-9a-f]{2})*)*)?|(?:[a-z0-9\-._~!$&'()*+,;=:@]|%[0-9a-f]{2})+(?:\/(?:[a-z0-9\-._~!$&'()*+,;=:@]|%[0-9a-f]{2})*)*)(?:\?(?:[a-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9a-f]{2})*)?(?:#(?:[a-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9a-f]{2})*)?$/i;
const NOT_URI_FRAGMENT = /\/|:/;

const lazy = new Map<string, () => unknown>();

/**
 * A format pattern compiled on first use (or by warmUserFormats): compiling the URI patterns takes tens of
 * milliseconds, which every CLI command would otherwise pay at startup without ever checking a format.
 */
function lazyLinear(format: string, source: string, caseMode: 'exact' | 'ascii' = 'exact'): { test(s: string): boolean } {
  let re: LinearRegExp | undefined;
  const compiled = () => (re ??= compileLinear(source, caseMode));
  lazy.set(format, compiled);
  return { test: (s: string) => compiled().test(s) };
}

const uriPattern = lazyLinear('uri', URI.source, 'ascii');
const uriReferencePattern = lazyLinear('uri-reference', (fullFormats['uri-reference'] as RegExp).source, 'ascii');

/**
 * ajv-formats' `url` (dperini's URL regex, flags `iu`) without its lookaheads: in it they only apply to the
 * dotted-quad branch, where they refuse 10/8, 127/8, 169.254/16, 192.168/16 and 172.16/12. Those exclusions are
 * spelled out instead: the first two octets of a public address are any allowed pair except the excluded ones.
 * Case-insensitivity is spelled out too (RE2 folding the \u00a1-\uffff ranges costs 0.2 s to compile): letters
 * in both cases, and `ſ` (U+017F), which Unicode case folding makes equal to `s` in "https". Nothing else in the
 * pattern folds: the ranges already hold every character whose case partner is in them.
 */
const O23 = '(?:1?\\d{1,2}|2[0-4]\\d|25[0-5])';
const O4 = '(?:[1-9]\\d?|1\\d\\d|2[0-4]\\d|25[0-4])';
const PUBLIC_IPV4 =
  '(?:' +
  [
    // First octets 1-223 other than 10, 127, 169, 172 and 192, with any second octet.
    `(?:[1-9]|1[1-9]|[2-9]\\d|1(?:[013458]\\d|2[0-689]|6[0-8]|7[013-9]|9[013-9])|2[01]\\d|22[0-3])\\.${O23}`,
    '169\\.(?:\\d{1,2}|1\\d\\d|2[0-4]\\d|25[0-35])', // not 169.254
    '192\\.(?:\\d{1,2}|1(?:[0-57-9]\\d|6[0-79])|2[0-4]\\d|25[0-5])', // not 192.168
    '172\\.(?:\\d|0\\d|1[0-5]|3[2-9]|[4-9]\\d|1\\d\\d|2[0-4]\\d|25[0-5])', // not 172.16-172.31
  ].join('|') +
  `)\\.${O23}\\.${O4}`;
const LABEL = '(?:[a-zA-Z0-9\\u{00a1}-\\u{ffff}]+-)*[a-zA-Z0-9\\u{00a1}-\\u{ffff}]+';
const HOST_NAME = `(?:${LABEL})(?:\\.${LABEL})*(?:\\.(?:[a-zA-Z\\u{00a1}-\\u{ffff}]{2,}))`;
const urlPattern = lazyLinear('url', `^(?:[hH][tT][tT][pP][sS\\u{17f}]?|[fF][tT][pP]):\\/\\/(?:\\S+(?::\\S*)?@)?(?:${PUBLIC_IPV4}|${HOST_NAME})(?::\\d{2,5})?(?:\\/[^\\s]*)?$`);

/**
 * ajv-formats' `duration` (RFC 3339 appendix A) without lookarounds: `P(?!$)` becomes "something follows the P",
 * and `T(?=\d)(H)?(M)?(S)?` becomes "T and at least one of H, M, S, in that order".
 */
const durationPattern = lazyLinear('duration', '^P(?:(?:\\d+Y)?(?:\\d+M)?(?:\\d+D)?(?:T(?:\\d+H(?:\\d+M)?(?:\\d+S)?|\\d+M(?:\\d+S)?|\\d+S))?|(?:\\d+W)?)$');

/** ajv-formats' own definition of a string format (validator and, for dates and times, the comparison). */
function ajvFormat(name: 'date' | 'time' | 'iso-time' | 'date-time' | 'iso-date-time'): FormatDefinition<string> {
  return fullFormats[name] as FormatDefinition<string>;
}

const DATE_TIME_SEPARATOR = /t|\s/i;

/**
 * ajv-formats' date-time check splits on every separator, so `"t".repeat(1_000_000)` allocates a million strings
 * before failing; a split limited to three pieces gives the same answer (exactly two pieces are valid).
 */
function dateTime(time: 'time' | 'iso-time', name: 'date-time' | 'iso-date-time'): FormatDefinition<string> {
  const [isDate, isTime] = [ajvFormat('date').validate as (s: string) => boolean, ajvFormat(time).validate as (s: string) => boolean];
  return {
    ...ajvFormat(name),
    validate: (s: string) => {
      const parts = s.split(DATE_TIME_SEPARATOR, 3);
      return parts.length === 2 && isDate(parts[0]!) && isTime(parts[1]!);
    },
  };
}

/** The replacements, keyed by format name; their compiled patterns are shared by every Ajv instance. */
export const LINEAR_FORMATS: Record<string, FormatDefinition<string>> = {
  uri: { type: 'string', validate: (s: string) => NOT_URI_FRAGMENT.test(s) && uriPattern.test(s) },
  'uri-reference': { type: 'string', validate: (s: string) => uriReferencePattern.test(s) },
  url: { type: 'string', validate: (s: string) => urlPattern.test(s) },
  duration: { type: 'string', validate: (s: string) => s.length > 1 && durationPattern.test(s) },
  'date-time': dateTime('time', 'date-time'),
  'iso-date-time': dateTime('iso-time', 'iso-date-time'),
};

/**
 * Compiles the patterns of the named formats now (all of them without names), so that no tool call pays for it: the
 * runtime calls it for the formats each schema of a bundle names, when the bundle loads.
 */
export function warmUserFormats(formats?: Iterable<string>): void {
  if (formats === undefined) for (const compile of lazy.values()) compile();
  else for (const f of formats) lazy.get(f)?.();
}

/** Adds the formats user schemas may use: ajv-formats (full mode, with formatMinimum & co.) with the linear replacements. */
export function addUserFormats(ajv: Ajv | Ajv2020): void {
  addFormats(ajv);
  for (const [name, format] of Object.entries(LINEAR_FORMATS)) ajv.addFormat(name, format);
}
