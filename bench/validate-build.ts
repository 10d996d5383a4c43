// Benchmark: `tengine validate` + `tengine build` of a 10,000-tool config (100 included files of 100 tools, 50
// distinct input schemas), against the YAML-parse floor measured in the same process, in interleaved rounds.
//
//   - parse floor: reading the 101 files and parsing them with js-yaml and its CORE_SCHEMA, nothing else. js-yaml
//     is the fastest YAML parser for Node (the loader's fast path runs it, cli/config/fast-yaml.ts, with the YAML
//     1.2 core resolution of the `yaml` library), and CORE_SCHEMA is its cheapest schema that still types
//     numbers and booleans, so no YAML-based validate can spend less. For reference, also js-yaml with its
//     default schema, and (first round only) the `yaml` library, the precise parser used for files that need
//     positions.
//   - in process: the two commands run by runCli in this process (output discarded), as a user's shell would run
//     them minus process start-up: the config loaded and checked twice, the bundle signed and written once.
//   - as commands: `node dist/cli/main.js validate DIR`, then `... build DIR --key K --out F`, spawned, wall time
//     from spawn to exit of both (Node start-up and module loading included).
//
// Targets (issue 15, Build): in process ≤ 2.5× the parse floor; as commands ≤ 1.5 s on a quiet run of the
// 2-core machine. Medians of BENCH_ROUNDS rounds (default 7); the load average is printed with the results, as
// the machine is shared. Run: `npm run bench` (builds dist/ first). BENCH_BASE_DIR=/path/to/other/checkout (with its
// dist/ built) also times that checkout's two commands in every round, for a before/after. BENCH_JSON=1 prints one JSON document on stdout
// instead of the table (for docs/performance.md); BENCH_TOOLS changes the size.
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import jsyaml from 'js-yaml';
import { parse as yamlParse } from 'yaml';
import type { CliIo } from '../cli/io.js';
import { runCli } from '../cli/program.js';
import { DISTINCT_SCHEMAS, writeBigConfig } from '../test/fixtures/big-config.js';

const TOOLS = Number(process.env.BENCH_TOOLS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? process.env.BENCH_RUNS ?? 7);
const JSON_OUT = process.env.BENCH_JSON === '1';
const FLOOR_TARGET = 2.5;
const COMMANDS_TARGET_MS = 1500;
const CLI = resolve('dist/cli/main.js');
const BASE_CLI = process.env.BENCH_BASE_DIR ? resolve(process.env.BENCH_BASE_DIR, 'dist/cli/main.js') : undefined;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Runs the CLI in this process with its output discarded; throws unless it exits 0. */
async function inProcess(argv: string[], io: Omit<CliIo, 'out' | 'err'>): Promise<void> {
  let err = '';
  const code = await runCli(argv, { ...io, out: () => {}, err: (t) => void (err += t) });
  if (code !== 0) throw new Error(`tengine ${argv[0]} exited ${code}: ${err.slice(0, 500)}`);
}

/** Spawns the built CLI and resolves when it exits 0. */
function command(args: string[], env: NodeJS.ProcessEnv, cli = CLI): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`tengine ${args[0]} exited ${code}: ${err.slice(0, 500)}`))));
  });
}

if (!existsSync(CLI)) throw new Error('dist/cli/main.js is missing: run npm run build first (npm run bench does)');
const dir = mkdtempSync(join(tmpdir(), 'tengine-bench-build-'));
try {
  const files = writeBigConfig(dir, TOOLS);
  const bytes = files.reduce((n, f) => n + readFileSync(f).length, 0);
  const keyFile = join(dir, 'signing.key.pem');
  writeFileSync(keyFile, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
  const env = { ...process.env, SOURCE_DATE_EPOCH: '1700000000', NO_COLOR: '1' };
  const io = { readStdin: async () => Buffer.alloc(0), color: false, errColor: false, env, cwd: dir };
  const validateArgs = ['validate', dir];
  const buildArgs = ['build', dir, '--key', keyFile, '--out', join(dir, 'bundle.json')];

  const load = [loadavg()[0]!];
  const floor: number[] = [];
  const jsyamlDefault: number[] = [];
  const validate: number[] = [];
  const both: number[] = [];
  const bothCpu: number[] = [];
  const build: number[] = [];
  const commands: number[] = [];
  const validateCommand: number[] = [];
  const baseCommands: number[] = [];
  const precise: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let t = performance.now();
    for (const f of files) jsyaml.load(readFileSync(f, 'utf8'), { schema: jsyaml.CORE_SCHEMA });
    floor.push(performance.now() - t);

    t = performance.now();
    for (const f of files) jsyaml.load(readFileSync(f, 'utf8'));
    jsyamlDefault.push(performance.now() - t);

    if (r === 0) {
      t = performance.now();
      for (const f of files) yamlParse(readFileSync(f, 'utf8'));
      precise.push(performance.now() - t);
    }

    const cpu = process.cpuUsage();
    t = performance.now();
    await inProcess(validateArgs, io);
    validate.push(performance.now() - t);
    await inProcess(buildArgs, io);
    both.push(performance.now() - t);
    build.push(both[r]! - validate[r]!);
    const used = process.cpuUsage(cpu);
    bothCpu.push((used.user + used.system) / 1000);

    t = performance.now();
    await command(validateArgs, env);
    validateCommand.push(performance.now() - t);
    await command(buildArgs, env);
    commands.push(performance.now() - t);
    if (BASE_CLI) {
      t = performance.now();
      await command(validateArgs, env, BASE_CLI);
      await command(buildArgs, env, BASE_CLI);
      baseCommands.push(performance.now() - t);
    }
    load.push(loadavg()[0]!);
  }
  const bundleBytes = readFileSync(join(dir, 'bundle.json')).length;

  const results = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    config: { tools: TOOLS, files: files.length, yaml_bytes: bytes, distinct_input_schemas: DISTINCT_SCHEMAS, bundle_bytes: bundleBytes },
    rounds: ROUNDS,
    load_average: { min: Math.min(...load), max: Math.max(...load), during: load },
    median_ms: {
      parse_floor: median(floor),
      js_yaml_default_schema: median(jsyamlDefault),
      precise_parser_once: precise[0]!,
      validate_in_process: median(validate),
      build_in_process: median(build),
      validate_build_in_process: median(both),
      validate_build_in_process_cpu: median(bothCpu),
      validate_command: median(validateCommand),
      validate_build_commands: median(commands),
      ...(BASE_CLI ? { base_validate_build_commands: median(baseCommands) } : {}),
    },
    ratio_to_floor: { validate_in_process: median(validate) / median(floor), build_in_process: median(build) / median(floor), validate_build_in_process: median(both) / median(floor) },
    targets: {
      in_process_ratio: { target: FLOOR_TARGET, met: median(both) / median(floor) <= FLOOR_TARGET },
      commands_ms: { target: COMMANDS_TARGET_MS, met: median(commands) <= COMMANDS_TARGET_MS },
    },
  };
  if (JSON_OUT) {
    console.log(JSON.stringify(results, null, 2));
  } else {
    const ms = (x: number) => x.toFixed(0).padStart(7);
    const ratio = (x: number) => `${(x / median(floor)).toFixed(2)}×`.padStart(8);
    console.log(
      `config: ${TOOLS} tools in ${files.length} files, ${(bytes / 1024 / 1024).toFixed(1)} MiB of YAML, ${DISTINCT_SCHEMAS} distinct input schemas; bundle ${(bundleBytes / 1024 / 1024).toFixed(1)} MiB`,
    );
    console.log(`${ROUNDS} interleaved rounds, medians; load average ${results.load_average.min.toFixed(2)}–${results.load_average.max.toFixed(2)} (1 min, ${cpus().length} CPUs); node ${process.version}`);
    console.log('                                                     median ms  × parse floor');
    console.log(`parse floor (read + js-yaml CORE_SCHEMA, in process)   ${ms(median(floor))} ${ratio(median(floor))}`);
    console.log(`js-yaml, default schema (reference)                    ${ms(median(jsyamlDefault))} ${ratio(median(jsyamlDefault))}`);
    console.log(`precise parser (read + yaml library, first round only) ${ms(precise[0]!)} ${ratio(precise[0]!)}`);
    console.log(`tengine validate, in process                           ${ms(median(validate))} ${ratio(median(validate))}`);
    console.log(`tengine build (load, check, sign, write), in process   ${ms(median(build))} ${ratio(median(build))}`);
    console.log(`tengine validate + build, in process                   ${ms(median(both))} ${ratio(median(both))}   (CPU ${ms(median(bothCpu)).trim()} ms)`);
    console.log(`tengine validate, as a command (wall)                  ${ms(median(validateCommand))} ${ratio(median(validateCommand))}`);
    console.log(`tengine validate + build, as two commands (wall)       ${ms(median(commands))} ${ratio(median(commands))}`);
    if (BASE_CLI) console.log(`the same two commands of ${process.env.BENCH_BASE_DIR}      ${ms(median(baseCommands))} ${ratio(median(baseCommands))}`);
    console.log(`target: in process ≤ ${FLOOR_TARGET}× the parse floor → ${results.targets.in_process_ratio.met ? 'met' : 'NOT met'} (${results.ratio_to_floor.validate_build_in_process.toFixed(2)}×)`);
    console.log(`target: as commands ≤ ${COMMANDS_TARGET_MS} ms → ${results.targets.commands_ms.met ? 'met' : 'NOT met'} (${median(commands).toFixed(0)} ms)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
