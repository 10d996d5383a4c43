// Benchmark: validate and build a config whose tools come from a generated OpenAPI document of 5,000 operations
// (2,500 GET with a path and a query parameter and a JSON output schema, 2,500 PUT with a JSON body; one shared
// component schema). Medians over several runs, against baselines measured in the same run:
//   - parse floor: js-yaml parsing the document (the least any YAML-based pipeline must spend);
//   - hand-written: the same tools as a fragment written by `tengine import openapi`, validated and built.
// Also the cost of one diagnostic's position on the clean document (the entry it lies in is parsed, positions.ts)
// against the whole-document source map that one diagnostic used to build (measured once: it takes seconds).
// Target (issue 12): validate + build under 2 s. Run: `npm run bench:openapi` (BENCH_OPERATIONS, BENCH_RUNS).
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsyaml from 'js-yaml';
import { stringify } from 'yaml';
import { buildPayload } from '../cli/bundle/build-payload.js';
import { signBundle } from '../cli/bundle/sign-bundle.js';
import { loadConfig } from '../cli/config/load-config.js';
import { parseYaml } from '../cli/config/parse-yaml.js';
import { locateIn, parseOpenApiText } from '../cli/openapi/document.js';
import { importOpenApi } from '../cli/openapi/import-openapi.js';
import { bigDocument } from '../test/fixtures/openapi-document.js';

const OPERATIONS = Number(process.env.BENCH_OPERATIONS ?? 5_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const dir = mkdtempSync(join(tmpdir(), 'tengine-bench-openapi-'));
try {
  const source = join(dir, 'source');
  const hand = join(dir, 'hand');
  mkdirSync(source);
  mkdirSync(join(hand, 'tools'), { recursive: true });
  const text = stringify(bigDocument(OPERATIONS));
  writeFileSync(join(source, 'api.yaml'), text);
  writeFileSync(join(source, 'tengine.config.yaml'), 'version: 1\nprojects:\n  - id: bench\n    openapi:\n      - document: api.yaml\n        defaults: {timeout: 5s}\n');
  const imported = await importOpenApi(join(source, 'api.yaml'), 'bench', { input_shape: 'grouped', description_max_length: 1024 }, { cwd: source });
  if (!imported.text) throw new Error(`import failed: ${JSON.stringify(imported.diagnostics.slice(0, 3))}`);
  // Fragments of 500 tools: a config file holds at most 4 MiB.
  for (let i = 0; i < imported.tools.length; i += 500) {
    const tools = imported.tools.slice(i, i + 500).map((tool) => ({ ...tool, timeout: '5s' }));
    writeFileSync(join(hand, 'tools', `api-${String(i).padStart(5, '0')}.yaml`), stringify({ project: 'bench', tools }, { lineWidth: 0, aliasDuplicateObjects: false }));
  }
  writeFileSync(join(hand, 'tengine.config.yaml'), 'version: 1\ninclude: [tools/*.yaml]\nprojects:\n  - id: bench\n');
  const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const env = { SOURCE_DATE_EPOCH: '1700000000' };

  const run = async (d: string) => {
    const t = performance.now();
    const loaded = await loadConfig(d, { env, cwd: d });
    const v = performance.now() - t;
    if (!loaded.config) throw new Error(`bench config invalid: ${JSON.stringify(loaded.diagnostics.slice(0, 3))}`);
    const payload = buildPayload(loaded.config, { createdAt: '2023-11-14T22:13:20Z' });
    await signBundle(payload, pem);
    return { validate: v, total: performance.now() - t, tools: loaded.config.projects![0]!.tools!.length, digest: payload.config_digest };
  };
  const onePosition: number[] = [];
  const lastPut = `/paths/~1r${OPERATIONS / 2 - 1}~1items~1{itemId}/put/requestBody/content/application~1json/schema/$ref`;
  const floor: number[] = [];
  const validate: number[] = [];
  const total: number[] = [];
  const handTotal: number[] = [];
  let tools = 0;
  for (let r = 0; r < RUNS; r++) {
    let t = performance.now();
    jsyaml.load(text);
    floor.push(performance.now() - t);
    const s = await run(source);
    validate.push(s.validate);
    total.push(s.total);
    tools = s.tools;
    const { file } = parseOpenApiText(text, join(source, 'api.yaml'), 'api.yaml');
    t = performance.now();
    locateIn(file!, lastPut);
    onePosition.push(performance.now() - t);
    const h = await run(hand);
    handTotal.push(h.total);
    if (r === 0 && h.digest !== s.digest) console.error(`note: config digests differ (source ${s.digest}, hand-written ${h.digest})`);
  }
  let t = performance.now();
  parseYaml(text, 'api.yaml');
  const wholeMap = performance.now() - t;
  const m = (xs: number[]) => median(xs).toFixed(0).padStart(6);
  console.log(`document: ${OPERATIONS} operations, ${(text.length / 1024 / 1024).toFixed(1)} MiB of YAML → ${tools} tools; ${RUNS} runs, medians`);
  console.log('stage                                         median ms');
  console.log(`parse floor (js-yaml, document only)           ${m(floor)}`);
  console.log(`validate (load, expand, all rules)             ${m(validate)}`);
  console.log(`validate + build (sign bundle)                 ${m(total)}`);
  console.log(`same tools hand-written (imported fragment)    ${m(handTotal)}`);
  console.log(`one diagnostic position (last operation)       ${m(onePosition)}`);
  console.log(`whole-document source map (before; 1 run)      ${wholeMap.toFixed(0).padStart(6)}`);
  console.log(`target: validate + build < 2000 ms → ${median(total) < 2000 ? 'met' : 'NOT met'}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
