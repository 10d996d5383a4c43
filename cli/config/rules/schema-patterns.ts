import { eachSubschema } from '../../../schemas/subschemas.js';
import { escapePointer } from '../source-map.js';
import { isObject } from './context.js';

/** A regular expression in a user schema: its JSON pointer inside the schema, and whether it is an object key. */
export interface SchemaPattern {
  pointer: string;
  pattern: string;
  key: boolean;
}

/**
 * Every `pattern` value and `patternProperties` key in a schema, in the order they are written (subschemas only:
 * a property named "pattern" or an `enum` value is never taken for one).
 */
export function* schemaPatterns(schema: unknown): Generator<SchemaPattern> {
  for (const { node, pointer: at } of eachSubschema(schema)) {
    if (typeof node.pattern === 'string') yield { pointer: `${at}/pattern`, pattern: node.pattern, key: false };
    if (isObject(node.patternProperties)) {
      for (const key of Object.keys(node.patternProperties)) yield { pointer: `${at}/patternProperties/${escapePointer(key)}`, pattern: key, key: true };
    }
  }
}
