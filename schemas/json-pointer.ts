/** Escapes one JSON-pointer reference token (RFC 6901). */
export function escapePointer(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** A compiled JSON pointer (RFC 6901): its reference tokens, unescaped once at bundle load. */
export type CompiledPointer = readonly string[];

/** Parses a JSON pointer, or returns undefined when it is not one (`a/b`, `/~2`). `""` is the whole document. */
export function parsePointer(pointer: string): CompiledPointer | undefined {
  if (pointer === '') return [];
  if (pointer[0] !== '/' || /~[^01]|~$/.test(pointer)) return undefined;
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * The value `pointer` names in `doc`, or undefined when there is none. Array tokens are decimal indexes without
 * leading zeros (RFC 6901 §4); only own properties count, so `/__proto__` or `/constructor` never reach a prototype.
 */
export function resolvePointer(doc: unknown, pointer: CompiledPointer): unknown {
  let v = doc;
  for (const token of pointer) {
    if (Array.isArray(v)) {
      if (!/^(0|[1-9][0-9]{0,9})$/.test(token)) return undefined;
      v = v[Number(token)];
    } else if (v !== null && typeof v === 'object') {
      if (!Object.prototype.hasOwnProperty.call(v, token)) return undefined;
      v = (v as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
  }
  return v;
}
