import type { ErrorObject } from '../../../schemas/ajv.js';
import { article, describeValue } from '../schema-diagnostics.js';

/**
 * One problem in a user-supplied JSON Schema: the pointer of the bad value, the object holding it, and why; `code`
 * when it is not TNG209 (invalid-json-schema), and `key` when the pointer names an object key.
 */
export interface SchemaProblem {
  path: string;
  where: string;
  message: string;
  code?: 'TNG229' | 'TNG234';
  key?: boolean;
}

const JSON_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'];
/** Keywords whose members are named subschemas: under them, `type` is a property name, not the keyword. */
const NAMED_SUBSCHEMAS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
/** Meta-schema keywords whose failure only summarises the failures of their branches. */
const SUMMARY = new Set(['if', 'anyOf', 'oneOf']);

/**
 * Explains why a schema fails its dialect's meta-schema in the user's terms. Ajv reports the meta-schema's own
 * structure ("must be equal to one of the allowed values", then "must be array" for the other branch of `type`);
 * this names the keyword and the offending value instead: `type "text" is not a JSON Schema type (…)`.
 */
export function describeMetaSchemaErrors(schema: unknown, errors: readonly ErrorObject[]): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  const add = (path: string, where: string, message: string) => {
    if (seen.has(path + '\n' + message)) return;
    seen.add(path + '\n' + message);
    out.push({ path, where, message });
  };
  for (const e of errors) {
    if (SUMMARY.has(e.keyword)) continue;
    const tokens = e.instancePath.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    const isKeyword = (i: number) => i >= 0 && !NAMED_SUBSCHEMAS.has(tokens[i - 1] ?? '');
    const last = tokens.length - 1;
    const parentOf = (n: number) => e.instancePath.split('/').slice(0, -n).join('/');
    // `type: text` or `type: [string, txt]`: the value named, with the names that exist.
    const typeIndex = tokens[last] === 'type' && isKeyword(last) ? last : tokens[last - 1] === 'type' && /^\d+$/.test(tokens[last] ?? '') && isKeyword(last - 1) ? last - 1 : -1;
    if (typeIndex >= 0) {
      const value = valueAt(schema, tokens);
      const where = parentOf(tokens.length - typeIndex);
      if (typeof value === 'string') {
        add(e.instancePath, where, `type ${JSON.stringify(value)} is not a JSON Schema type (${JSON_TYPES.join(', ')})`);
        continue;
      }
      // A list with a bad member: that member is reported at its own path.
      if (Array.isArray(value) && value.some((t) => typeof t !== 'string' || !JSON_TYPES.includes(t))) continue;
      if (!Array.isArray(value)) {
        add(e.instancePath, where, `type must be a JSON Schema type or a list of them, not ${describeValue(value)}`);
        continue;
      }
    }
    const key = tokens.length > 0 ? tokens[last]! : 'the schema';
    const where = tokens.length > 0 ? parentOf(1) : '';
    if (e.keyword === 'enum') {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      add(e.instancePath, where, `${key} must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`);
    } else if (e.keyword === 'type') {
      const t = (e.params as { type: string | string[] }).type;
      const types = (Array.isArray(t) ? t : String(t).split(',')).map(article).join(' or ');
      add(e.instancePath, where, `${key} must be ${types}, not ${describeValue(valueAt(schema, tokens))}`);
    } else {
      add(e.instancePath, where, `${key} ${e.message ?? 'is invalid'}`);
    }
  }
  return out;
}

function valueAt(root: unknown, tokens: readonly string[]): unknown {
  let v = root;
  for (const t of tokens) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[t] : undefined;
  return v;
}
