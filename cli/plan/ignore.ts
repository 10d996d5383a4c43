import { readFile } from 'node:fs/promises';
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { closestMatch } from '../config/did-you-mean.js';
import { RULES, withVerdict, type RuleId } from './rules.js';
import type { ClassifiedChange, PlanError, PlanWarning } from './types.js';
import { IGNORE_FILE_NAME } from './ignore-file-name.js';

export { IGNORE_FILE_NAME };

/** One accepted change: a rule in a project (`*` for any, runtime settings included), optionally one tool. */
export interface IgnoreEntry {
  rule: RuleId;
  project: string;
  /** Tool name (old or new name of a rename) or tool id; absent: every change of the rule in the project. */
  tool?: string;
  /** Why the change is accepted; required, shown in every output next to the accepted change. */
  reason: string;
  /** YYYY-MM-DD; the entry applies up to and including this date, then it is only a warning. */
  expires?: string;
  /** Where the entry is, for messages: `file:line`. */
  where: string;
}

/** The outcome of parsing an ignore file: entries when there is no error. */
export interface IgnoreFile {
  entries: IgnoreEntry[];
  errors: PlanError[];
}

const ENTRY_KEYS = new Set(['rule', 'project', 'tool', 'reason', 'expires']);
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** True for a real calendar date written YYYY-MM-DD. */
export function isIsoDate(s: string): boolean {
  if (!DATE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/**
 * Parses the text of an ignore file. Never throws: every problem is an error `{code: 'PLAN_IGNORE_INVALID'}`
 * with the file and line, and any error means no entry is used (a half-read ignore file could hide a change).
 */
export function parseIgnoreFile(text: string, file: string): IgnoreFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const errors: PlanError[] = [];
  const fail = (node: Node | null | undefined, message: string) => {
    const line = node?.range ? lines.linePos(node.range[0]).line : 1;
    errors.push({ code: 'PLAN_IGNORE_INVALID', message: `${file}:${line}: ${message}` });
  };
  for (const e of doc.errors) {
    errors.push({ code: 'PLAN_IGNORE_INVALID', message: `${file}:${e.linePos?.[0]?.line ?? 1}: ${e.message.split('\n')[0]}` });
  }
  if (errors.length) return { entries: [], errors };
  const root = doc.contents;
  if (root === null) return { entries: [], errors };
  if (!isMap(root)) {
    fail(root, 'the ignore file must be a mapping with `version: 1` and an `accept:` list');
    return { entries: [], errors };
  }
  const top = root.toJSON() as Record<string, unknown>;
  for (const k of Object.keys(top)) if (k !== 'version' && k !== 'accept') fail(root.get(k, true) as Node, `unknown key "${k}" (expected version, accept)`);
  if ('version' in top && top.version !== 1) fail(root.get('version', true) as Node, 'version must be 1');
  const accept = root.get('accept', true);
  const entries: IgnoreEntry[] = [];
  if (accept !== undefined && accept !== null && !isSeq(accept)) fail(accept as Node, '`accept` must be a list of entries');
  if (isSeq(accept)) {
    accept.items.forEach((item, i) => {
      const label = `accept[${i}]`;
      if (!isMap(item)) return fail(item as Node, `${label} must be a mapping with rule, project and reason`);
      const line = item.range ? lines.linePos(item.range[0]).line : 1;
      const v = item.toJSON() as Record<string, unknown>;
      const before = errors.length;
      for (const k of Object.keys(v)) if (!ENTRY_KEYS.has(k)) fail(item, `${label}: unknown key "${k}" (expected rule, project, tool, reason, expires)`);
      if (typeof v.rule !== 'string' || !Object.hasOwn(RULES, v.rule)) {
        const near = typeof v.rule === 'string' ? closestMatch(v.rule, Object.keys(RULES)) : undefined;
        fail(item, `${label}: rule ${JSON.stringify(v.rule ?? null)} is not a rule ID of docs/plan-rules.md${near ? ` (did you mean ${near}?)` : ''}`);
      }
      if (typeof v.project !== 'string' || !v.project) fail(item, `${label}: project is required (a project id, or "*" for every project and the runtime settings)`);
      if (v.tool !== undefined && (typeof v.tool !== 'string' || !v.tool)) fail(item, `${label}: tool must be a tool name or id`);
      if (typeof v.reason !== 'string' || !v.reason.trim()) fail(item, `${label}: reason is required: say why this change is accepted (it is shown in every plan)`);
      if (v.expires !== undefined && (typeof v.expires !== 'string' || !isIsoDate(v.expires))) {
        fail(item, typeof v.expires === 'string' && DATE.test(v.expires) ? `${label}: expires ${v.expires} is not a calendar date` : `${label}: expires must be a date written YYYY-MM-DD`);
      }
      if (errors.length > before) return;
      entries.push({
        rule: v.rule as RuleId,
        project: v.project as string,
        ...(v.tool !== undefined ? { tool: v.tool as string } : {}),
        reason: (v.reason as string).trim(),
        ...(v.expires !== undefined ? { expires: v.expires as string } : {}),
        where: `${file}:${line}`,
      });
    });
  }
  return errors.length ? { entries: [], errors } : { entries, errors };
}

/**
 * Reads and parses an ignore file. With `optional`, a missing file is no entries (the default file next to the
 * config); without it, a missing file is an error (a path the user named). The only I/O of cli/plan.
 */
export async function readIgnoreFile(path: string, opts: { optional?: boolean; display?: string } = {}): Promise<IgnoreFile> {
  const display = opts.display ?? path;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && opts.optional) return { entries: [], errors: [] };
    return { entries: [], errors: [{ code: 'PLAN_IGNORE_UNREADABLE', message: `${display}: ${code === 'ENOENT' ? 'no such file' : 'cannot be read'} (${code ?? 'error'})` }] };
  }
  return parseIgnoreFile(text, display);
}

function describe(e: IgnoreEntry): string {
  return `${e.rule} in ${e.project === '*' ? 'every project' : `project ${e.project}`}${e.tool ? ` for tool ${e.tool}` : ''}`;
}

/** True when the entry covers the hit of `rule` on this change. */
function matches(e: IgnoreEntry, c: ClassifiedChange, rule: RuleId): boolean {
  if (e.rule !== rule) return false;
  if (e.project !== '*' && e.project !== c.project) return false;
  if (e.tool === undefined) return true;
  return c.subject === 'tool' && (e.tool === c.name || e.tool === c.previous_name || e.tool === c.identity);
}

/**
 * Marks the hits the ignore entries accept (`accepted: true` plus the reason) and recomputes each change's
 * verdict. Expired entries (`expires` before `today`) apply to nothing and are warnings, and so are entries
 * that match no change, so that the file does not keep stale acceptances.
 */
export function applyIgnore(changes: ClassifiedChange[], entries: IgnoreEntry[], today: string): { changes: ClassifiedChange[]; warnings: PlanWarning[] } {
  const warnings: PlanWarning[] = [];
  const live: IgnoreEntry[] = [];
  for (const e of entries) {
    if (e.expires !== undefined && e.expires < today) {
      warnings.push({ code: 'PLAN_IGNORE_EXPIRED', message: `${e.where}: the entry accepting ${describe(e)} expired on ${e.expires} and no longer applies` });
    } else live.push(e);
  }
  const used = new Set<IgnoreEntry>();
  const out = changes.map((c) => {
    let touched = false;
    const rules = c.rules.map((h) => {
      const e = live.find((x) => matches(x, c, h.rule));
      if (!e) return h;
      used.add(e);
      touched = true;
      return { ...h, accepted: true, reason: e.reason };
    });
    return touched ? withVerdict({ ...c, rules }) : c;
  });
  for (const e of live) {
    if (!used.has(e)) warnings.push({ code: 'PLAN_IGNORE_UNUSED', message: `${e.where}: the entry accepting ${describe(e)} matches no change; remove it` });
  }
  return { changes: out, warnings };
}
