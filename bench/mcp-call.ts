// Benchmark of issue 15: one MCP tools/call (the get_record GET tool against a loopback upstream) through the floor
// (bench/support/floor-gateway.mjs, the least a gateway can do) and through runtimes built in dist/, measured in one
// run in interleaved rounds, every figure also a ratio to the floor's. Rows: API key; member session token + HMAC
// signing + a per-member usage limit counted in Redis; OAuth access token. Every runtime logs audit lines at info to a
// pipe this process drains (as a log shipper would) and has its metrics listener on. Then a concurrency-1 latency
// section (p50/p99 of each row and of a direct upstream GET). `--write-docs` (or BENCH_WRITE_DOCS=1) rewrites the
// generated section of docs/performance.md. Traffic stays on 127.0.0.1 (Redis: BENCH_REDIS_URL, default the local
// one, keys under a prefix unique to the run, never flushed); every loop is bounded; every child is killed on exit.
// Run: `npm run bench:mcp` (builds dist/ first). BENCH_ROUNDS, BENCH_MS, BENCH_CONCURRENCY, BENCH_SDK=1 (adds the
// MCP SDK stateless server as a row), BENCH_LOADGEN=node (without wrk).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { mintCredential } from '../cli/keys/mint-credential.js';
import { assertionKeyConfig, generateAssertionKey } from '../test/fixtures/member-fixtures.js';
import { GET_RECORD_CALL, writeBenchBundle } from './support/bench-tool.js';
import { memberSessionToken, oauthAccessToken } from './support/bench-tokens.js';
import { killAll, killChildrenOnExit } from './support/children.js';
import { replaceSection } from './support/doc-section.js';
import { interleave, summarize, type Target } from './support/interleave.js';
import { DURATION_MS, measureCell, useWrk } from './support/load.js';
import { cpuModel, gitCommit, loadAverage } from './support/machine.js';
import { renderConsole, renderMarkdown, type Report, type Row } from './support/mcp-report.js';
import { reachable, startRuntime, startScriptGateway, startUpstream, type Gateway } from './support/processes.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const WRITE_DOCS = process.argv.includes('--write-docs') || process.env.BENCH_WRITE_DOCS === '1';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const DOC = resolve('docs/performance.md');
const RECORD_PATH = '/records/rec_123?expand=owner';

/** One gateway row: how it is named in the tables, its process and the headers its calls carry. */
interface Subject {
  key: Row['key'];
  name: string;
  gw: Gateway;
  headers: Record<string, string>;
}

/** One real call: the tables mean nothing if the call fails (a refused token, a limit that refuses, a bad signature). */
async function callOnce(port: number, headers: Record<string, string>, what: string): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/mcp`, { method: 'POST', headers, body: GET_RECORD_CALL });
  const text = await res.text();
  if (res.status !== 200 || !text.includes('"structuredContent"') || text.includes('"isError":true')) throw new Error(`${what}: the probe tools/call failed (${res.status}): ${text.slice(0, 300)}`);
}

killChildrenOnExit();
const dir = mkdtempSync(join(tmpdir(), 'tengine-bench-mcp-'));
// Also on an interrupt, which exits without running the finally below.
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
try {
  const started = new Date();
  const loadStart = loadAverage();
  const redis = new URL(REDIS_URL);
  if (!(await reachable(redis.hostname, Number(redis.port || 6379)))) throw new Error(`no Redis answers at ${redis.host} (the member row counts its limit there; set BENCH_REDIS_URL)`);
  const keyPrefix = `tengine-bench-mcp-${process.pid}-${Date.now()}:`;

  const upstream = await startUpstream();
  const clientSecret = mintCredential('client_secret');
  const keys = await writeBenchBundle(dir, upstream.port, [{ id: 'connector', kind: 'oauth', client_id: 'bench-connector', client_secret_sha256: clientSecret.sha256, redirect_uris: ['https://client.example/cb'] }]);
  const assertionKey = generateAssertionKey('ES256', 'bench-backend-v1');
  // The member row's tool: requires a member, sends the member headers, signs them with HMAC (tng3) and counts a
  // per-member limit that never refuses. Tokens live 2 h so a long run (BENCH_ROUNDS, BENCH_MS) does not outlast one.
  await writeBenchBundle(dir, upstream.port, [], {
    file: 'bundle-member.json',
    reuse: keys,
    projectExtra: { assertion_keys: [assertionKeyConfig(assertionKey)] },
    toolExtra: {
      require_member: true,
      inject_member_identity: { id: true, email: true, roles: true },
      auth_strategy: 'hmac_signature',
      auth_secret_env: 'BENCH_HMAC_SECRET',
      usage_limits: [{ limit: 1_000_000_000, window: '1s', per: 'member' }],
    },
    configExtra: { runtime: { member_session_ttl: '2h' } },
  });

  const here = resolve('.');
  const observed = { args: ['--log-level', 'info'], env: { TENGINE_METRICS_PORT: '0' } };
  const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18', 'content-length': String(Buffer.byteLength(GET_RECORD_CALL)) };
  const bundle = join(dir, 'bundle.json');
  const publicKey = join(dir, 'pub.pem');

  const floor = await startScriptGateway('bench/support/floor-gateway.mjs', upstream.port);
  const apiKeyGw = await startRuntime({ root: here, bundle, publicKey, ...observed });
  const memberGw = await startRuntime({
    root: here,
    bundle: join(dir, 'bundle-member.json'),
    publicKey,
    args: observed.args,
    env: { ...observed.env, TENGINE_REDIS_URL: REDIS_URL, TENGINE_REDIS_KEY_PREFIX: keyPrefix, BENCH_HMAC_SECRET: randomBytes(32).toString('hex') },
  });
  const oauthGw = await startRuntime({ root: here, bundle, publicKey, ...observed });
  // The same API-key runtime with the NODE_OPTIONS the container image sets (its young generation; docs/performance.md
  // "Tuning"), read from the Dockerfile so the row measures what the image runs.
  const imageOptions = /^ENV NODE_OPTIONS=(\S+)$/m.exec(readFileSync('Dockerfile', 'utf8'))?.[1];
  if (!imageOptions) throw new Error('the Dockerfile sets no NODE_OPTIONS line the bench can read');
  const imageGw = await startRuntime({ root: here, bundle, publicKey, args: observed.args, env: { ...observed.env, NODE_OPTIONS: imageOptions } });
  const memberToken = await memberSessionToken(memberGw.port, keys.apiKey, assertionKey, 'bench', 'bench-member-1');
  const accessToken = await oauthAccessToken(oauthGw.port, 'bench-connector', clientSecret.secret);

  const subjects: Subject[] = [
    { key: 'floor', name: 'floor (hand-written gateway)', gw: floor, headers: base },
    { key: 'api_key', name: 'API key', gw: apiKeyGw, headers: { ...base, authorization: `Bearer ${keys.apiKey}` } },
    { key: 'api_key_image', name: `API key, image's NODE_OPTIONS (${imageOptions})`, gw: imageGw, headers: { ...base, authorization: `Bearer ${keys.apiKey}` } },
    { key: 'member', name: 'member token + HMAC + Redis limit', gw: memberGw, headers: { ...base, authorization: `Bearer ${memberToken}` } },
    { key: 'oauth', name: 'OAuth access token', gw: oauthGw, headers: { ...base, authorization: `Bearer ${accessToken}` } },
  ];
  if (process.env.BENCH_SDK === '1') {
    const sdk = await startScriptGateway('bench/support/sdk-server.mjs', upstream.port);
    subjects.push({ key: 'sdk', name: 'MCP SDK server per request (baseline)', gw: sdk, headers: { ...base, authorization: `Bearer ${keys.apiKey}` } });
  }

  // Probe, then warm up (JIT, connection pools) with one untimed cell each.
  for (const s of subjects) await callOnce(s.gw.port, s.headers, s.name);
  for (const s of subjects) await measureCell(s.gw.port, '/mcp', s.headers, GET_RECORD_CALL, CONCURRENCY, dir);

  const checkLog = (s: Subject) => () => {
    if (s.gw.log.failed > 0) throw new Error(`${s.name}: ${s.gw.log.failed} audit lines with a code other than OK, the first: ${s.gw.log.firstFailure}`);
  };
  const target = (s: Subject, c: number): Target => ({ name: s.name, pid: s.gw.pid, measure: () => measureCell(s.gw.port, '/mcp', s.headers, GET_RECORD_CALL, c, dir), check: checkLog(s) });
  const progress = (t: Target, r: number) => process.stderr.write(`  round ${r + 1}/${ROUNDS}: ${t.name}\n`);

  console.error(`throughput at concurrency ${CONCURRENCY}: ${ROUNDS} rounds × ${subjects.length} rows × ${DURATION_MS / 1000} s`);
  const logBefore = subjects.map((s) => ({ bytes: s.gw.log.bytes, audit: s.gw.log.audit }));
  const tput = await interleave(
    subjects.map((s) => target(s, CONCURRENCY)),
    ROUNDS,
    progress,
  );
  // Audit lines are flushed every 250 ms at most: wait that long before reading what each call logged.
  await new Promise((r) => setTimeout(r, 600));
  const logPerCall = subjects.map((s, i) => {
    const calls = s.gw.log.audit - logBefore[i]!.audit;
    return calls > 0 ? (s.gw.log.bytes - logBefore[i]!.bytes) / calls : 0;
  });

  console.error(`latency at concurrency 1: ${ROUNDS} rounds × ${subjects.length + 1} rows × ${DURATION_MS / 1000} s`);
  const direct: Target = { name: 'direct upstream GET', measure: () => measureCell(upstream.port, RECORD_PATH, {}, undefined, 1, dir) };
  const lat = await interleave([direct, ...subjects.map((s) => target(s, 1))], ROUNDS, progress);
  for (const s of subjects) {
    checkLog(s)();
    await callOnce(s.gw.port, s.headers, s.name);
  }

  const report: Report = {
    date: started.toISOString().slice(0, 10),
    commit: gitCommit(),
    node: process.version,
    cpu: cpuModel(),
    loadStart,
    loadEnd: loadAverage(),
    concurrency: CONCURRENCY,
    rounds: ROUNDS,
    seconds: DURATION_MS / 1000,
    loadgen: useWrk() ? 'wrk, 1 thread' : 'Node http client',
    rows: subjects.map((s, i) => ({ key: s.key, name: s.name, throughput: summarize(tput[i]!), cpuRounds: tput[i]!.cpuUs, latency: summarize(lat[i + 1]!), p99Rounds: lat[i + 1]!.p99, logBytesPerCall: logPerCall[i]! })),
    direct: summarize(lat[0]!),
    directP99Rounds: lat[0]!.p99,
  };
  console.log(renderConsole(report));
  if (WRITE_DOCS) {
    writeFileSync(DOC, replaceSection(readFileSync(DOC, 'utf8'), 'mcp', renderMarkdown(report)));
    console.log(`\nwrote the bench:mcp section of ${DOC}`);
  }
} finally {
  killAll();
  rmSync(dir, { recursive: true, force: true });
}
