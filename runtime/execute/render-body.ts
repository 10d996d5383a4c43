import { wholePlaceholder, type TemplatePart } from '../../schemas/template.js';
import { parseValid } from './render-url.js';
import type { TemplateLookup } from './template-values.js';

/**
 * A compiled `body_template`. Subtrees without placeholders are kept as the very values of the config, so
 * static parts are never re-encoded or re-typed.
 */
export type BodyNode =
  | { kind: 'static'; value: unknown }
  | { kind: 'whole'; name: string }
  | { kind: 'text'; parts: TemplatePart[] }
  | { kind: 'object'; entries: [string, BodyNode][] }
  | { kind: 'array'; items: BodyNode[] };

/** Marks a value that is left out: a member or item whose placeholder has no value. */
const OMIT: unique symbol = Symbol('omit');

/** Compiles `body_template` once at bundle load. */
export function compileBody(template: unknown, path = 'body_template', depth = 0): BodyNode {
  if (depth > 64) throw new Error(`${path}: nested too deeply`);
  if (typeof template === 'string') {
    const whole = wholePlaceholder(template);
    if (whole !== undefined) return { kind: 'whole', name: whole };
    const parts = parseValid(template, path);
    if (parts.every((p) => 'text' in p)) return { kind: 'static', value: parts.map((p) => ('text' in p ? p.text : '')).join('') };
    return { kind: 'text', parts };
  }
  if (Array.isArray(template)) {
    const items = template.map((t, i) => compileBody(t, `${path}/${i}`, depth + 1));
    return items.every((n) => n.kind === 'static') ? { kind: 'static', value: template.map((_, i) => (items[i] as { value: unknown }).value) } : { kind: 'array', items };
  }
  if (template !== null && typeof template === 'object') {
    const entries = Object.entries(template).map(([k, v]) => [k, compileBody(v, `${path}/${k}`, depth + 1)] as [string, BodyNode]);
    if (entries.every(([, n]) => n.kind === 'static')) return { kind: 'static', value: buildObject(entries.map(([k, n]) => [k, (n as { value: unknown }).value])) };
    return { kind: 'object', entries };
  }
  return { kind: 'static', value: template };
}

/**
 * Renders the body to its JSON bytes, or undefined when there is no body. A string that is exactly `{name}` takes
 * the value with its JSON type; other strings interpolate values as text (objects and lists as their JSON text).
 * An object member or list item whose template needs a missing value is left out, as is a whole body that does.
 */
export function renderBody(node: BodyNode | undefined, lookup: TemplateLookup): Uint8Array | undefined {
  if (node === undefined) return undefined;
  const value = render(node, lookup);
  if (value === OMIT) return undefined;
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function render(node: BodyNode, lookup: TemplateLookup): unknown {
  switch (node.kind) {
    case 'static':
      return node.value;
    case 'whole': {
      const v = lookup(node.name);
      return v === undefined ? OMIT : v.json;
    }
    case 'text': {
      let text = '';
      for (const part of node.parts) {
        if ('text' in part) {
          text += part.text;
          continue;
        }
        const v = lookup(part.variable);
        if (v === undefined) return OMIT;
        text += v.text ?? JSON.stringify(v.json);
      }
      return text;
    }
    case 'array': {
      const out: unknown[] = [];
      for (const item of node.items) {
        const v = render(item, lookup);
        if (v !== OMIT) out.push(v);
      }
      return out;
    }
    case 'object': {
      const out: [string, unknown][] = [];
      for (const [k, item] of node.entries) {
        const v = render(item, lookup);
        if (v !== OMIT) out.push([k, v]);
      }
      return buildObject(out);
    }
  }
}

/** Builds an object with own data properties, so a member named `__proto__` is a member, not a prototype change. */
function buildObject(entries: [string, unknown][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}
