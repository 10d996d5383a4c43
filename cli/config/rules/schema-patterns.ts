import { escapePointer } from '../source-map.js';
import { isObject } from './context.js';

/** A regular expression in a user schema: its JSON pointer inside the schema, and whether it is an object key. */
export interface SchemaPattern {
  pointer: string;
  pattern: string;
  key: boolean;
}

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

/**
 * Every `pattern` value and `patternProperties` key in a schema, found by walking the keywords that hold
 * subschemas (so a property named "pattern" or an `enum` value is never taken for one). Iterative, so a deeply
 * nested schema cannot overflow the stack.
 */
export function* schemaPatterns(schema: unknown): Generator<SchemaPattern> {
  const stack: [unknown, string][] = [[schema, '']];
  const seen = new Set<unknown>();
  while (stack.length > 0) {
    const [node, at] = stack.pop()!;
    if (!isObject(node) || seen.has(node)) continue;
    seen.add(node);
    if (typeof node.pattern === 'string') yield { pointer: `${at}/pattern`, pattern: node.pattern, key: false };
    if (isObject(node.patternProperties)) {
      for (const key of Object.keys(node.patternProperties)) yield { pointer: `${at}/patternProperties/${escapePointer(key)}`, pattern: key, key: true };
    }
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
