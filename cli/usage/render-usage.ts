import type { UsageReport, UsageRow, UsageTotals } from '../../runtime/usage/usage-report.js';
import { styler } from '../output/style.js';

/** The JSON document of `tengine usage --format json` (rows without their per-bucket series). */
export function renderUsageJson(report: UsageReport): string {
  const { rows, total, groups, ...rest } = report;
  const doc = {
    format_version: 1,
    ...rest,
    rows: rows.map(({ series: _series, ...row }) => row),
    summary: { groups, shown: rows.length, ...total },
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

const CSV_COLUMNS = ['calls', 'errors', 'error_rate', 'upstream_calls', 'upstream_ms_avg', 'upstream_ms_total', 'request_bytes', 'upstream_bytes'] as const;

/**
 * RFC 4180 CSV, one line per row and no total line. A cell that a spreadsheet would run as a formula (it starts
 * with `=`, `+`, `-`, `@`, a tab or CR: member ids are the customer's own text) is prefixed with `'`.
 */
export function renderUsageCsv(report: UsageReport): string {
  const lines = [[report.by, ...CSV_COLUMNS, 'errors_by_code'].join(',')];
  for (const row of report.rows) {
    const codes = Object.entries(row.errors_by_code).map(([code, n]) => `${code}=${n}`).join(';');
    lines.push([csvCell(row.group ?? ''), ...CSV_COLUMNS.map((c) => String(row[c] ?? '')), csvCell(codes)].join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

function csvCell(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

// Widest group shown in a table; longer member ids are cut (JSON and CSV carry them whole).
const GROUP_WIDTH = 40;
const BAR_WIDTH = 24;
const BLOCKS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
const SPARKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/**
 * The table of `tengine usage`: one line per row and a total. With `color` (a terminal without NO_COLOR) each row
 * also gets a bar of its calls (time rows, errors in red) or a sparkline of its calls over the range (tool and
 * member rows); without it the output is plain text, stable for scripts and goldens.
 */
export function renderUsageTable(report: UsageReport, color: boolean): string {
  const s = styler(color);
  const head = [report.by, 'calls', 'errors', 'error rate', 'avg upstream ms', 'request bytes', 'upstream bytes'];
  const cells = (group: string, t: UsageTotals) => [group, String(t.calls), String(t.errors), t.calls === 0 ? '-' : `${(t.error_rate * 100).toFixed(1)}%`, t.upstream_ms_avg === null ? '-' : t.upstream_ms_avg.toFixed(1), String(t.request_bytes), String(t.upstream_bytes)];
  const body = report.rows.map((r) => cells(groupText(r), r));
  const total = cells('total', report.total);
  const widths = head.map((h, i) => Math.max(h.length, ...[...body, total].map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const timeRows = report.by === 'day' || report.by === 'hour';
  const max = Math.max(0, ...report.rows.map((r) => r.calls));
  const graphic = (r: UsageRow) => (timeRows ? bar(r, max, s.red) : spark(r.series));
  const filters = Object.entries(report.filters).filter(([, v]) => v !== null).map(([k, v]) => `${k} ${printable(String(v))}`);
  const out = [
    `usage of project ${report.project} by ${report.by}, ${report.from} to ${report.to} (UTC, ${report.bucket === 'hour' ? 'hourly' : 'daily'} buckets)${filters.length ? `, ${filters.join(', ')}` : ''}`,
    s.bold(line(head).trimEnd()),
    ...body.map((row, i) => (color ? `${line(row)}  ${graphic(report.rows[i]!)}` : line(row)).trimEnd()),
    s.dim(line(total).trimEnd()),
  ];
  if (report.groups > report.rows.length) out.push(`(top ${report.rows.length} of ${report.groups} ${report.by}s by calls; the total counts them all)`);
  if (report.rows.length === 0) out.push(`(no ${report.by}s with calls in this range)`);
  return `${out.join('\n')}\n`;
}

function groupText(r: UsageRow): string {
  if (r.group === null) return '(no member)';
  const text = printable(r.group);
  return text.length > GROUP_WIDTH ? `${text.slice(0, GROUP_WIDTH - 1)}…` : text;
}

/** Control characters of customer text shown as `\uXXXX`, so an id cannot move the cursor or recolour a terminal. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A horizontal bar of the row's calls against the busiest row, in eighths of a cell; the errors' share in red. */
function bar(r: UsageRow, max: number, red: (s: string) => string): string {
  if (max === 0 || r.calls === 0) return '';
  const eighths = Math.max(1, Math.round((r.calls / max) * BAR_WIDTH * 8));
  const errorCells = Math.round((r.errors / r.calls) * (eighths / 8));
  const full = '█'.repeat(Math.floor(eighths / 8)) + BLOCKS[eighths % 8]!;
  const ok = full.slice(0, Math.max(0, full.length - errorCells));
  return ok.length === full.length ? ok : ok + red(full.slice(ok.length));
}

/** The row's calls over the range as a sparkline of at most BAR_WIDTH cells (adjacent buckets summed). */
function spark(series: number[]): string {
  const per = Math.ceil(series.length / BAR_WIDTH);
  const cells: number[] = [];
  for (let i = 0; i < series.length; i += per) cells.push(series.slice(i, i + per).reduce((a, b) => a + b, 0));
  const max = Math.max(0, ...cells);
  if (max === 0) return '';
  return cells.map((n) => (n === 0 ? ' ' : SPARKS[Math.min(7, Math.floor((n / max) * 7.999))]!)).join('');
}
