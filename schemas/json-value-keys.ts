import { createHash } from 'node:crypto';

/*
 * Equality of JSON values in time linear in their size, for `uniqueItems` (unique-items.ts). A nested array or
 * object gets a number (hash-consing): its content is written with its members' keys in place of the members
 * themselves, and a Map numbers the distinct contents. Members are keyed before their container, so each value
 * is read once, and a value keyed before (by identity, within one JsonValueKeys) is not read again: an argument
 * with `uniqueItems` arrays nested at every level costs time linear in its size, not its size times its depth.
 */

/** Above this length a text goes into a Map as its SHA-256 digest (see `JsonValueKeys.number`). */
const DIGEST_ABOVE = 4096;

/** An array or object being numbered: its members are visited in order, their keys collected in `parts`. */
interface Frame {
  readonly value: object;
  /** The object's keys, sorted; undefined for an array. */
  readonly keys: string[] | undefined;
  readonly length: number;
  /** What the container's own key is written after in its parent (`"name":` for an object member). */
  readonly prefix: string;
  readonly parts: string[];
  next: number;
  /** Whether every member so far is a scalar. */
  flat: boolean;
}

/**
 * Keys for JSON values (as JSON.parse or a YAML parser makes them): two values get the same key exactly when
 * they are equal as JSON Schema defines it and Ajv's deep equality implements: numbers by value (`1` and `1.0` are
 * one number once parsed; `-0` equals `0`), object members regardless of order, array items in order, `"1"` not
 * `1`. A key is short (at most a few thousand characters), so a Map of keys stays fast. Iterative, so no nesting
 * depth can exhaust the stack. The values must not change while one instance is in use.
 */
export class JsonValueKeys {
  private readonly numbers = new Map<string, number>();
  private readonly digested = new Map<string, { text: string; n: number }[]>();
  private readonly known = new WeakMap<object, string>();
  private count = 0;

  /**
   * The key of `value`: a scalar's JSON text; an array or object of scalars its canonical JSON text (members
   * sorted by key); anything longer or more deeply nested `#n`.
   */
  keyOf(value: unknown): string {
    if (typeof value !== 'object' || value === null) {
      const text = scalarText(value);
      return text.length > DIGEST_ABOVE ? `#${this.number(text)}` : text;
    }
    const seen = this.known.get(value);
    if (seen !== undefined) return seen;
    let key = '';
    const stack: Frame[] = [frame(value, '')];
    while (stack.length > 0) {
      const f = stack[stack.length - 1]!;
      if (f.next < f.length) {
        const i = f.next++;
        const member = f.keys ? (f.value as Record<string, unknown>)[f.keys[i]!] : (f.value as readonly unknown[])[i];
        const prefix = f.keys ? `${JSON.stringify(f.keys[i])}:` : '';
        if (typeof member !== 'object' || member === null) f.parts.push(prefix + scalarText(member));
        else {
          f.flat = false;
          const memberKey = this.known.get(member);
          if (memberKey !== undefined) f.parts.push(prefix + memberKey);
          else stack.push(frame(member, prefix));
        }
        continue;
      }
      stack.pop();
      key = this.containerKey(f);
      stack[stack.length - 1]?.parts.push(f.prefix + key);
    }
    // Only numbered keys are remembered: a short flat value costs no more to read again than to look up, and it is
    // read again at most once (as a member of the container above it, whose key is then remembered).
    if (key.startsWith('#')) this.known.set(value, key);
    return key;
  }

  /**
   * A short array or object of scalars is its own JSON text. Anything else is numbered by its content: a tag (`A`
   * or `O`, which no JSON text starts with) and its members' keys. Scalars' texts end where a comma follows, flat
   * members are whole JSON texts and other members `#n`, so a content is unambiguous and equal contents mean
   * equal values.
   */
  private containerKey(f: Frame): string {
    const members = f.parts.join(',');
    if (f.flat) {
      const text = f.keys ? `{${members}}` : `[${members}]`;
      return text.length > DIGEST_ABOVE ? `#${this.number(text)}` : text;
    }
    return `#${this.number((f.keys ? 'O' : 'A') + members)}`;
  }

  /**
   * The number of a content text. V8 hashes a string longer than 16,383 characters by its length alone, so
   * distinct long texts of one length would all collide in a Map and make the numbering quadratic: long texts
   * are looked up by their SHA-256 digest, then compared in full.
   */
  private number(text: string): number {
    if (text.length <= DIGEST_ABOVE) {
      let n = this.numbers.get(text);
      if (n === undefined) this.numbers.set(text, (n = this.count++));
      return n;
    }
    const digest = createHash('sha256').update(text).digest('base64');
    let entries = this.digested.get(digest);
    if (!entries) this.digested.set(digest, (entries = []));
    // More than one entry only on a SHA-256 collision.
    for (const e of entries) if (e.text === text) return e.n;
    const n = this.count++;
    entries.push({ text, n });
    return n;
  }
}

function frame(value: object, prefix: string): Frame {
  if (Array.isArray(value)) return { value, keys: undefined, length: value.length, prefix, parts: [], next: 0, flat: true };
  const keys = Object.keys(value).sort();
  return { value, keys, length: keys.length, prefix, parts: [], next: 0, flat: true };
}

/** The JSON text of a scalar; `-0` is written `0` (as `-0 === 0`). */
function scalarText(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      // NaN and the infinities (never in parsed JSON) keep distinct names, equal to themselves as in Ajv.
      return Number.isFinite(v) ? JSON.stringify(v) : String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      return 'null';
    default:
      // What JSON cannot carry (undefined, a bigint) gets a text no JSON value has.
      return `${typeof v} ${String(v)}`;
  }
}

let current: JsonValueKeys | undefined;
// Inside withJsonValueKeys: the scope's set is made at its first use, since most validations meet no `uniqueItems`
// (two maps and a WeakMap per validation were a visible share of a tool call's allocations).
let inScope = false;

/**
 * Runs one validation (synchronous, over data that does not change meanwhile) with one JsonValueKeys, so that
 * nested `uniqueItems` arrays reuse the keys of their members instead of reading them again at every level.
 */
export function withJsonValueKeys<T>(validate: () => T): T {
  const outer = current;
  const outerScope = inScope;
  current = undefined;
  inScope = true;
  try {
    return validate();
  } finally {
    current = outer;
    inScope = outerScope;
  }
}

/** The JsonValueKeys of the validation in progress, or a fresh one outside withJsonValueKeys. */
export function jsonValueKeys(): JsonValueKeys {
  if (!inScope) return new JsonValueKeys();
  return (current ??= new JsonValueKeys());
}
