// The conformance job (scripts/conformance.sh installs the pinned suites, then runs this): the runtime, built from
// this checkout and serving test/conformance/fixture-upstream.ts's config, is tested by the official MCP
// conformance suite's server scenarios, once per pinned suite release. Every failing check must be listed in
// expected-failures.yaml with a reason, and every listed one must still fail, so the list stays honest: the exit
// code is 1 on an unexpected failure or a stale entry, 0 otherwise.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { startRuntime } from '../../runtime/start.js';
import { deploy } from '../fixtures/runtime-harness.js';
import { startAuthProxy } from './auth-proxy.js';
import { judge, type Expectation, type ScenarioResult } from './judge.js';
import { conformanceConfig, startConformanceUpstream } from './fixture-upstream.js';

const TOOLS = path.resolve(process.env.TENGINE_CONFORMANCE_TOOLS ?? '.cache/conformance');
const NODE22 = path.join(TOOLS, 'node_modules/node/bin/node');
const EXPECTED = path.resolve('test/conformance/expected-failures.yaml');
/** A suite run that takes longer than this is stuck (a full run takes seconds). */
const SUITE_TIMEOUT_MS = 180_000;

/** One pinned suite release and the arguments that select its server scenarios. */
interface Suite {
  id: 'stable' | 'next';
  pkg: string;
  title: string;
  args: string[];
}

const SUITES: Suite[] = [
  // Every server scenario of the stable line, pending ones included (json-schema-2020-12, server-sse-polling).
  { id: 'stable', pkg: 'conformance-stable', title: 'stable suite, 2025-06-18/2025-11-25 wire', args: ['--suite', 'all'] },
  // Exactly what the 2026-07-28 revision requires, at its stateless wire; the suite also runs, unscored, the
  // pending header scenarios and the tasks extension, and they are judged here like the rest.
  { id: 'next', pkg: 'conformance-next', title: 'prerelease suite, 2026-07-28 requirement set', args: ['--requirements', '2026-07-28'] },
];

/** Runs one suite against `url`, writing one result directory per scenario under `out`; resolves with its log. */
function runSuite(suite: Suite, url: string, out: string): Promise<string> {
  const cli = path.join(TOOLS, 'node_modules', suite.pkg, 'dist/index.js');
  return new Promise((resolve, reject) => {
    const child = spawn(NODE22, [cli, 'server', '--url', url, ...suite.args, '-o', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (c: Buffer) => (log += c.toString()));
    child.stderr.on('data', (c: Buffer) => (log += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), SUITE_TIMEOUT_MS);
    child.on('error', reject);
    // The suite's own exit code reflects its own verdict (no baseline given): the judging is ours.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal) reject(new Error(`${suite.pkg} was killed (${signal}) after ${SUITE_TIMEOUT_MS} ms`));
      else if (code !== 0 && code !== 1) reject(new Error(`${suite.pkg} exited with ${code}:\n${log.slice(-2000)}`));
      else resolve(log);
    });
  });
}

/** Reads `<out>/server-<scenario>-<timestamp>/checks.json` for every scenario the log says it ran. */
async function readResults(out: string, log: string): Promise<ScenarioResult[]> {
  const ran = [...log.matchAll(/^=== Running scenario: (\S+) ===$/gm)].map((m) => m[1]!);
  const dirs = await readdir(out);
  const results: ScenarioResult[] = [];
  for (const scenario of ran) {
    const dir = dirs.find((d) => d.startsWith(`server-${scenario}-`) && /^\d{4}-/.test(d.slice(`server-${scenario}-`.length)));
    const file = dir ? path.join(out, dir, 'checks.json') : undefined;
    if (file && existsSync(file)) {
      const checks = JSON.parse(await readFile(file, 'utf8')) as { id: string; status: string; errorMessage?: string }[];
      results.push({ scenario, checks: checks.map((c) => ({ id: c.id, status: c.status, ...(c.errorMessage ? { message: c.errorMessage } : {}) })) });
    } else {
      // The scenario threw before recording a check (the suite counts it as one failure): say why from the log.
      const why = new RegExp(`Failed to run scenario ${scenario}: ([^\\n]*)`).exec(log)?.[1] ?? 'no checks recorded';
      results.push({ scenario, checks: [{ id: 'scenario-run', status: 'FAILURE', message: why }] });
    }
  }
  return results;
}

async function main(): Promise<number> {
  if (!existsSync(NODE22)) throw new Error(`the conformance suite is not installed in ${TOOLS}: run npm run test:conformance (it installs it first)`);
  const expectations = (parse(await readFile(EXPECTED, 'utf8')) as { expected_failures: Expectation[] }).expected_failures;

  const upstream = await startConformanceUpstream();
  // The proxy listens first so the runtime's public URL is the address the suite uses (Origin and Host checks).
  let target = '';
  let apiKey = '';
  const proxy = await startAuthProxy(() => ({ target, apiKey }));
  const d = await deploy(conformanceConfig(upstream.url));
  const runtime = await startRuntime({ bundle: d.bundle, bundlePublicKeys: [d.publicPem], host: '127.0.0.1', port: 0, env: {}, publicUrl: proxy.url, allowDevelopment: true });
  target = runtime.listenUrl ?? runtime.url;
  apiKey = d.apiKeys['conformance/backend']!;

  let failed = false;
  try {
    for (const suite of SUITES) {
      const out = path.join(TOOLS, 'results', suite.id);
      await rm(out, { recursive: true, force: true });
      await mkdir(out, { recursive: true });
      const log = await runSuite(suite, `${proxy.url}/mcp`, out);
      const verdict = judge(suite.id, await readResults(out, log), expectations);
      process.stdout.write(`\n${suite.pkg.replace('conformance-', '')}: ${suite.title} (results in ${path.relative(process.cwd(), out)})\n`);
      for (const line of verdict.lines) process.stdout.write(`  ${line}\n`);
      process.stdout.write(`  => ${verdict.passed} passed, ${verdict.expected} expected failures, ${verdict.unexpected} unexpected failures, ${verdict.stale} stale expectations\n`);
      if (verdict.unexpected > 0 || verdict.stale > 0) failed = true;
    }
  } finally {
    await runtime.close();
    await proxy.close();
    await upstream.close();
  }
  process.stdout.write(failed ? '\nconformance: FAILED (see the lines marked FAIL or STALE above)\n' : '\nconformance: ok\n');
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`conformance: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
