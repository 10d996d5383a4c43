// Benchmark: MCP tools/call through the runtime vs direct calls to the same loopback upstream, in one run.
// Reports throughput, latency percentiles, the latency the runtime adds, and the runtime's CPU per call (read
// from /proc for the runtime process only) at concurrency 1, 16 and 64. Traffic stays on 127.0.0.1 and every
// loop is bounded. Run: `npm run build && npm run bench:mcp` (the runtime runs from dist/, as in production).
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintCredential } from '../cli/keys/mint-credential.js';
import { GET_RECORD_CALL, writeBenchBundle } from './support/bench-tool.js';
import { approveSignIn } from '../test/fixtures/oauth-helpers.js';
import { cpuTimes, DURATION_MS, freePort, hasWrk, load, loadNode, loadWrk, median, waitForHttp, waitForPort, type Cell } from './support/load.js';

const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,16,64').split(',').map(Number);

/** Signs the bench's confidential client in, as a browser and the client would: consent page, approve, code exchange. */
async function oauthAccessToken(port: number, secret: string): Promise<string> {
  const base = `http://127.0.0.1:${port}`;
  const verifier = 'v'.repeat(43);
  const { createHash } = await import('node:crypto');
  const q = new URLSearchParams({ response_type: 'code', client_id: 'bench-connector', redirect_uri: 'https://client.example/cb', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' });
  const code = (await approveSignIn(fetch, `${base}/api/v1/mcp-oauth/authorize?${q}`, { base })).searchParams.get('code');
  if (!code) throw new Error('the bench could not sign its OAuth client in');
  const token = await fetch(`${base}/api/v1/mcp-oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`bench-connector:${secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: 'https://client.example/cb' }).toString(),
  });
  const tokens = (await token.json()) as { access_token?: string; error?: string; error_description?: string };
  if (!tokens.access_token) throw new Error(`the bench's token request was refused: ${tokens.error} ${tokens.error_description ?? ''}`);
  return tokens.access_token;
}


const dir = mkdtempSync(join(tmpdir(), 'tengine-bench-mcp-'));
const children: ChildProcess[] = [];
try {
  const upstream = spawn(process.execPath, ['bench/support/upstream-server.mjs'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(upstream);
  const upstreamPort = await waitForPort(upstream);

  const clientSecret = mintCredential('client_secret');
  const { apiKey } = await writeBenchBundle(dir, upstreamPort, [
    { id: 'connector', kind: 'oauth', client_id: 'bench-connector', client_secret_sha256: clientSecret.sha256, redirect_uris: ['https://client.example/cb'] },
  ]);
  const runtimePort = await freePort();
  // warn: per-call access logs are off so the table measures the gateway, not the log pipe.
  const runtime = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), 'dist/runtime/main.js', '--bundle', join(dir, 'bundle.json'), '--bundle-public-key', join(dir, 'pub.pem'), '--port', String(runtimePort), '--log-level', 'warn', '--allow-development'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push(runtime);
  await waitForHttp(runtimePort);
  const sdk = spawn(process.execPath, ['bench/support/sdk-server.mjs'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, UPSTREAM_PORT: String(upstreamPort) } });
  children.push(sdk);
  const sdkPort = await waitForPort(sdk);

  const callBody = GET_RECORD_CALL;
  const mcpHeaders = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    authorization: `Bearer ${apiKey}`,
    'mcp-protocol-version': '2025-06-18',
    'content-length': String(Buffer.byteLength(callBody)),
  };
  // Warm up JIT and connection pools.
  await load(runtimePort, '/mcp', mcpHeaders, callBody, 8);
  await load(upstreamPort, '/records/rec_123?expand=owner', {}, undefined, 8);

  const useWrk = hasWrk() && process.env.BENCH_LOADGEN !== 'node';
  const measure = (port: number, path: string, headers: Record<string, string>, body: string | undefined, c: number) =>
    useWrk ? Promise.resolve(loadWrk(port, path, headers, body, c, dir)) : loadNode(port, path, headers, body, c);
  // One real call first: the table is meaningless if the call fails.
  const probe = await load(runtimePort, '/mcp', mcpHeaders, callBody, 1);
  if (probe.errors > 0) throw new Error('the probe tools/call failed');
  console.log(`tools/call through the runtime vs direct upstream GET; ${DURATION_MS / 1000} s per cell; one runtime process; load: ${useWrk ? 'wrk (1 thread)' : 'Node http client'}; 2-core shared machine`);
  console.log('conc | direct req/s  p50 ms  p99 ms | runtime req/s  p50 ms  p99 ms | added p50  added p99 | runtime CPU/call (user, kernel) | errors');
  for (const c of CONCURRENCY) {
    const direct = await measure(upstreamPort, '/records/rec_123?expand=owner', {}, undefined, c);
    const cpu0 = cpuTimes(runtime.pid!);
    const through = await measure(runtimePort, '/mcp', mcpHeaders, callBody, c);
    const cpu1 = cpuTimes(runtime.pid!);
    const user = cpu1.user - cpu0.user;
    const system = cpu1.system - cpu0.system;
    const cpu = user + system;
    const rps = (r: Cell) => r.rps.toFixed(0).padStart(8);
    const ms = (v: number) => v.toFixed(3).padStart(7);
    const per = (v: number) => ((v / through.requests) * 1e6).toFixed(0);
    console.log(
      `${String(c).padStart(4)} | ${rps(direct)} ${ms(direct.p50)} ${ms(direct.p99)} |` +
        ` ${rps(through)}     ${ms(through.p50)} ${ms(through.p99)} |` +
        ` ${ms(through.p50 - direct.p50)}   ${ms(through.p99 - direct.p99)} |` +
        ` ${per(cpu).padStart(5)} µs (user ${per(user)}, kernel ${per(system)}) | ${direct.errors + through.errors}`,
    );
  }
  // The baseline the issue names: an SDK McpServer + transport built per request (stateless), same tool, same upstream.
  const sdkCall = await load(sdkPort, '/mcp', mcpHeaders, callBody, 1);
  if (sdkCall.errors > 0) throw new Error('the SDK baseline call failed');
  console.log('\nbaseline: MCP SDK server + transport per request (stateless), same call, same upstream');
  for (const c of CONCURRENCY.filter((x) => x !== 1).slice(-1)) {
    const cpu0 = cpuTimes(sdk.pid!);
    const r = await measure(sdkPort, '/mcp', mcpHeaders, callBody, c);
    const cpu1 = cpuTimes(sdk.pid!);
    const cpu = cpu1.user - cpu0.user + cpu1.system - cpu0.system;
    console.log(`${String(c).padStart(4)} | SDK req/s ${r.rps.toFixed(0)}  p50 ${r.p50.toFixed(3)} ms  CPU/call ${((cpu / r.requests) * 1e6).toFixed(0)} µs | errors ${r.errors}`);
  }
  // The same call with an OAuth access token (a JWT checked on every call, plus the revocation list's map lookup)
  // against the API key, in interleaved rounds on the same runtime: medians and their ratio.
  const access = await oauthAccessToken(runtimePort, clientSecret.secret);
  const oauthHeaders = { ...mcpHeaders, authorization: `Bearer ${access}` };
  const oauthProbe = await load(runtimePort, '/mcp', oauthHeaders, callBody, 1);
  if (oauthProbe.errors > 0) throw new Error('the OAuth probe tools/call failed');
  const oauthC = CONCURRENCY.filter((x) => x !== 1)[0] ?? 16;
  const rounds = Number(process.env.BENCH_OAUTH_ROUNDS ?? 6);
  const perCall: Record<'api_key' | 'oauth', number[]> = { api_key: [], oauth: [] };
  const rate: Record<'api_key' | 'oauth', number[]> = { api_key: [], oauth: [] };
  for (let r = 0; r < rounds; r++) {
    // Alternate which goes first, so neither always runs on a warmer (or more fragmented) heap.
    const order = [['api_key', mcpHeaders], ['oauth', oauthHeaders]] as const;
    for (const [kind, headers] of r % 2 === 0 ? order : [...order].reverse()) {
      const cpu0 = cpuTimes(runtime.pid!);
      const res = await measure(runtimePort, '/mcp', headers, callBody, oauthC);
      const cpu1 = cpuTimes(runtime.pid!);
      if (res.errors > 0) throw new Error(`${kind} calls failed during the comparison`);
      perCall[kind].push(((cpu1.user - cpu0.user + cpu1.system - cpu0.system) / res.requests) * 1e6);
      rate[kind].push(res.rps);
    }
  }
  console.log(`\nAPI key vs OAuth access token, concurrency ${oauthC}, ${rounds} interleaved rounds, medians`);
  console.log(`  API key: ${median(rate.api_key).toFixed(0)} calls/s, ${median(perCall.api_key).toFixed(0)} µs CPU/call`);
  console.log(`  OAuth:   ${median(rate.oauth).toFixed(0)} calls/s, ${median(perCall.oauth).toFixed(0)} µs CPU/call`);
  console.log(`  ratio OAuth / API key: CPU/call ${(median(perCall.oauth) / median(perCall.api_key)).toFixed(3)}, calls/s ${(median(rate.oauth) / median(rate.api_key)).toFixed(3)} (target: within 10 %)`);

  // Logs and metrics on vs off (issue 10 "Done when": within 10 %): a second runtime with audit lines on (info, to
  // stderr, discarded) and its metrics listener scraped every second, against the first (warn: no audit lines, metrics
  // kept but never scraped), in interleaved rounds at the same concurrency. Metrics cannot be switched off: both
  // runtimes count them, so this measures the audit lines plus scraping.
  const onPort = await freePort();
  const metricsPort = await freePort();
  const runtimeOn = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), 'dist/runtime/main.js', '--bundle', join(dir, 'bundle.json'), '--bundle-public-key', join(dir, 'pub.pem'), '--port', String(onPort), '--log-level', process.env.BENCH_OBS_LEVEL ?? 'info', '--metrics-port', String(metricsPort), '--allow-development'], {
    // BENCH_OBS_LOG=FILE keeps the lines (to check them); by default they go to /dev/null.
    stdio: ['ignore', 'inherit', process.env.BENCH_OBS_LOG ? openSync(process.env.BENCH_OBS_LOG, 'w') : 'ignore'],
  });
  children.push(runtimeOn);
  await waitForHttp(onPort);
  await load(onPort, '/mcp', mcpHeaders, callBody, 8);
  const scrapeOnce = () => request({ host: '127.0.0.1', port: metricsPort, path: '/metrics' }, (res) => res.resume()).on('error', () => undefined).end();
  // BENCH_OBS_SCRAPE=0 and BENCH_OBS_LEVEL=warn take the scrapes or the audit lines out, to see which costs what.
  const scraper = setInterval(process.env.BENCH_OBS_SCRAPE === '0' ? () => undefined : scrapeOnce, 1000);
  const obs: Record<'off' | 'on', { cpu: number[]; rps: number[] }> = { off: { cpu: [], rps: [] }, on: { cpu: [], rps: [] } };
  try {
    for (let r = 0; r < rounds; r++) {
      const order = [['off', runtime, runtimePort], ['on', runtimeOn, onPort]] as const;
      for (const [kind, child, port] of r % 2 === 0 ? order : [...order].reverse()) {
        const cpu0 = cpuTimes(child.pid!);
        const res = await measure(port, '/mcp', mcpHeaders, callBody, oauthC);
        const cpu1 = cpuTimes(child.pid!);
        if (res.errors > 0) throw new Error(`calls failed with logs and metrics ${kind}`);
        obs[kind].cpu.push(((cpu1.user - cpu0.user + cpu1.system - cpu0.system) / res.requests) * 1e6);
        obs[kind].rps.push(res.rps);
      }
    }
  } finally {
    clearInterval(scraper);
  }
  console.log(`\nlogs + metrics off vs on, concurrency ${oauthC}, ${rounds} interleaved rounds, medians`);
  console.log(`  off (warn, not scraped):            ${median(obs.off.rps).toFixed(0)} calls/s, ${median(obs.off.cpu).toFixed(0)} µs CPU/call`);
  console.log(`  on (info audit lines, scraped 1/s): ${median(obs.on.rps).toFixed(0)} calls/s, ${median(obs.on.cpu).toFixed(0)} µs CPU/call`);
  console.log(`  ratio on / off: CPU/call ${(median(obs.on.cpu) / median(obs.off.cpu)).toFixed(3)}, calls/s ${(median(obs.on.rps) / median(obs.off.rps)).toFixed(3)} (target: within 10 %)`);
  console.log('targets: ≥ 8000 calls/s at concurrency 64; ≤ 150 µs runtime CPU per call; added p50 ≤ 0.4 ms at concurrency 1');
} finally {
  for (const c of children) c.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
