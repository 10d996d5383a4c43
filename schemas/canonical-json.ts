/**
 * Serializes a JSON value canonically (RFC 8785 style): object keys sorted by UTF-16 code units, no insignificant
 * whitespace, numbers in ECMAScript shortest form. Equal values always give identical bytes, which is what lets
 * the bundle payload be reproducible and its digest meaningful. Throws on values JSON cannot represent.
 */
export function canonicalJson(value: unknown): string {
  // Fastest path: a value whose keys are already in canonical order (anything parsed from canonical JSON, such as a
  // bundle payload and every part of it) serializes natively as it is, with no sorted copy to allocate.
  if (inCanonicalOrder(value)) return JSON.stringify(value);
  // Fast path: copy with sorted keys and let the native serializer do the rest (about 4x quicker on large
  // bundles). Objects with integer-like keys cannot keep a sorted order (engines iterate those first, in numeric
  // order), so such values take the slower hand-written serializer.
  const sorted = sortKeys(value);
  return sorted === INDEX_KEYS ? slowCanonical(value) : JSON.stringify(sorted);
}

/**
 * True when JSON.stringify(value) is already its canonical JSON: plain objects and arrays only, every object's keys
 * in strictly ascending UTF-16 order and none integer-like or `__proto__`, every scalar representable (finite
 * numbers, strings, booleans, null; `undefined` only as an object member, which both serializers leave out).
 * Anything else (a Date, a Map, a toJSON method, NaN) goes to the copying paths, which keep their behaviour.
 */
function inCanonicalOrder(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
  if (Array.isArray(v)) {
    if (Object.hasOwn(v, 'toJSON')) return false;
    for (let i = 0; i < v.length; i++) if (!inCanonicalOrder(v[i])) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  const obj = v as Record<string, unknown>;
  let previous: string | undefined;
  for (const k in obj) {
    if (!Object.hasOwn(obj, k)) return false;
    if ((previous !== undefined && !(previous < k)) || k === '__proto__' || INDEX_LIKE.test(k)) return false;
    previous = k;
    const c = obj[k];
    if (c !== undefined && !inCanonicalOrder(c)) return false;
  }
  return true;
}

/**
 * The canonical JSON of an object together with that of each of its members, by key: the text is exactly
 * `canonicalJson(obj)`, and a member's text can be hashed without serializing it a second time (the bundle check
 * hashes the config inside the payload it has just checked).
 */
export function canonicalMembers(obj: Record<string, unknown>): { text: string; members: Map<string, string> } {
  const members = new Map<string, string>();
  const parts: string[] = [];
  for (const k of Object.keys(obj).sort()) {
    if (obj[k] === undefined) continue;
    const text = canonicalJson(obj[k]);
    members.set(k, text);
    parts.push(`${JSON.stringify(k)}:${text}`);
  }
  return { text: `{${parts.join(',')}}`, members };
}

/**
 * The canonical text of a value and a plain copy of it equal to JSON.parse(text) (keys sorted, undefined members
 * gone, -0 as 0), without parsing the text: `tengine build` needs both for a config of many megabytes.
 */
export function canonicalize(value: unknown): { text: string; value: unknown } {
  const sorted = sortKeys(value);
  if (sorted === INDEX_KEYS) {
    const text = slowCanonical(value);
    return { text, value: JSON.parse(text) as unknown };
  }
  return { text: JSON.stringify(sorted), value: sorted };
}

const INDEX_KEYS = Symbol('index-keys');
const INDEX_LIKE = /^(0|[1-9][0-9]*)$/;

function sortKeys(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return checkScalar(v);
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) {
      const c = sortKeys(v[i]);
      if (c === INDEX_KEYS) return INDEX_KEYS;
      // JSON has no undefined array members; JSON.stringify would write null, the slow path throws. Be explicit.
      out[i] = c === undefined ? null : c;
    }
    return out;
  }
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    // Assigning "__proto__" would set the prototype instead of adding a member; the slow path writes it as text.
    if (INDEX_LIKE.test(k) || k === '__proto__') return INDEX_KEYS;
    const c = sortKeys(obj[k]);
    if (c === INDEX_KEYS) return INDEX_KEYS;
    if (c !== undefined) out[k] = c;
  }
  return out;
}

function checkScalar(v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) throw new TypeError('canonicalJson: non-finite number');
  if (typeof v === 'bigint' || typeof v === 'function' || typeof v === 'symbol') throw new TypeError(`canonicalJson: cannot serialize ${typeof v}`);
  // -0 is written as 0; the copy canonicalize() returns says the same.
  return v === 0 ? 0 : v;
}

function slowCanonical(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
      return JSON.stringify(value);
    case 'undefined':
      return 'null';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map(slowCanonical).join(',')}]`;
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${slowCanonical(obj[k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalJson: cannot serialize ${typeof value}`);
  }
}
