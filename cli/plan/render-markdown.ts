import { ACTION_SYMBOL, closingLine, fieldLine, reviewRank, shownFields, subjectText } from './render-common.js';
import type { Action, ClassifiedChange, Plan } from './types.js';

/** The hidden marker a workflow searches for to update its one plan comment instead of adding another. */
export const PLAN_COMMENT_MARKER = '<!-- tengine-plan -->';

/** GitHub refuses comments over 65,536 characters; stay well below and say what was left out. */
const MAX_COMMENT = 60_000;
const MAX_VALUE = 300;

const ACTION_WORD: Record<Action, string> = { add: 'add', remove: 'remove', change: 'change', rename: 'rename' };
const VERDICT_CELL = ['🛑 **breaking**', '⚠️ **security**', '⚠️ security (low)', '✅ accepted', 'benign'];

/** Escapes text for HTML (`<summary>`, where markdown is not processed), on one line. */
function escHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, ' ');
}

/** Escapes text for markdown table cells and list items: HTML, and `|`, which would split a cell. */
function esc(s: string): string {
  return escHtml(s).replace(/\|/g, '\\|');
}

/** A fenced code block whose fence is longer than any backtick run inside. */
function fence(lang: string, body: string): string {
  const longest = Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const f = '`'.repeat(Math.max(3, longest + 1));
  return `${f}${lang}\n${body}\n${f}`;
}

/**
 * `--format markdown`, for a pull-request comment: the hidden marker, a heading, the closing line, a summary
 * table (breaking and security first), then one folded `<details>` block per change with its rules and a diff of
 * its fields. Stays under GitHub's comment size limit by leaving out details (and then rows) at the end.
 */
export function renderPlanMarkdown(plan: Plan): string {
  const head: string[] = [PLAN_COMMENT_MARKER, '### Tengine plan', ''];
  if (plan.sources.before !== null || plan.sources.after !== null) {
    head.push(`Comparing \`${plan.sources.before ?? '(before)'}\` → \`${plan.sources.after ?? '(after)'}\` (dates checked against ${plan.today}).`, '');
  }
  head.push(`**${closingLine(plan)}**`, '');
  const warnings = plan.warnings.length ? ['**Warnings**', '', ...plan.warnings.map((w) => `- \`${w.code}\` ${esc(w.message)}`), ''] : [];
  if (!plan.changes.length) return [...head, ...warnings].join('\n');

  const ordered = plan.changes.map((c, i) => ({ c, i, rank: reviewRank(c) })).sort((a, b) => a.rank - b.rank || a.i - b.i);
  const rows = ordered.map(({ c, rank }) => {
    const rules = c.rules.map((h) => `\`${h.rule}\`${h.accepted ? ' (accepted)' : h.severity === 'benign' ? '' : ` (${h.severity})`}`);
    const what = c.subject === 'tool' ? `\`${esc(c.name)}\`${c.previous_name !== null ? ` (was \`${esc(c.previous_name)}\`)` : ''}` : esc(subjectText(c));
    return `| ${VERDICT_CELL[rank]} | ${esc(c.project ?? '(runtime)')} | ${what} | ${ACTION_SYMBOL[c.action]} ${ACTION_WORD[c.action]} | ${[...new Set(rules)].join(', ')} |`;
  });
  const details = ordered.map(({ c }) => detailsBlock(c));

  const out = [...head, '| | project | tool | change | rules |', '|---|---|---|---|---|'];
  const tail = ['', ...warnings];
  let size = [...out, ...tail].join('\n').length;
  let shownRows = 0;
  for (const r of rows) {
    if (size + r.length + 1 > MAX_COMMENT / 2) break;
    out.push(r);
    size += r.length + 1;
    shownRows++;
  }
  if (shownRows < rows.length) out.push(`| | | … ${rows.length - shownRows} more | | |`);
  out.push('');
  let shownDetails = 0;
  for (const d of details.slice(0, shownRows)) {
    if (size + d.length + 2 > MAX_COMMENT) break;
    out.push(d, '');
    size += d.length + 2;
    shownDetails++;
  }
  if (shownDetails < details.length) {
    out.push(`_Details of ${details.length - shownDetails} more change${details.length - shownDetails === 1 ? '' : 's'} are left out to fit a comment; run \`tengine plan\` for the full plan._`, '');
  }
  out.push(...warnings);
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

function detailsBlock(c: ClassifiedChange): string {
  const project = c.project === null ? '' : ` (${escHtml(c.project)})`;
  const tag = c.severity === 'breaking' ? ': breaking' : c.severity === 'security' ? ': security' : c.accepted ? ': accepted' : '';
  const lines = [`<details><summary>${ACTION_SYMBOL[c.action]} ${escHtml(subjectText(c))}${project}${tag}</summary>`, ''];
  for (const h of c.rules) {
    const sev = h.accepted ? `✅ accepted ${h.severity}` : h.severity === 'benign' ? 'benign' : `**${h.severity}**`;
    lines.push(`- ${sev} \`${h.rule}\`: ${esc(h.message)}${h.accepted ? ` (reason: ${esc(h.reason ?? '')})` : ''}`);
  }
  if (c.fields.length) {
    const body: string[] = [];
    for (const f of shownFields(c)) {
      const line = fieldLine(f, MAX_VALUE);
      body.push(`${line.sym} ${line.text}`);
      if (line.texts) body.push(`-   ${line.texts.before ?? ''}`.replace(/\n/g, '\n-   '), `+   ${line.texts.after ?? ''}`.replace(/\n/g, '\n+   '));
    }
    lines.push('', fence('diff', body.join('\n')));
  }
  lines.push('', '</details>');
  return lines.join('\n');
}
