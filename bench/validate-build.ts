// Benchmark: validate and build a 10,000-tool config (100 included files of 100 tools, 50 distinct input
// schemas). Prints medians over several runs and ratios against baselines measured in the same run:
//   - parse floor: js-yaml parsing the same files (the least any YAML-based pipeline must spend);
//   - precise parser: the `yaml` library parsing them (what the loader would cost without its fast path).
// Target (issue 2): validate + build under 1.5 s on this machine. Run: `npm run bench`.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsyaml from 'js-yaml';
import { parse as yamlParse } from 'yaml';
import { loadConfig } from '../cli/config/load-config.js';
import { buildPayload } from '../cli/bundle/build-payload.js';
import { signBundle } from '../cli/bundle/sign-bundle.js';

const TOOLS = Number(process.env.BENCH_TOOLS ?? 10_000);
const FILES = 100;
const DISTINCT_SCHEMAS = 50;
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

function makeConfig(dir: string): string[] {
  mkdirSync(join(dir, 'tools'));
  writeFileSync(
    join(dir, 'tengine.config.yaml'),
    `version: 1\ninclude: [tools/*.yaml]\nprojects:\n  - id: bench\n    scopes: [{name: records.read}]\n    integrations:\n      - id: backend\n        kind: api_key\n        api_keys: [{sha256: ${'ab'.repeat(32)}}]\n`,
  );
  const files: string[] = [join(dir, 'tengine.config.yaml')];
  const perFile = Math.ceil(TOOLS / FILES);
  for (let f = 0; f < FILES; f++) {
    let s = 'project: bench\ntools:\n';
    for (let i = f * perFile; i < Math.min(TOOLS, (f + 1) * perFile); i++) {
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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const dir = mkdtempSync(join(tmpdir(), 'tengine-bench-'));
try {
  const files = makeConfig(dir);
  const texts = files.map((f) => readFileSync(f, 'utf8'));
  const bytes = texts.reduce((n, t) => n + t.length, 0);
  const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const env = { SOURCE_DATE_EPOCH: '1700000000' };

  const floor: number[] = [];
  const precise: number[] = [];
  const validate: number[] = [];
  const total: number[] = [];
  let tools = 0;
  for (let r = 0; r < RUNS; r++) {
    let t = performance.now();
    for (const text of texts) jsyaml.load(text);
    floor.push(performance.now() - t);

    if (r < 3) {
      t = performance.now();
      for (const text of texts) yamlParse(text);
      precise.push(performance.now() - t);
    }

    t = performance.now();
    const loaded = await loadConfig(dir, { env, cwd: dir });
    const v = performance.now() - t;
    if (!loaded.config) throw new Error(`bench config invalid: ${JSON.stringify(loaded.diagnostics.slice(0, 3))}`);
    tools = loaded.config.projects!.reduce((n, p) => n + (p.tools?.length ?? 0), 0);
    const payload = buildPayload(loaded.config, { createdAt: '2023-11-14T22:13:20Z' });
    const bundle = await signBundle(payload, pem);
    total.push(performance.now() - t);
    validate.push(v);
    if (r === 0) console.error(`bundle: ${(bundle.length / 1024 / 1024).toFixed(1)} MiB`);
  }
  const m = (xs: number[]) => median(xs).toFixed(0).padStart(6);
  const ratio = (xs: number[]) => (median(xs) / median(floor)).toFixed(1).padStart(5);
  console.log(`config: ${tools} tools in ${files.length} files, ${(bytes / 1024 / 1024).toFixed(1)} MiB of YAML, ${DISTINCT_SCHEMAS} distinct input schemas; ${RUNS} runs, medians`);
  console.log('stage                                   median ms   × parse floor');
  console.log(`parse floor (js-yaml only)               ${m(floor)}   ${ratio(floor)}`);
  console.log(`precise parser (yaml library only)       ${m(precise)}   ${ratio(precise)}`);
  console.log(`tengine validate (load + all rules)      ${m(validate)}   ${ratio(validate)}`);
  console.log(`tengine validate + build (sign bundle)   ${m(total)}   ${ratio(total)}`);
  console.log(`target: validate + build < 1500 ms → ${median(total) < 1500 ? 'met' : 'NOT met'}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
