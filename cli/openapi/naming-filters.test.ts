import { describe, expect, it } from 'vitest';
import configSchema from '../../schemas/config.schema.json' with { type: 'json' };
import { baseName, disambiguated, operationHash, uniqueNames } from './naming.js';
import { isEmptyFilter, matchesFilter, pathGlob, type Operation } from './operations.js';
import { scopesFromDescription, scopesFromSecurity } from './scopes.js';
import { describeOperation } from './describe.js';

const op = (method: string, path: string, o: Record<string, unknown> = {}): Operation =>
  ({ method, path, op: o, node: { value: o, file: undefined as never, pointer: '' }, pathItem: undefined as never }) as Operation;

describe('names (docs/openapi.md §2.6)', () => {
  it('operationId, else summary, else method + path; sanitized; never mcp_; at most 64 characters', () => {
    expect(baseName({ method: 'GET', path: '/a', operationId: 'getA' })).toEqual({ name: 'getA', verbatim: true });
    expect(baseName({ method: 'GET', path: '/a', summary: ' List all  pets ' }).name).toBe('list_all_pets');
    expect(baseName({ method: 'POST', path: '/v1/pets/{petId}/photos' }).name).toBe('post_v1_pets_petId_photos');
    expect(baseName({ method: 'GET', path: '/a', operationId: 'contacts/search:advanced v2' })).toEqual({ name: 'contacts_search_advanced_v2', verbatim: false });
    expect(baseName({ method: 'GET', path: '/a', operationId: 'MCP_whoami' }).name).toBe('op_MCP_whoami');
    expect(baseName({ method: 'GET', path: '/a', operationId: 'x'.repeat(80) }).name).toHaveLength(64);
    expect(baseName({ method: 'GET', path: '/a', operationId: '日本語' }).name).toBe('get_a');
    expect(baseName({ method: 'GET', path: '/a', operationId: 'list' }, 'crm_').name).toBe('crm_list');
    for (const n of ['getA', 'list_all_pets', 'post_v1_pets_petId_photos', 'op_MCP_whoami']) expect(n).toMatch(/^[A-Za-z0-9_.-]{1,64}$/);
  });

  it('a collision keeps the name for the one operationId that is the name, and suffixes the others by a hash of METHOD /path', () => {
    const items = [
      { name: 'list', verbatim: true, method: 'GET', path: '/a' },
      { name: 'list', verbatim: false, method: 'GET', path: '/b' },
      { name: 'solo', verbatim: true, method: 'GET', path: '/c' },
    ];
    expect(uniqueNames(items).map((r) => r.name)).toEqual(['list', `list_${operationHash('GET', '/b')}`, 'solo']);
    expect(operationHash('get', '/b')).toBe(operationHash('GET', '/b'));
    expect(disambiguated('y'.repeat(64), 'GET', '/b')).toHaveLength(64);
  });

  it('names are a function of the operation and the operations sharing its name only (seeded shuffles and additions)', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const base = Array.from({ length: 40 }, (_, i) => ({ name: `n${i % 13}`, verbatim: i % 5 === 0, method: 'GET', path: `/p${i}` }));
    const names = (xs: typeof base) => new Map(uniqueNames(xs).map((r) => [r.item.path, r.name]));
    const before = names(base);
    for (let round = 0; round < 20; round++) {
      const extra = { name: `unrelated${round}`, verbatim: rand() < 0.5, method: 'POST', path: `/x${round}` };
      const shuffled = [...base, extra].sort(() => rand() - 0.5);
      const after = names(shuffled);
      for (const [path, name] of before) expect(after.get(path)).toBe(name);
    }
  });
});

describe('filters (docs/openapi.md §1)', () => {
  const listPets = op('GET', '/pets', { operationId: 'listPets', tags: ['pets'] });
  const photo = op('DELETE', '/pets/{petId}/photos/{photoId}', { operationId: 'deletePhoto', tags: ['photos'] });
  it('each given field must match; any value of a field matches', () => {
    expect(matchesFilter(listPets, { tags: ['pets', 'x'] })).toBe(true);
    expect(matchesFilter(listPets, { tags: ['pets'], methods: ['POST'] })).toBe(false);
    expect(matchesFilter(photo, { operation_ids: ['deletePhoto'] })).toBe(true);
    expect(matchesFilter(photo, { paths: ['/pets/**'] })).toBe(true);
    expect(matchesFilter(photo, { paths: ['/pets/*'] })).toBe(false);
    expect(matchesFilter(photo, { paths: ['/pets/{petId}/photos/{photoId}'] })).toBe(true);
    expect(isEmptyFilter({})).toBe(true);
    expect(isEmptyFilter(undefined)).toBe(true);
    expect(isEmptyFilter({ tags: [] })).toBe(false);
  });
  it('path globs: * within a segment, ** across, ? one character, {a,b} alternatives, {name} literal', () => {
    expect(pathGlob('/v?/items').test('/v1/items')).toBe(true);
    expect(pathGlob('/{users,groups}/*').test('/groups/7')).toBe(true);
    expect(pathGlob('/{users,groups}/*').test('/teams/7')).toBe(false);
    expect(pathGlob('/a.b/*').test('/aXb/c')).toBe(false);
  });
});

describe('scopes and descriptions (docs/openapi.md §2.6, §2.7)', () => {
  it('Required scope lines, Markdown emphasis allowed, several scopes', () => {
    expect(scopesFromDescription('Search.\n\n**Required scope:** CONTACTS_READ')).toEqual(['CONTACTS_READ']);
    expect(scopesFromDescription('Required scopes: `a:read`, b:write and c')).toEqual(['a:read', 'b:write', 'c']);
    expect(scopesFromDescription('No scope needed.')).toEqual([]);
    expect(scopesFromDescription(42)).toEqual([]);
  });
  it('OAuth scopes of security requirements; alternatives merged into their union', () => {
    const schemes = { o: { type: 'oauth2' }, k: { type: 'apiKey' } };
    expect(scopesFromSecurity([{ o: ['r'] }], schemes)).toEqual({ scopes: ['r'], merged: false });
    expect(scopesFromSecurity([{ k: [] }], schemes)).toEqual({ scopes: [], merged: false });
    expect(scopesFromSecurity([{ o: ['w'] }, { o: ['a'] }], schemes)).toEqual({ scopes: ['w', 'a'], merged: true });
  });
  it('summary and description joined and cut at a word boundary', () => {
    expect(describeOperation({ summary: 'S', description: 'D' }, 'GET', '/a', 100)).toEqual({ text: 'S\n\nD', trimmed: false });
    expect(describeOperation({}, 'get', '/a', 100).text).toBe('GET /a');
    const cut = describeOperation({ description: 'word '.repeat(40) }, 'GET', '/a', 64);
    expect(cut.trimmed).toBe(true);
    expect(cut.text.length).toBeLessThanOrEqual(64);
    expect(cut.text).toMatch(/word…$/);
  });
});

describe('config schema', () => {
  it('the source fields copied from the tool schema (without defaults, which Ajv would apply) keep the tool enums', () => {
    const defs = configSchema.$defs as unknown as Record<string, { properties: Record<string, { enum?: unknown[] }> }>;
    for (const f of ['auth_strategy', 'signature_version']) expect(defs.openApiSource!.properties[f]!.enum).toEqual(defs.tool!.properties[f]!.enum);
  });
});
