import { relative } from 'node:path';
import { DIAGNOSTIC_CODES, type Diagnostic } from '../../schemas/diagnostics.js';
import { styler } from './style.js';

/** What `tengine validate` computed; the renderers below turn it into text. */
export interface ValidationReport {
  valid: boolean;
  root: string;
  files: string[];
  diagnostics: Diagnostic[];
  counts: { projects: number; tools: number; integrations: number };
}

/** Version of the `--format json` output of validate; bumped only for incompatible changes. */
export const VALIDATE_JSON_FORMAT_VERSION = 1;

function summary(r: ValidationReport) {
  const errors = r.diagnostics.filter((d) => d.severity === 'error').length;
  return { errors, warnings: r.diagnostics.length - errors };
}

/** The JSON pointer of a diagnostic inside a document that is not a config file (an OpenAPI document). */
function at(d: Diagnostic): string {
  return d.pointer === undefined ? '' : ` (at #${d.pointer})`;
}

/** Human output: one block per diagnostic (`file:line:col`, severity, code, message, hint) and a closing line. */
export function renderHuman(r: ValidationReport, color: boolean): string {
  const s = styler(color);
  let out = '';
  for (const d of r.diagnostics) {
    const sev = d.severity === 'error' ? s.red('error') : s.yellow('warning');
    out += `${s.bold(`${d.file}:${d.line}:${d.column}`)}: ${sev} ${s.dim(d.code)} ${d.message}${at(d)}\n`;
    out += `  ${s.cyan('hint:')} ${d.hint}\n`;
  }
  const { errors, warnings } = summary(r);
  // The same "(N files read)" on both lines: the count is of files read, which for an invalid config may stop
  // short of every include.
  const files = `${r.files.length} file${r.files.length === 1 ? '' : 's'} read`;
  if (r.valid) {
    const c = r.counts;
    out += `${s.green('✓')} ${r.root} is valid: ${c.projects} project${c.projects === 1 ? '' : 's'}, ${c.tools} tool${c.tools === 1 ? '' : 's'}, ${c.integrations} integration${c.integrations === 1 ? '' : 's'} (${files}${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''})\n`;
  } else {
    out += `${s.red('✗')} ${r.root} is invalid: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'} (${files})\n`;
  }
  return out;
}

/** JSON output: versioned, with always-present arrays and a summary. */
export function renderJson(r: ValidationReport): string {
  const { errors, warnings } = summary(r);
  return (
    JSON.stringify(
      {
        format_version: VALIDATE_JSON_FORMAT_VERSION,
        valid: r.valid,
        root: r.root,
        files: r.files,
        summary: { errors, warnings, ...r.counts },
        diagnostics: r.diagnostics.map((d) => ({ ...d, title: DIAGNOSTIC_CODES[d.code].title })),
      },
      null,
      2,
    ) + '\n'
  );
}

/** GitHub Actions workflow commands, so diagnostics show as annotations on the pull request diff. */
export function renderGithub(r: ValidationReport): string {
  const data = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const prop = (s: string) => data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
  let out = '';
  for (const d of r.diagnostics) {
    const title = `${d.code} ${DIAGNOSTIC_CODES[d.code].title}`;
    out += `::${d.severity} file=${prop(d.file)},line=${d.line},col=${d.column},title=${prop(title)}::${data(`${d.message}${at(d)} (hint: ${d.hint})`)}\n`;
  }
  // The closing line, as in human output, without repeating the diagnostics already emitted as annotations.
  out += renderHuman(r, false).split('\n').filter((l) => /^[✓✗] /.test(l)).join('\n') + '\n';
  return out;
}

/** Paths relative to the working directory, as users typed them. */
export function displayPaths(files: string[], cwd: string): string[] {
  return files.map((f) => relative(cwd, f) || f);
}
