import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { toolIdentity } from '../../cli/plan/diff-tool.js';
import { computePlan } from '../../cli/plan/plan.js';
import type { ClassifiedChange, Plan } from '../../cli/plan/types.js';
import type { TengineConfig, Tool } from '../../schemas/config-types.js';
import { loadValid } from './scenario-fixtures.js';

/**
 * Property tests of the plan (design §4.8): a config planned against itself is empty, whatever its key order;
 * swapping before and after swaps additions and removals (counts and identities) and mirrors renames. Run over
 * the example configs and bounded random variations of them.
 */
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLES = ['examples/crm', 'examples/multi-project', 'tengine.config.yaml'];
const TODAY = '2025-06-01';
let examples: TengineConfig[] = [];

beforeAll(async () => {
  examples = await Promise.all(EXAMPLES.map((e) => loadValid(path.join(REPO, e))));
});

/** Rebuilds a JSON value with every object's keys in a shuffled order (same data, different order). */
function shuffleKeys(v: unknown, rnd: () => number): unknown {
  if (Array.isArray(v)) return v.map((x) => shuffleKeys(x, rnd));
  if (typeof v !== 'object' || v === null) return v;
  const entries = Object.entries(v).map(([k, x]) => [k, shuffleKeys(x, rnd)] as const);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  return Object.fromEntries(entries);
}

const OPS = ['removeTool', 'renameTool', 'cloneTool', 'describe', 'requireMember', 'requireInput', 'dropInput', 'baseUrl', 'disable', 'addKey', 'dropIntegration', 'pageSize', 'addRedirect', 'removeProject', 'addProject', 'setId'] as const;
type Op = { op: (typeof OPS)[number]; p: number; t: number; n: number };
const opArb: fc.Arbitrary<Op> = fc.record({ op: fc.constantFrom(...OPS), p: fc.nat(10), t: fc.nat(20), n: fc.nat(1_000_000) });

/** Applies mutations to a copy of a config. Names are made unique by the op counter, so identities never collide. */
function mutate(base: TengineConfig, ops: Op[]): TengineConfig {
  const c = structuredClone(base);
  c.projects ??= [];
  ops.forEach((o, i) => {
    const projects = c.projects!;
    const project = projects[o.p % Math.max(1, projects.length)];
    const tools = project?.tools ?? [];
    const t: Tool | undefined = tools[o.t % Math.max(1, tools.length)];
    const fresh = `gen-${i}-${o.n}`;
    switch (o.op) {
      case 'removeTool':
        if (t) tools.splice(tools.indexOf(t), 1);
        break;
      case 'renameTool':
        if (t) Object.assign(t, { id: toolIdentity(t), name: fresh });
        break;
      case 'cloneTool':
        if (t) {
          const copy = structuredClone(t);
          delete copy.id;
          tools.push({ ...copy, name: fresh });
        }
        break;
      case 'setId':
        if (t) t.id = fresh;
        break;
      case 'describe':
        if (t) t.description = `${t.description} (${o.n})`;
        break;
      case 'requireMember':
        if (t) t.require_member = !t.require_member;
        break;
      case 'requireInput':
        if (t) {
          const s = t.input_schema as { properties?: Record<string, unknown>; required?: string[] };
          s.properties = { ...s.properties, [`p${o.n}`]: { type: 'string' } };
          if (o.n % 2) s.required = [...(s.required ?? []), `p${o.n}`];
        }
        break;
      case 'dropInput':
        if (t) {
          const s = t.input_schema as { properties?: Record<string, unknown> };
          const k = Object.keys(s.properties ?? {})[0];
          if (k) delete s.properties![k];
        }
        break;
      case 'baseUrl':
        if (t) t.base_url = `https://h${o.n}.example.net`;
        break;
      case 'disable':
        if (t) t.is_enabled = !(t.is_enabled ?? true);
        break;
      case 'addKey': {
        const i0 = project?.integrations?.find((x) => x.kind === 'api_key');
        if (i0 && i0.kind === 'api_key') i0.api_keys = [...(i0.api_keys ?? []), { sha256: o.n.toString(16).padStart(64, 'a') }];
        break;
      }
      case 'dropIntegration':
        project?.integrations?.splice(o.t % Math.max(1, project.integrations.length), 1);
        break;
      case 'pageSize':
        c.runtime = { ...c.runtime, page_size: 1 + (o.n % 1000) };
        break;
      case 'addRedirect': {
        const i0 = project?.integrations?.find((x) => x.kind === 'oauth');
        if (i0 && i0.kind === 'oauth') i0.redirect_uris.push(`https://r${o.n}.example.com/cb`);
        break;
      }
      case 'removeProject':
        if (project) projects.splice(projects.indexOf(project), 1);
        break;
      case 'addProject':
        projects.push({ id: fresh, tools: [structuredClone(examples[0]!.projects![0]!.tools![0]!)] });
        break;
    }
  });
  return c;
}

const key = (c: ClassifiedChange) => `${c.project}|${c.subject}|${c.parent}|${c.name}`;
const byAction = (p: Plan, a: ClassifiedChange['action']) => p.changes.filter((c) => c.action === a).map(key).sort();

describe('plan properties', () => {
  it('the plan of each example against itself is empty', () => {
    for (const c of examples) expect(computePlan(c, structuredClone(c), { today: TODAY }).changes).toEqual([]);
  });

  it('key order does not matter: an example against a key-shuffled copy of itself is empty', () => {
    fc.assert(
      fc.property(fc.nat(examples.length - 1), fc.integer(), (i, seed) => {
        let s = seed;
        const rnd = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
        const c = examples[i]!;
        expect(computePlan(c, shuffleKeys(c, rnd) as TengineConfig, { today: TODAY }).changes).toEqual([]);
      }),
      { numRuns: 30 },
    );
  });

  it('a generated variation against itself is empty', () => {
    fc.assert(
      fc.property(fc.nat(examples.length - 1), fc.array(opArb, { maxLength: 8 }), (i, ops) => {
        const v = mutate(examples[i]!, ops);
        expect(computePlan(v, structuredClone(v), { today: TODAY }).changes).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it('swapping before and after swaps additions and removals, mirrors renames, and keeps the number of changes', () => {
    fc.assert(
      fc.property(fc.nat(examples.length - 1), fc.array(opArb, { minLength: 1, maxLength: 8 }), (i, ops) => {
        const a = examples[i]!;
        const b = mutate(a, ops);
        const fwd = computePlan(a, b, { today: TODAY });
        const back = computePlan(b, a, { today: TODAY });
        expect(byAction(fwd, 'add')).toEqual(byAction(back, 'remove'));
        expect(byAction(fwd, 'remove')).toEqual(byAction(back, 'add'));
        expect(fwd.summary.add).toBe(back.summary.remove);
        expect(fwd.summary.remove).toBe(back.summary.add);
        expect(fwd.summary.change).toBe(back.summary.change);
        const renames = (p: Plan, flip: boolean) =>
          p.changes.filter((c) => c.action === 'rename').map((c) => `${c.project}|${flip ? c.name : c.previous_name}→${flip ? c.previous_name : c.name}`).sort();
        expect(renames(fwd, false)).toEqual(renames(back, true));
        expect(back.changes.length).toBe(fwd.changes.length);
        // Every change is explained by at least one rule, in both directions.
        for (const c of [...fwd.changes, ...back.changes]) expect(c.rules.length).toBeGreaterThan(0);
      }),
      { numRuns: 80 },
    );
  });
});
