import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../cli/config/load-config.js';
import { parseIgnoreFile, type IgnoreEntry } from '../../cli/plan/ignore.js';
import { computePlan } from '../../cli/plan/plan.js';
import type { Plan } from '../../cli/plan/types.js';
import type { TengineConfig } from '../../schemas/config-types.js';

/** The directory of the golden scenarios: one folder each, with before.yaml, after.yaml and expected outputs. */
export const SCENARIOS_DIR = fileURLToPath(new URL('./scenarios', import.meta.url));

/** The date every scenario is planned on, so sunsets and expiries give the same result on any day. */
export const SCENARIO_TODAY = '2025-06-01';

/** Scenario folder names, sorted. */
export function scenarioNames(): string[] {
  return readdirSync(SCENARIOS_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** Loads a config file like `tengine plan` does; fails loudly with the diagnostics when it is not valid. */
export async function loadValid(file: string): Promise<TengineConfig> {
  const r = await loadConfig(file, { env: {}, cwd: path.dirname(file) });
  if (!r.config) throw new Error(`${file} is not a valid config:\n${r.diagnostics.map((d) => `${d.code} ${d.message} (${d.file}:${d.line})`).join('\n')}`);
  return r.config;
}

/** Plans one scenario: before.yaml → after.yaml, with ignore.yaml when the folder has one. */
export async function planScenario(name: string): Promise<Plan> {
  const dir = path.join(SCENARIOS_DIR, name);
  const before = await loadValid(path.join(dir, 'before.yaml'));
  const after = await loadValid(path.join(dir, 'after.yaml'));
  let ignore: IgnoreEntry[] | undefined;
  const ignoreFile = path.join(dir, 'ignore.yaml');
  if (existsSync(ignoreFile)) {
    const parsed = parseIgnoreFile(await readFile(ignoreFile, 'utf8'), 'ignore.yaml');
    if (parsed.errors.length) throw new Error(parsed.errors.map((e) => e.message).join('\n'));
    ignore = parsed.entries;
  }
  return computePlan(before, after, { today: SCENARIO_TODAY, ignore, sources: { before: 'before.yaml', after: 'after.yaml' } });
}
