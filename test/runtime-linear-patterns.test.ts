// Issue 8, defect 3 (ReDoS): one 27-character argument against `pattern: '^(\w+\s?)*$'` blocked the whole instance
// for 8 s (29 characters: 30 s), because Ajv ran schema patterns on V8's backtracking engine. These tests run the
// real runtime on a socket, a real loopback upstream and the official MCP SDK client: the adversarial calls are
// answered with INVALID_ARGUMENTS and never reach the upstream, well within the test timeout (before the fix the
// 100,000-character one would run for longer than the universe has existed), and other projects keep being served.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOT_EXIT } from '../runtime/load/boot-exit-codes.js';
import { RuntimeBootError, startRuntime } from '../runtime/start.js';
import type { TengineConfig, Tool } from '../schemas/config-types.js';
import { deploy } from './fixtures/runtime-harness.js';
import { devProject, errorMeta, startSdkStage, type SdkStage } from './fixtures/sdk-stage.js';

/** The pattern: exponential on a backtracking engine. */
const EVIL = '^(\\w+\\s?)*$';
const attack = (n: number) => 'a'.repeat(n - 1) + '!';

let stage: SdkStage;

function config(upstreamUrl: string): TengineConfig {
  const tool = (name: string, properties: Record<string, unknown>, extra: Partial<Tool> = {}): Tool => ({
    name,
    description: `Tool ${name}`,
    input_schema: { type: 'object', properties, additionalProperties: false },
    base_url: upstreamUrl,
    http_method: 'GET',
    endpoint_path: `/${name}`,
    ...extra,
  });
  return {
    version: 1,
    projects: [
      devProject('alpha', [
        tool('search', { q: { type: 'string', pattern: EVIL } }, { query_template: { q: '{q}' } }),
        tool('tag', { tags: { type: 'object', patternProperties: { [EVIL]: { type: 'string' } }, additionalProperties: false } }),
        tool('fields', { fields: { type: 'object', propertyNames: { pattern: EVIL } } }),
        tool('link', { site: { type: 'string', format: 'url' } }, { query_template: { site: '{site}' } }),
        tool('legacy', { q: { type: 'string', pattern: EVIL } }, { input_schema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { q: { type: 'string', pattern: EVIL } } } }),
      ]),
      devProject('beta', [tool('ping', { id: { type: 'string' } }, { query_template: { id: '{id}' } })]),
    ],
  };
}

beforeAll(async () => {
  stage = await startSdkStage(config);
});

afterAll(async () => stage?.close());

const connect = (project: string) => stage.connect(project);
const hits = (path: string) => stage.hits(path);

describe('input_schema patterns run in linear time (the issue\'s repro)', () => {
  it.each([27, 29, 100_000])('a %i-character adversarial argument against ^(\\w+\\s?)*$ is answered INVALID_ARGUMENTS and sends nothing', async (n) => {
    const client = await connect('alpha');
    const result = await client.callTool({ name: 'search', arguments: { q: attack(n) } });
    expect(result.isError).toBe(true);
    expect(errorMeta(result)).toMatchObject({ code: 'INVALID_ARGUMENTS', status: 400, errors: [{ path: '/q', message: `must match pattern "${EVIL}"` }] });
    expect(hits('/search')).toHaveLength(0);
  });

  it('a matching argument passes and reaches the upstream', async () => {
    const client = await connect('alpha');
    const result = await client.callTool({ name: 'search', arguments: { q: 'hello world' } });
    expect(result.isError).toBeFalsy();
    expect(hits('/search').map((r) => r.url)).toEqual(['/search?q=hello%20world']);
  });

  it('draft-07 schemas too', async () => {
    const client = await connect('alpha');
    const result = await client.callTool({ name: 'legacy', arguments: { q: attack(100_000) } });
    expect(errorMeta(result)?.code).toBe('INVALID_ARGUMENTS');
    expect(hits('/legacy')).toHaveLength(0);
  });
});

describe('patternProperties and propertyNames keys run in linear time', () => {
  it('an adversarial key under patternProperties (with additionalProperties: false) is refused; a matching one passes', async () => {
    const client = await connect('alpha');
    const bad = await client.callTool({ name: 'tag', arguments: { tags: { [attack(100_000)]: 'x' } } });
    expect(errorMeta(bad)).toMatchObject({ code: 'INVALID_ARGUMENTS', errors: [{ path: '/tags' }] });
    expect(hits('/tag')).toHaveLength(0);
    const good = await client.callTool({ name: 'tag', arguments: { tags: { colour: 'red' } } });
    expect(good.isError).toBeFalsy();
    expect(hits('/tag')).toHaveLength(1);
  });

  it('an adversarial key under propertyNames is refused', async () => {
    const client = await connect('alpha');
    const bad = await client.callTool({ name: 'fields', arguments: { fields: { [attack(100_000)]: 1 } } });
    expect(errorMeta(bad)).toMatchObject({ code: 'INVALID_ARGUMENTS', errors: [{ path: '/fields', message: `must match pattern "${EVIL}"` }, { path: '/fields', message: 'property name must be valid' }] });
    expect(hits('/fields')).toHaveLength(0);
  });
});

describe('format validators run in linear time', () => {
  it('format: url on "http://" + 200,000 colons (quadratic in ajv-formats: minutes) is refused; a URL passes', async () => {
    const client = await connect('alpha');
    const bad = await client.callTool({ name: 'link', arguments: { site: 'http://' + ':'.repeat(200_000) } });
    expect(errorMeta(bad)).toMatchObject({ code: 'INVALID_ARGUMENTS', errors: [{ path: '/site', message: 'must match format "url"' }] });
    expect(hits('/link')).toHaveLength(0);
    const good = await client.callTool({ name: 'link', arguments: { site: 'https://example.com/a?b=c' } });
    expect(good.isError).toBeFalsy();
    expect(hits('/link')).toHaveLength(1);
  });
});

describe('one project\'s adversarial calls do not hold up another project', () => {
  it('five concurrent 100,000-character attacks on alpha and a call on beta are all answered', async () => {
    const [alpha, beta] = await Promise.all([connect('alpha'), connect('beta')]);
    const before = hits('/ping').length;
    const results = await Promise.all([
      ...Array.from({ length: 5 }, () => alpha.callTool({ name: 'search', arguments: { q: attack(100_000) } })),
      beta.callTool({ name: 'ping', arguments: { id: '1' } }),
    ]);
    expect(results.slice(0, 5).map((r) => errorMeta(r)?.code)).toEqual(Array(5).fill('INVALID_ARGUMENTS'));
    expect(results[5]!.isError).toBeFalsy();
    expect(hits('/ping')).toHaveLength(before + 1);
  });
});

describe('a hand-built bundle with a pattern the linear engine refuses (tengine validate says TNG229)', () => {
  it('the boot refuses it as BUNDLE_PAYLOAD_INVALID (exit 16), naming the tool and the construct', async () => {
    const cfg = config('http://127.0.0.1:9');
    cfg.projects![0]!.tools = [{ ...cfg.projects![0]!.tools![0]!, input_schema: { type: 'object', properties: { q: { type: 'string', pattern: '^(a)\\1$' } } } }];
    const d = await deploy(cfg);
    const err = await startRuntime({ bundle: d.bundle, bundlePublicKeys: [d.publicPem], host: '127.0.0.1', port: 0, env: {}, allowDevelopment: true }).then(
      async (r) => {
        await r.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RuntimeBootError);
    expect(err).toMatchObject({ code: 'BUNDLE_PAYLOAD_INVALID', exitCode: BOOT_EXIT.BUNDLE_PAYLOAD_INVALID });
    expect((err as Error).message).toMatch(/tool "search" of project "alpha" cannot be compiled: pattern "\^\(a\)\\\\1\$" cannot run in linear time: a backreference/);
  });
});
