import { escapePointer } from './json-pointer.js';

/**
 * Keywords holding subschemas (2020-12 and draft-07): one subschema, or a list of them (`items` is either in
 * draft-07), or a map of names to them (`dependencies` values may also be lists of names, which are skipped).
 */
const SUBSCHEMA_KEYWORDS = new Set([
  'additionalProperties', 'additionalItems', 'items', 'contains', 'propertyNames', 'not', 'if', 'then', 'else', 'unevaluatedItems', 'unevaluatedProperties',
  'allOf', 'anyOf', 'oneOf', 'prefixItems',
  'properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas', 'dependencies',
]);
const MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas', 'dependencies']);

/** A schema object inside a JSON Schema, with the JSON pointer of where it sits. */
export interface Subschema {
  node: Record<string, unknown>;
  pointer: string;
}


function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Every schema object of a JSON Schema, the root first and then in the order they are written, found by walking
 * the keywords that hold subschemas (so a property named "pattern" or an `enum` value is never taken for one).
 * Iterative, so a deeply nested schema cannot overflow the stack; an object reached twice is yielded once.
 */
export function* eachSubschema(schema: unknown): Generator<Subschema> {
  const stack: [unknown, string][] = [[schema, '']];
  const seen = new Set<unknown>();
  while (stack.length > 0) {
    const [node, at] = stack.pop()!;
    if (!isObject(node) || seen.has(node)) continue;
    seen.add(node);
    yield { node, pointer: at };
    const children: [unknown, string][] = [];
    for (const [k, v] of Object.entries(node)) {
      if (!SUBSCHEMA_KEYWORDS.has(k)) continue;
      if (Array.isArray(v)) v.forEach((s, i) => children.push([s, `${at}/${k}/${i}`]));
      else if (MAPS.has(k) && isObject(v)) for (const [name, s] of Object.entries(v)) children.push([s, `${at}/${k}/${escapePointer(name)}`]);
      else children.push([v, `${at}/${k}`]);
    }
    // Reversed, so that the stack yields subschemas in the order they are written.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
}
