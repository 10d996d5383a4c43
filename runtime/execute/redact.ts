import { decodeLayer, mayHoldEscapes, type DecodedView } from './escape-decoder.js';

/** Masks the tool's secret in a text; `active` is false when there is nothing to mask. */
export interface Redactor {
  (text: string): string;
  readonly active: boolean;
}

/** What replaces each spelling of the secret. */
export const REDACTED = '[REDACTED]';

/** Secrets shorter than this are not masked: they would match ordinary text everywhere (and are weak anyway). */
export const MIN_REDACTED_LENGTH = 8;

/**
 * How many layers of escapes are decoded: one for an ordinary echo, two for double encoding (`%252F`,
 * `&amp;#x2F;`, `%26%23x2F%3B`), one more to spare. Bounds the work to four scans of the text.
 */
const MAX_LAYERS = 3;

const NO_REDACTION: Redactor = Object.assign((text: string) => text, { active: false });

/**
 * Replaces the secret with `[REDACTED]` however an upstream echoes it: as written, and spelled with any mixture of
 * HTML character references, percent-encoding and JS/JSON escapes, up to three layers deep (escape-decoder.ts).
 * The text is decoded into views that map every character back to the span of the original it came from; where a
 * view contains the secret, that span of the original is masked. A text with no `&`, `%` or `\` is only searched
 * as it is, so the common case costs one `indexOf`. A no-op for secrets under 8 characters.
 */
export function createRedactor(secret: string | undefined): Redactor {
  if (secret === undefined || secret.length < MIN_REDACTED_LENGTH) return NO_REDACTION;
  // A secret that itself holds escape-like text ("p%41ss") is also looked for as the views would show it.
  const needles = [secret];
  for (let view = decodeLayer(secret), i = 1; view; view = i++ < MAX_LAYERS ? decodeLayer(view.text) : undefined) {
    if (view.text.length >= MIN_REDACTED_LENGTH && !needles.includes(view.text)) needles.push(view.text);
  }
  return Object.assign((text: string) => redact(text, needles), { active: true });
}

function redact(text: string, needles: readonly string[]): string {
  const spans: number[] = [];
  find(text, [], needles, spans);
  // layers[k] was decoded from layers[k-1] (the first from the text): a match in the last maps back through all.
  const layers: DecodedView[] = [];
  for (let view = mayHoldEscapes(text) ? decodeLayer(text) : undefined; view; ) {
    layers.push(view);
    find(view.text, layers, needles, spans);
    view = layers.length < MAX_LAYERS && mayHoldEscapes(view.text) ? decodeLayer(view.text) : undefined;
  }
  return spans.length === 0 ? text : mask(text, spans);
}

/**
 * Appends `[from, to)` of the original for each occurrence of a needle in `text` (the last of `layers`, or the
 * original when there are none), leftmost first and not overlapping: an occurrence that overlaps one already
 * found loses its overlap to the mask, so none stays whole.
 */
function find(text: string, layers: readonly DecodedView[], needles: readonly string[], spans: number[]): void {
  for (const needle of needles) {
    for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) {
      let from = at;
      let to = at + needle.length;
      for (let k = layers.length - 1; k >= 0; k--) {
        from = layers[k]!.source(from)[0];
        to = layers[k]!.source(to - 1)[1];
      }
      spans.push(from, to);
    }
  }
}

/** The text with each span (merged where they overlap) replaced by `[REDACTED]`. */
function mask(text: string, flat: number[]): string {
  const spans: [number, number][] = [];
  for (let i = 0; i < flat.length; i += 2) spans.push([flat[i]!, flat[i + 1]!]);
  spans.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  let out = '';
  let pos = 0;
  for (const [from, to] of spans) {
    if (to <= pos) continue;
    // Overlapping occurrences become one mask; adjacent ones stay two, as two echoes of the secret.
    if (from < pos) {
      pos = to;
      continue;
    }
    out += text.slice(pos, from) + REDACTED;
    pos = to;
  }
  return out + text.slice(pos);
}

/**
 * Parses a JSON body with the secret masked, or undefined when it is not JSON. The text is masked first (escapes
 * included); when it has any backslash every parsed string (member names included) is masked too, and the text
 * is re-serialized if that changed anything, so no escaped spelling can survive in the structured result.
 */
export function redactJson(raw: string, redact: Redactor): { text: string; value: unknown } | undefined {
  const text = redact(raw);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  // Without a backslash every string is spelled in the text as it is, and the text was already masked.
  if (!redact.active || !text.includes('\\')) return { text, value };
  const masked = redactStrings(value, redact);
  return masked.changed ? { text: JSON.stringify(masked.value), value: masked.value } : { text, value };
}

/** A text to show: JSON masked through its parse when it is JSON, any text masked as text. */
export function redactText(raw: string, json: boolean, redact: Redactor): string {
  return (json && redact.active ? redactJson(raw, redact)?.text : undefined) ?? redact(raw);
}

/** Masks every string of a freshly parsed JSON value in place (iteratively: upstream nesting is unbounded). */
function redactStrings(root: unknown, redact: Redactor): { value: unknown; changed: boolean } {
  if (typeof root === 'string') {
    const value = redact(root);
    return { value, changed: value !== root };
  }
  let changed = false;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== 'object' || node === null) continue;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const v: unknown = node[i];
        if (typeof v === 'string') {
          const m = redact(v);
          if (m !== v) (node[i] = m), (changed = true);
        } else if (typeof v === 'object' && v !== null) stack.push(v);
      }
      continue;
    }
    const obj = node as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      let v = obj[key];
      if (typeof v === 'string') {
        const m = redact(v);
        if (m !== v) (v = m), (changed = true), define(obj, key, v);
      } else if (typeof v === 'object' && v !== null) stack.push(v);
      const k = redact(key);
      if (k !== key) {
        delete obj[key];
        define(obj, k, v);
        changed = true;
      }
    }
  }
  return { value: root, changed };
}

/** Sets an own data property (a member named `__proto__` stays a member, never a prototype change). */
function define(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
