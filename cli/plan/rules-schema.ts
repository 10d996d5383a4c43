import { constraintEffect, typesCovered, typeSet } from './diff-schema.js';
import { ruleHit } from './rule-catalogue.js';
import type { FieldChange, RuleHit } from './types.js';
import { compact, isObject } from './values.js';

/** Where a schema change is, for messages: `input_schema/properties/limit`, or the field for the root. */
function at(c: FieldChange): string {
  return `${c.field}${c.pointer}`;
}

function propertyName(c: FieldChange): string {
  const m = /\/properties\/([^/]+)$/.exec(c.pointer);
  return m ? `"${m[1]!.replace(/~1/g, '/').replace(/~0/g, '~')}"` : at(c);
}

/** The schema node at a JSON pointer, or undefined. */
function nodeAt(schema: unknown, pointer: string): unknown {
  let node = schema;
  for (const seg of pointer.split('/').slice(1)) {
    if (!isObject(node)) return undefined;
    node = node[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

/**
 * Rules for one change inside `input_schema`: the model's arguments. Narrowing what is accepted breaks callers
 * that relied on it; widening never does.
 */
export function inputSchemaRules(c: FieldChange, all: FieldChange[], afterSchema: unknown): RuleHit[] {
  switch (c.kind) {
    case 'property_added': {
      const required = all.some((o) => o.kind === 'required_added' && o.pointer === c.pointer);
      return required ? [] : [ruleHit('INPUT_OPTIONAL_ADDED', `new optional input ${propertyName(c)}`, c)];
    }
    case 'property_removed': {
      // The property sits at <parent>/properties/<name>: what happens to callers still sending it depends on
      // the parent's additionalProperties.
      const parent = nodeAt(afterSchema, c.pointer.replace(/\/properties\/[^/]+$/, ''));
      const closed = isObject(parent) && (parent.additionalProperties === false || parent.unevaluatedProperties === false);
      const effect = closed ? 'calls that still send it are now refused (additionalProperties: false)' : 'calls that still send it have it silently ignored';
      return [ruleHit('INPUT_PROPERTY_REMOVED', `input ${propertyName(c)} was removed: ${effect}`, c)];
    }
    case 'required_added': {
      const isNew = all.some((o) => o.kind === 'property_added' && o.pointer === c.pointer);
      const what = isNew ? `new input ${propertyName(c)} is required` : `input ${propertyName(c)} was optional and is now required`;
      return [ruleHit('INPUT_REQUIRED_ADDED', `${what}: calls that omit it fail validation`, c)];
    }
    case 'required_removed':
      return [ruleHit('INPUT_SCHEMA_RELAXED', `input ${propertyName(c)} is no longer required`, c)];
    case 'type_changed':
      return typesCovered(typeSet(c.before), typeSet(c.after))
        ? [ruleHit('INPUT_SCHEMA_RELAXED', `${at(c)} type widened: ${compact(c.before)} → ${compact(c.after)}`, c)]
        : [ruleHit('INPUT_TYPE_NARROWED', `${at(c)} type narrowed: ${compact(c.before)} → ${compact(c.after)}; values of the dropped types are refused`, c)];
    case 'enum_values_removed':
      return [ruleHit('INPUT_ENUM_VALUE_REMOVED', `${at(c)} no longer accepts ${listOf(c.before)}`, c)];
    case 'enum_values_added':
      return [ruleHit('INPUT_SCHEMA_RELAXED', `${at(c)} now also accepts ${listOf(c.after)}`, c)];
    case 'variant_removed':
      return [ruleHit('INPUT_TYPE_NARROWED', `${at(c)} ${c.keyword} lost the variant ${compact(c.before)}`, c)];
    case 'variant_added':
      return [ruleHit('INPUT_SCHEMA_RELAXED', `${at(c)} ${c.keyword} gained the variant ${compact(c.after)}`, c)];
    case 'constraint_changed': {
      const effect = constraintEffect(c.keyword ?? '', c.before, c.after);
      const change = `${at(c)} ${c.keyword}: ${compact(c.before)} → ${compact(c.after)}`;
      if (effect === 'loosened') return [ruleHit('INPUT_SCHEMA_RELAXED', `${change} (accepts more)`, c)];
      const why = effect === 'tightened' ? 'accepts fewer values' : 'may refuse values it accepted before';
      return [ruleHit('INPUT_CONSTRAINT_TIGHTENED', `${change}: ${why}`, c)];
    }
    case 'text_changed':
      return [ruleHit('SCHEMA_TEXT_CHANGED', `${at(c)} ${c.keyword} changed (the model reads it)`, c)];
    default:
      return [ruleHit('INPUT_SCHEMA_CHANGED', `${at(c)} ${c.keyword} changed; the plan does not analyse it: review by eye`, c)];
  }
}

/**
 * Rules for one change inside `output_schema`: what clients were promised. Removing or widening breaks clients
 * that rely on the promise; adding or narrowing keeps it.
 */
export function outputSchemaRules(c: FieldChange): RuleHit[] {
  switch (c.kind) {
    case 'property_removed':
      return [ruleHit('OUTPUT_PROPERTY_REMOVED', `output ${propertyName(c)} was removed`, c)];
    case 'required_removed':
      return [ruleHit('OUTPUT_REQUIRED_REMOVED', `output ${propertyName(c)} is no longer required: clients relying on it may find it absent`, c)];
    case 'type_changed':
      return typesCovered(typeSet(c.after), typeSet(c.before))
        ? [ruleHit('OUTPUT_SCHEMA_CHANGED', `${at(c)} type narrowed: ${compact(c.before)} → ${compact(c.after)}`, c)]
        : [ruleHit('OUTPUT_TYPE_CHANGED', `${at(c)} type changed: ${compact(c.before)} → ${compact(c.after)}; clients may get values of a type they were not told about`, c)];
    case 'enum_values_added':
      return [ruleHit('OUTPUT_TYPE_CHANGED', `${at(c)} may now be ${listOf(c.after)}, which clients were not told about`, c)];
    case 'variant_added':
      return [ruleHit('OUTPUT_TYPE_CHANGED', `${at(c)} ${c.keyword} gained the variant ${compact(c.after)}`, c)];
    case 'text_changed':
      return [ruleHit('SCHEMA_TEXT_CHANGED', `${at(c)} ${c.keyword} changed`, c)];
    case 'property_added':
      return [ruleHit('OUTPUT_SCHEMA_CHANGED', `new output ${propertyName(c)}`, c)];
    case 'required_added':
      return [ruleHit('OUTPUT_SCHEMA_CHANGED', `output ${propertyName(c)} is now always present`, c)];
    case 'keyword_changed':
      return [ruleHit('OUTPUT_SCHEMA_CHANGED', `${at(c)} ${c.keyword} changed; the plan does not analyse it: review by eye`, c)];
    default:
      return [ruleHit('OUTPUT_SCHEMA_CHANGED', `${at(c)} ${c.keyword ?? c.kind} changed (clients get no value they were not told about)`, c)];
  }
}

function listOf(v: unknown): string {
  return Array.isArray(v) ? v.map((x) => compact(x)).join(', ') : compact(v);
}
