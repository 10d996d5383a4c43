import { describe, expect, it } from 'vitest';
import { renderMarkdown, verdicts, type Report, type Row } from './mcp-report.js';

const summary = (cpuUs: number, rps: number, p50: number, p99: number) => ({ cpuUs, rps, p50, p99 });
const row = (key: Row['key'], name: string, cpuUs: number, p50: number, p99: number): Row => ({ key, name, throughput: summary(cpuUs, 1000, 0, 0), cpuRounds: [cpuUs], latency: summary(NaN, NaN, p50, p99), logBytesPerCall: 0, p99Rounds: [p99] });
const report = (rows: Row[]): Report => ({ date: '2026-12-07', commit: 'abc1234', node: 'v20', cpu: 'cpu, 2 cores', loadStart: '1.00 1.00 1.00', loadEnd: '1.00 1.00 1.00', concurrency: 16, rounds: 5, seconds: 4, loadgen: 'wrk, 1 thread', rows, direct: summary(NaN, NaN, 0.02, 0.1), directP99Rounds: [0.1] });

describe('issue 15 targets', () => {
  it('judges CPU per call against the floor: API key ≤ 1.5×, member ≤ 2×, OAuth reported only', () => {
    const r = report([row('floor', 'floor', 40, 0.07, 1), row('api_key', 'API key', 60, 0.1, 1.5), row('member', 'member', 81, 0.3, 3), row('oauth', 'OAuth', 200, 0.1, 9)]);
    const v = Object.fromEntries(verdicts(r).map((x) => [x.what, x]));
    expect(v["API key: CPU per call ≤ 1.5× the floor's"]).toMatchObject({ value: '1.50×', met: true });
    expect(v["member: CPU per call ≤ 2× the floor's"]).toMatchObject({ value: '2.02×', met: false });
    expect(v['OAuth: CPU per call (reported, no target)']).toMatchObject({ value: '5.00×', met: undefined });
  });

  it("compares the API key row's added p50 with the floor's added p50, and its p99 with the floor's p99", () => {
    const ok = verdicts(report([row('floor', 'floor', 40, 0.07, 1), row('api_key', 'API key', 60, 0.169, 1.5)]));
    expect(ok.find((x) => x.what.includes('added p50'))).toMatchObject({ value: '+0.099 ms', met: true });
    expect(ok.find((x) => x.what.includes('p99'))).toMatchObject({ value: '1.50×', met: true });
    const slow = verdicts(report([row('floor', 'floor', 40, 0.07, 1), row('api_key', 'API key', 60, 0.2, 1.6)]));
    expect(slow.find((x) => x.what.includes('added p50'))).toMatchObject({ value: '+0.130 ms', met: false });
    expect(slow.find((x) => x.what.includes('p99'))).toMatchObject({ met: false });
  });

  it("judges the API key as the container image runs it by the API key's targets", () => {
    const v = verdicts(report([row('floor', 'floor', 40, 0.07, 1), row('api_key_image', 'API key, image', 56, 0.12, 1.4)]));
    expect(v.map((x) => [x.what, x.value, x.met])).toEqual([
      ["API key, image: CPU per call ≤ 1.5× the floor's", '1.40×', true],
      ["API key, image: added p50 at concurrency 1 within 0.1 ms of the floor's", '+0.050 ms', true],
      ["API key, image: p99 at concurrency 1 ≤ 1.5× the floor's", '1.40×', true],
    ]);
  });

  it('renders one markdown table row per gateway and per target, marked met, missed or reported', () => {
    const md = renderMarkdown(report([row('floor', 'floor', 40, 0.07, 1), row('api_key', 'API key', 80, 0.1, 1), row('oauth', 'OAuth', 80, 0.1, 1)]));
    expect(md).toContain('| API key | 1,000 | 80 | 2.00 | 1.00 | 0 |');
    expect(md).toContain("| API key: CPU per call ≤ 1.5× the floor's | 2.00× | missed |");
    expect(md).toContain('| OAuth: CPU per call (reported, no target) | 2.00× | reported |');
    expect(md).toContain('commit `abc1234`');
  });
});
