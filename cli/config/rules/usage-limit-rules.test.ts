import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/fixtures/bundle-fixtures.js';
import { allCodesKnown, loadDir, oneToolConfig, writeTree } from '../../../test/fixtures/config-files.js';

// One fixture per code lives in test/fixtures/invalid/TNG239..TNG244; these cover the cases around them.
describe('usage limit diagnostics (docs/config.md §7, docs/usage.md#limits)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('tengine-usage-limits-'));
  });
  afterEach(async () => cleanup());

  /** Diagnostics of a one-tool config with `project` lines after the project id and `tool` lines on the tool. */
  async function diagnose(project: string[], tool: string[] = []) {
    const text = oneToolConfig(tool.join('\n')).replace('  - id: demo\n', `  - id: demo\n${project.map((l) => `    ${l}\n`).join('')}`);
    await writeTree(dir, { 'tengine.config.yaml': text });
    const { diagnostics } = await loadDir(dir);
    expect(allCodesKnown(diagnostics)).toBe(true);
    return diagnostics.map((d) => ({ code: d.code, severity: d.severity, message: d.message, hint: d.hint }));
  }

  it('every usage limit the docs show (usage.md, config.md) is one tengine validate accepts', async () => {
    const shown: string[] = [];
    for (const doc of ['docs/usage.md', 'docs/config.md']) {
      const text = await readFile(new URL(`../../../${doc}`, import.meta.url), 'utf8');
      for (const m of text.matchAll(/^ *- (\{ (?:name: [\w-]+, )?limit: [^}]*\})/gm)) shown.push(m[1]!);
    }
    expect(shown.length).toBeGreaterThanOrEqual(8);
    for (const limit of shown) expect([limit, await diagnose(['usage_limits:', `  - ${limit}`])]).toEqual([limit, []]);
  });

  it('zero and negative values are schema errors with a code and a hint that says what to do', async () => {
    const d = await diagnose(['usage_limits:', '  - { limit: 0, window: 1m }', '  - { limit: 5, window: 1m, burst: -1, per: project }', 'usage_policy:', '  expected_instances: 0']);
    expect(d.map((x) => [x.code, x.message])).toEqual([
      ['TNG103', 'project "demo": usage_limits[0].limit must be >= 1'],
      ['TNG103', 'project "demo": usage_limits[1].burst must be >= 1'],
      ['TNG103', 'project "demo": usage_policy.expected_instances must be >= 1'],
    ]);
    expect(d[0]!.hint).toBe('use a whole number from 1 to 1000000000: a limit of 0 would refuse every call (to turn a tool off, set is_enabled: false)');
    expect(d[2]!.hint).toBe('use a number from 1 to 1000');
  });

  it('existing {limit, window, per} limits stay valid (now GCRA rates), with a burst up to the limit and a named quota', async () => {
    expect(await diagnose(['usage_limits:', '  - { limit: 100, window: 1h, per: project }', '  - { name: monthly, limit: 5000, quota: month, per: member }', 'usage_policy:', '  time_zone: Europe/Berlin', '  on_store_unavailable: fail_closed'], ['        usage_limits:', '          - { limit: 10, window: 10s, burst: 10 }'])).toEqual([]);
  });

  it('a stricter project limit covers a tool limit only when it counts at least the same callers', async () => {
    // Per member at the project does not cover per integration on the tool (an integration has many members).
    expect(await diagnose(['usage_limits:', '  - { limit: 1, window: 1m, per: member }'], ['        usage_limits:', '          - { limit: 100, window: 1m, per: integration }'])).toEqual([]);
    const covered = await diagnose(['usage_limits:', '  - { limit: 1, window: 1m, per: integration }'], ['        usage_limits:', '          - { limit: 100, window: 1m, per: member }']);
    expect(covered.map((x) => [x.code, x.severity])).toEqual([['TNG242', 'warning']]);
    expect(covered[0]!.message).toContain('usage_limits.0 (1 per 1m, per integration)');
    // A looser project limit, or a larger burst, leaves the tool's limit reachable.
    expect(await diagnose(['usage_limits:', '  - { limit: 60, window: 1m, burst: 60, per: project }'], ['        usage_limits:', '          - { limit: 60, window: 1m, burst: 5 }'])).toEqual([]);
  });

  it('a quota the rate of the same list keeps below its limit is unreachable; a reachable one is not reported', async () => {
    expect((await diagnose(['usage_limits:', '  - { limit: 1, window: 1h, per: member }', '  - { limit: 25, quota: day, per: member }'])).map((x) => x.code)).toEqual(['TNG242']);
    expect(await diagnose(['usage_limits:', '  - { limit: 1, window: 1h, per: member }', '  - { limit: 20, quota: day, per: member }'])).toEqual([]);
  });

  it('on an integration, per: project counts that integration\'s calls: a second limit per integration of the same window is a duplicate', async () => {
    const d = await diagnose(['integrations:', '  - id: backend', '    kind: api_key', '    usage_limits:', '      - { limit: 10, window: 1m, per: project }', '      - { limit: 20, window: 1m, per: integration }']);
    expect(d.map((x) => x.code)).toEqual(['TNG241']);
  });

  it('more than 8 limits in one list', async () => {
    const many = Array.from({ length: 9 }, (_, i) => `  - { limit: ${i + 1}, window: ${i + 1}m, per: project }`);
    expect((await diagnose(['usage_limits:', ...many])).map((x) => x.code)).toEqual(['TNG239']);
  });
});
