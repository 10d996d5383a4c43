import { LOW_PRIORITY_RULES } from './rule-catalogue.js';
import type { Action, ClassifiedChange, FieldChange, Plan, Subject } from './types.js';

/** The symbol of an action in every output: `+` add, `-` remove, `~` change, `→` rename. */
export const ACTION_SYMBOL: Record<Action, string> = { add: '+', remove: '-', change: '~', rename: '→' };

const SUBJECT_LABEL: Record<Subject, string> = {
  runtime: 'runtime settings',
  project: 'project',
  tool: 'tool',
  integration: 'integration',
  api_key: 'API key',
  assertion_key: 'assertion key',
};

/** `tool crm-contacts-search`, `API key sha256:ab12…ef90 of sales-assistant`, `runtime settings`. */
export function subjectText(c: ClassifiedChange): string {
  if (c.subject === 'runtime') return SUBJECT_LABEL.runtime;
  const label = c.fields.find((f) => c.subject === 'api_key' && f.field === 'name');
  const keyName = label ? ` (${String(label.after ?? label.before)})` : '';
  const of = c.parent ? ` of ${c.parent}` : '';
  const renamed = c.previous_name !== null ? ` (renamed from ${c.previous_name})` : '';
  return `${SUBJECT_LABEL[c.subject]} ${c.name}${keyName}${of}${renamed}`;
}

/** The closing line: renames count as changes; accepted changes are mentioned only when there are some. */
export function closingLine(plan: Plan): string {
  if (!plan.changes.length) return 'No changes. The tool surface matches.';
  const s = plan.summary;
  const accepted = s.accepted ? `, ${s.accepted} accepted` : '';
  return `Plan: ${s.add} to add, ${s.change + s.rename} to change, ${s.remove} to remove (${s.breaking} breaking, ${s.security} security${accepted})`;
}

/** The verdict shown next to a change: `BREAKING`, `security`, `accepted`, or nothing for benign. */
export function verdict(c: ClassifiedChange): 'BREAKING' | 'security' | 'accepted' | '' {
  if (c.severity === 'breaking') return 'BREAKING';
  if (c.severity === 'security') return 'security';
  return c.accepted ? 'accepted' : '';
}

/** Order for a review: breaking, security, low-priority security, accepted, benign; stable otherwise. */
export function reviewRank(c: ClassifiedChange): number {
  if (c.severity === 'breaking') return 0;
  if (c.severity === 'security') return c.rules.every((h) => h.severity !== 'security' || h.accepted || LOW_PRIORITY_RULES.has(h.rule)) ? 2 : 1;
  return c.accepted ? 3 : 4;
}

/**
 * The field changes worth a line: a `required_added` of a property added in the same change repeats that line,
 * and an API key's label is already in the subject text.
 */
export function shownFields(c: ClassifiedChange): FieldChange[] {
  if (c.subject === 'api_key') return c.fields.filter((f) => f.field !== 'name');
  const added = new Set(c.fields.filter((f) => f.kind === 'property_added').map((f) => `${f.field}${f.pointer}`));
  return c.fields.filter((f) => !(f.kind === 'required_added' && added.has(`${f.field}${f.pointer}`)));
}

/** A display value: compact JSON, cut to `max` characters. */
export function show(v: unknown, max: number): string {
  const s = v === undefined ? '(unset)' : JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** One field change as a line: its symbol (`+ - ~`) and text. Long values are cut to `max` characters. */
export function fieldLine(f: FieldChange, max: number): { sym: string; text: string; texts?: { before?: string; after?: string } } {
  const keyword = f.field === 'usage_limits' ? ` (per ${f.keyword ?? 'member'})` : f.keyword && !['required', 'type'].includes(f.keyword) ? ` ${f.keyword}` : '';
  const where = `${f.field}${f.pointer}${keyword}`;
  const note = f.note ? ` ${f.note}` : '';
  switch (f.kind) {
    case 'added':
      return { sym: '+', text: `${where}: ${show(f.after, max)}${note}` };
    case 'removed':
      return { sym: '-', text: `${where}: ${show(f.before, max)}${note}` };
    case 'property_added':
      return { sym: '+', text: `${where} (${f.note ?? 'optional'}): ${show(f.after, max)}` };
    case 'property_removed':
      return { sym: '-', text: `${where}: ${show(f.before, max)}` };
    case 'required_added':
      return { sym: '~', text: `${where}: now required` };
    case 'required_removed':
      return { sym: '~', text: `${where}: no longer required` };
    case 'type_changed':
      return { sym: '~', text: `${where} type: ${show(f.before, max)} → ${show(f.after, max)}` };
    case 'enum_values_added':
    case 'variant_added':
      return { sym: '+', text: `${where}: ${list(f.after, max)}` };
    case 'enum_values_removed':
    case 'variant_removed':
      return { sym: '-', text: `${where}: ${list(f.before, max)}` };
    default:
      if (f.note && typeof f.before === 'string' && typeof f.after === 'string') {
        // Text the model reads (descriptions): the size change, then both versions.
        return { sym: '~', text: `${where}:${note}`, texts: { before: f.before, after: f.after } };
      }
      return { sym: '~', text: `${where}: ${show(f.before, max)} → ${show(f.after, max)}${note}` };
  }
}

function list(v: unknown, max: number): string {
  return Array.isArray(v) ? v.map((x) => show(x, max)).join(', ') : show(v, max);
}

/**
 * The part of two versions of a text that differs, with some context, each on one line and at most `max`
 * characters: long descriptions usually change in one place, which a plain cut would hide.
 */
export function textWindow(before: string, after: string, max: number): [string, string] {
  const b = before.replace(/\s+/g, ' ').trim();
  const a = after.replace(/\s+/g, ' ').trim();
  let p = 0;
  while (p < b.length && p < a.length && b[p] === a[p]) p++;
  let q = 0;
  while (q < b.length - p && q < a.length - p && b[b.length - 1 - q] === a[a.length - 1 - q]) q++;
  const context = 40;
  const start = Math.max(0, p - context);
  const cut = (t: string) => {
    const end = Math.min(t.length, t.length - q + context);
    const body = t.slice(start, end);
    const text = `${start > 0 ? '…' : ''}${body}${end < t.length ? '…' : ''}`;
    return text.length > max ? `${text.slice(0, max - 1)}…` : text;
  };
  return [cut(b), cut(a)];
}
