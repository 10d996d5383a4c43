import { describe, expect, it } from 'vitest';
import type { Project, TengineConfig } from '../../schemas/config-types.js';
import { CliError } from '../io.js';
import { DEV_KEY_NAME, prepareDevConfig } from './dev-config.js';

const HASH = 'a'.repeat(64);

function project(id: string, environment: Project['environment'], integrations: Project['integrations'] = [{ id: 'local', kind: 'api_key', api_keys: [] }]): Project {
  return {
    id,
    environment,
    integrations,
    tools: [{ name: 'ping', description: 'Ping.', input_schema: { type: 'object' }, base_url: 'http://127.0.0.1:4010', http_method: 'GET', endpoint_path: '/ping' }],
  } as Project;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof CliError ? e.code : `not a CliError: ${String(e)}`;
  }
  return undefined;
}

describe('prepareDevConfig', () => {
  it('adds the key hash to the first api_key integration of the first development project, without changing the input', () => {
    const input: TengineConfig = {
      version: 1,
      projects: [project('live', 'production'), project('a', 'development', [{ id: 'o', kind: 'oauth' } as never, { id: 'k1', kind: 'api_key' }, { id: 'k2', kind: 'api_key' }]), project('b', 'development')],
    };
    const before = JSON.stringify(input);
    const dev = prepareDevConfig(input, HASH);
    expect(JSON.stringify(input)).toBe(before);
    expect(dev).toMatchObject({ project: 'a', integration: 'k1', tools: 2, skippedProduction: ['live'], otherDevelopment: ['b'] });
    expect(dev.config.projects!.map((p) => p.id)).toEqual(['a', 'b']);
    const ints = dev.config.projects![0]!.integrations!;
    expect(ints[1]).toEqual({ id: 'k1', kind: 'api_key', api_keys: [{ sha256: HASH, name: DEV_KEY_NAME }] });
    expect(ints[2]).toEqual({ id: 'k2', kind: 'api_key' });
    expect(dev.config.projects![1]!.integrations![0]).toEqual({ id: 'local', kind: 'api_key', api_keys: [] });
  });

  it('skips development projects without an api_key integration unless one is chosen with --project', () => {
    const input: TengineConfig = { version: 1, projects: [project('a', 'development', []), project('b', 'development')] };
    expect(prepareDevConfig(input, HASH).project).toBe('b');
    expect(codeOf(() => prepareDevConfig(input, HASH, 'a'))).toBe('DEV_NO_API_KEY_INTEGRATION');
    expect(prepareDevConfig({ version: 1, projects: [project('a', 'development'), project('b', 'development')] }, HASH, 'b').project).toBe('b');
  });

  it('refuses configs without development projects, production --project and unknown --project', () => {
    expect(codeOf(() => prepareDevConfig({ version: 1, projects: [project('live', 'production')] }, HASH))).toBe('DEV_NO_DEVELOPMENT_PROJECT');
    expect(codeOf(() => prepareDevConfig({ version: 1, projects: [] }, HASH))).toBe('DEV_NO_DEVELOPMENT_PROJECT');
    const mixed: TengineConfig = { version: 1, projects: [project('live', 'production'), project('a', 'development')] };
    expect(codeOf(() => prepareDevConfig(mixed, HASH, 'live'))).toBe('DEV_NO_DEVELOPMENT_PROJECT');
    expect(codeOf(() => prepareDevConfig(mixed, HASH, 'nope'))).toBe('BAD_ARGUMENT');
  });

  it('keeps the hash unique (TNG224): no duplicate when already there, an error when listed elsewhere', () => {
    const already: TengineConfig = { version: 1, projects: [project('a', 'development', [{ id: 'local', kind: 'api_key', api_keys: [{ sha256: HASH }] }])] };
    const keys = prepareDevConfig(already, HASH).config.projects![0]!.integrations![0]!;
    expect(keys.kind === 'api_key' && keys.api_keys).toEqual([{ sha256: HASH }]);
    const elsewhere: TengineConfig = { version: 1, projects: [project('live', 'production', [{ id: 'ci', kind: 'api_key', api_keys: [{ sha256: HASH }] }]), project('a', 'development')] };
    expect(codeOf(() => prepareDevConfig(elsewhere, HASH))).toBe('DEV_API_KEY_CONFLICT');
  });
});
