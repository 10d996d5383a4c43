import { DIAGNOSTIC_CODES, type Diagnostic } from '../../schemas/diagnostics.js';
import type { ValidationReport } from './render-diagnostics.js';

const xml = (s: string) =>
  s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

const line = (d: Diagnostic) => `${d.file}:${d.line}:${d.column}: ${d.severity} ${d.code} ${d.message} (hint: ${d.hint})`;

/**
 * JUnit XML for CI test reports: one testcase per config file read (plus any file only a diagnostic names), so a
 * report lists what was checked. A file's errors are its failures; its warnings are failures too with
 * `--fail-on warning` (`warningsFail`), and otherwise are listed in its system-out.
 */
export function renderJunit(r: ValidationReport, warningsFail: boolean): string {
  const files = [...new Set([...r.files, ...r.diagnostics.map((d) => d.file)])];
  let failures = 0;
  const cases = files.map((file) => {
    const here = r.diagnostics.filter((d) => d.file === file);
    const failing = here.filter((d) => d.severity === 'error' || warningsFail);
    const passing = here.filter((d) => !failing.includes(d));
    failures += failing.length > 0 ? 1 : 0;
    let body = '';
    for (const d of failing) body += `      <failure type="${d.code}" message="${xml(`${d.code} ${DIAGNOSTIC_CODES[d.code].title}: ${d.message}`)}">${xml(line(d))}</failure>\n`;
    if (passing.length > 0) body += `      <system-out>${xml(passing.map(line).join('\n'))}</system-out>\n`;
    return `    <testcase classname="tengine.validate" name="${xml(file)}" file="${xml(file)}"${body ? `>\n${body}    </testcase>` : ' />'}\n`;
  });
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites name="tengine validate" tests="${files.length}" failures="${failures}" errors="0">\n` +
    `  <testsuite name="${xml(r.root)}" tests="${files.length}" failures="${failures}" errors="0" skipped="0">\n` +
    cases.join('') +
    '  </testsuite>\n</testsuites>\n'
  );
}
