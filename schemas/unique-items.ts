import { _, str } from 'ajv';
import type { Ajv, CodeKeywordDefinition, KeywordCxt, KeywordErrorDefinition } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { getSchemaTypes } from 'ajv/dist/compile/validate/dataType.js';
import { jsonValueKeys } from './json-value-keys.js';

/*
 * Why Tengine replaces Ajv's `uniqueItems`: Ajv compares every pair of items with a deep equality (its fast path,
 * a hash of the values, only applies when `items` declares scalar types), so an array of n distinct objects costs
 * n²/2 comparisons: 20,000 `{"a": i}` (229 KB) took 9.6 s and a 1 MiB argument would take minutes, blocking every
 * project on the instance. Here each item gets a key (equal JSON values, and only those, get equal keys:
 * json-value-keys.ts) and a Map finds the duplicates in one pass: time linear in the size of the array.
 */

/** An index pair `[i, j]` of equal items, in the order Ajv reports it, or undefined when all items are distinct. */
export type DuplicatePair = [i: number, j: number] | undefined;

/**
 * Ajv's pair when `items` declares only scalar types: scanning from the end, the first item equal to a later one,
 * and the nearest such later item (i < j).
 */
export function duplicateFromEnd(items: readonly unknown[]): DuplicatePair {
  const keys = jsonValueKeys();
  const seen = new Map<string, number>();
  for (let i = items.length - 1; i >= 0; i--) {
    const key = keys.keyOf(items[i]);
    const j = seen.get(key);
    if (j !== undefined) return [i, j];
    seen.set(key, i);
  }
  return undefined;
}

/** Ajv's pair otherwise: the last item equal to an earlier one, and the nearest such earlier item (i > j). */
export function duplicateFromStart(items: readonly unknown[]): DuplicatePair {
  const keys = jsonValueKeys();
  const seen = new Map<string, number>();
  let pair: DuplicatePair;
  for (let i = 0; i < items.length; i++) {
    const key = keys.keyOf(items[i]);
    const j = seen.get(key);
    if (j !== undefined) pair = [i, j];
    seen.set(key, i);
  }
  return pair;
}

/** Ajv's own error for `uniqueItems` (ajv/lib/vocabularies/validation/uniqueItems.ts), so messages do not change. */
const error: KeywordErrorDefinition = {
  message: ({ params: { i, j } }) => str`must NOT have duplicate items (items ## ${j} and ${i} are identical)`,
  params: ({ params: { i, j } }) => _`{i: ${i}, j: ${j}}`,
};

/**
 * `uniqueItems` in linear time, with Ajv's meaning and errors (keyword, params `{i, j}` and message). Without
 * Ajv's `$data` option, which user schemas do not enable, so the value is always a boolean.
 */
export const linearUniqueItems: CodeKeywordDefinition = {
  keyword: 'uniqueItems',
  type: 'array',
  schemaType: 'boolean',
  error,
  code(cxt: KeywordCxt) {
    const { gen, data, schema, parentSchema } = cxt;
    if (!schema) return;
    // Ajv picks the order of its search (and so which pair it reports) by the declared item types; keep it.
    const itemTypes = parentSchema.items ? getSchemaTypes(parentSchema.items) : [];
    const scalar = itemTypes.length > 0 && !itemTypes.some((t) => t === 'object' || t === 'array');
    // `code` names the function in standalone code (schemas/generated/user-meta-validator.ts imports both by name).
    const find = gen.scopeValue('func', scalar ? { ref: duplicateFromEnd, code: _`duplicateFromEnd` } : { ref: duplicateFromStart, code: _`duplicateFromStart` });
    const pair = gen.const('dup', _`${find}(${data})`);
    cxt.setParams({ i: _`${pair}[0]`, j: _`${pair}[1]` });
    cxt.fail(_`${pair} !== undefined`);
  },
};

/** Replaces Ajv's quadratic `uniqueItems` with `linearUniqueItems`, at the same place in Ajv's keyword order. */
export function useLinearUniqueItems(ajv: Ajv | Ajv2020): void {
  const group = ajv.RULES.rules.find((g) => g.type === 'array');
  const at = group?.rules.findIndex((r) => r.keyword === 'uniqueItems') ?? -1;
  if (!group || at < 0) throw new Error('Ajv has no uniqueItems keyword to replace');
  // With allErrors off only the first failing keyword is reported; the order decides which one that is.
  const before = group.rules[at + 1]?.keyword;
  ajv.removeKeyword('uniqueItems');
  ajv.addKeyword(before ? { ...linearUniqueItems, before } : linearUniqueItems);
}
