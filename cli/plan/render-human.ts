import { styler } from '../output/style.js';
import { ACTION_SYMBOL, closingLine, fieldLine, shownFields, subjectText, textWindow, verdict } from './render-common.js';
import type { ClassifiedChange, Plan } from './types.js';

/** Longest value shown on one line of human output; JSON output has the whole value. */
const MAX_VALUE = 120;
/** Longest text (description) shown per version. */
const MAX_TEXT = 200;

/**
 * Human output: changes grouped by project, each with its symbol (`+ - ~ →`), its verdict (`BREAKING`,
 * `security`, `accepted`), its changed fields only, and the rules it matched (breaking and security ones with
 * their message, benign ones about a field by ID only); then warnings and the closing line. Colour only when `color` is true.
 */
export function renderPlanHuman(plan: Plan, color: boolean): string {
  const s = styler(color);
  const symColor = (sym: string) => (sym === '+' ? s.green(sym) : sym === '-' ? s.red(sym) : sym === '→' ? s.cyan(sym) : s.yellow(sym));
  let out = '';
  if (plan.sources.before !== null || plan.sources.after !== null) {
    out += `${s.bold('Tengine plan')}: ${plan.sources.before ?? '(before)'} → ${plan.sources.after ?? '(after)'}\n\n`;
  }
  let group: string | undefined;
  for (const c of plan.changes) {
    const g = c.project === null ? 'runtime' : `project ${c.project}`;
    if (g !== group) {
      if (group !== undefined) out += '\n';
      out += `${s.bold(g)}\n`;
      group = g;
    }
    const v = verdict(c);
    const tag = v === 'BREAKING' ? s.red(s.bold('! BREAKING')) : v === 'security' ? s.yellow('! security') : v === 'accepted' ? s.green('✓ accepted') : '';
    out += `  ${symColor(ACTION_SYMBOL[c.action])} ${subjectText(c)}${tag ? `  ${tag}` : ''}\n`;
    for (const f of shownFields(c)) {
      const line = fieldLine(f, MAX_VALUE);
      out += `      ${symColor(line.sym)} ${line.text}\n`;
      if (line.texts) {
        const [b, a] = textWindow(line.texts.before ?? '', line.texts.after ?? '', MAX_TEXT);
        out += `          ${s.red('-')} ${s.dim(b)}\n`;
        out += `          ${s.green('+')} ${a}\n`;
      }
    }
    out += hitLines(c, s);
  }
  if (plan.warnings.length) {
    out += `\n${s.yellow('Warnings:')}\n`;
    for (const w of plan.warnings) out += `  ${s.yellow('warning')} ${s.dim(w.code)} ${w.message}\n`;
  }
  if (plan.changes.length || plan.warnings.length) out += '\n';
  out += `${s.bold(closingLine(plan))}\n`;
  return out;
}

function hitLines(c: ClassifiedChange, s: ReturnType<typeof styler>): string {
  let out = '';
  const benign = new Map<string, number>();
  for (const h of c.rules) {
    if (h.accepted) out += `      ${s.green('✓ accepted')} ${h.rule} (${h.severity}): ${h.reason ?? ''}\n`;
    else if (h.severity === 'breaking') out += `      ${s.red(s.bold('! BREAKING'))} ${h.rule}: ${h.message}\n`;
    else if (h.severity === 'security') out += `      ${s.yellow('! security')} ${h.rule}: ${h.message}\n`;
    // A benign hit about a field repeats the field line above it; one about the whole subject says why.
    else if (h.field === null) out += `      ${s.dim(`benign ${h.rule}: ${h.message}`)}\n`;
    else benign.set(h.rule, (benign.get(h.rule) ?? 0) + 1);
  }
  if (benign.size) out += `      ${s.dim(`benign: ${[...benign].map(([r, n]) => (n > 1 ? `${r} ×${n}` : r)).join(', ')}`)}\n`;
  return out;
}
