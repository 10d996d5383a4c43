import { DIAGNOSTIC_CODES } from '../../schemas/diagnostics.js';
import type { ValidationReport } from './render-diagnostics.js';

/** SARIF 2.1.0 for code-scanning uploads: one rule per TNG code that occurs, one result per diagnostic. */
export function renderSarif(r: ValidationReport, toolVersion: string): string {
  const codes = [...new Set(r.diagnostics.map((d) => d.code))].sort();
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'tengine',
            version: toolVersion,
            informationUri: 'https://github.com/tengine-dev/tengine/blob/main/docs/config.md#7-validation-and-diagnostic-codes',
            rules: codes.map((code) => ({
              id: code,
              name: DIAGNOSTIC_CODES[code].title,
              shortDescription: { text: DIAGNOSTIC_CODES[code].title },
              help: { text: DIAGNOSTIC_CODES[code].hint },
              defaultConfiguration: { level: DIAGNOSTIC_CODES[code].severity },
            })),
          },
        },
        // Paths are relative to the working directory, as the other formats print them.
        originalUriBaseIds: { SRCROOT: { description: { text: 'the directory tengine validate ran in' } } },
        results: r.diagnostics.map((d) => ({
          ruleId: d.code,
          ruleIndex: codes.indexOf(d.code),
          level: d.severity,
          message: { text: `${d.message}${d.pointer === undefined ? '' : ` (at #${d.pointer})`} (hint: ${d.hint})` },
          locations: [{ physicalLocation: { artifactLocation: { uri: encodeURI(d.file.split('\\').join('/')), uriBaseId: 'SRCROOT' }, region: { startLine: d.line, startColumn: d.column } } }],
        })),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
