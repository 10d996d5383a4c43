// The bench's large config: TOOLS tools in 100 included files of equal size, with 50 distinct input schemas.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** How many included files the tools are spread over, and how many distinct input schemas they use. */
export const FILES = 100;
export const DISTINCT_SCHEMAS = 50;

/** Writes a root config plus FILES fragments holding `tools` tools into `dir`; returns the files, root first. */
export function writeBigConfig(dir: string, tools: number): string[] {
  mkdirSync(join(dir, 'tools'), { recursive: true });
  writeFileSync(
    join(dir, 'tengine.config.yaml'),
    `version: 1\ninclude: [tools/*.yaml]\nprojects:\n  - id: bench\n    scopes: [{name: records.read}]\n    integrations:\n      - id: backend\n        kind: api_key\n        api_keys: [{sha256: ${'ab'.repeat(32)}}]\n`,
  );
  const files: string[] = [join(dir, 'tengine.config.yaml')];
  const perFile = Math.ceil(tools / FILES);
  for (let f = 0; f < FILES; f++) {
    let s = 'project: bench\ntools:\n';
    for (let i = f * perFile; i < Math.min(tools, (f + 1) * perFile); i++) {
      const variant = i % DISTINCT_SCHEMAS;
      s += `  - name: records_${i}_get
    description: Fetch record ${i} of the records API with optional expansion of related objects.
    base_url: https://api.example.com
    http_method: GET
    endpoint_path: /v1/records/{record_id}
    query_template: { expand: "{expand}", variant: "${variant}" }
    headers_template: { X-Caller: "{member_id}" }
    require_member: true
    inject_member_identity: { id: true, email: true }
    scopes: [records.read]
    timeout: 5s
    input_schema:
      type: object
      additionalProperties: false
      properties:
        record_id: { type: string, minLength: 1, maxLength: ${64 + variant} }
        expand: { type: string, enum: [owner, deals, none] }
      required: [record_id]
    output_schema:
      type: object
      properties:
        id: { type: string }
        fields: { type: object }
`;
    }
    const file = join(dir, 'tools', `records-${String(f).padStart(3, '0')}.yaml`);
    writeFileSync(file, s);
    files.push(file);
  }
  return files;
}
