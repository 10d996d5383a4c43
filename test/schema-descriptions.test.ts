import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Editor hovers and completion (yaml-language-server) come from the schemas: every property needs a description.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
type Schema = Record<string, unknown>;

async function load(name: string): Promise<Schema> {
  return JSON.parse(await readFile(path.join(ROOT, 'schemas', name), 'utf8')) as Schema;
}

/** Every property schema (in `properties` anywhere, $defs included) without a description of its own or of its $ref. */
function undocumented(schema: Schema, others: Record<string, Schema>): string[] {
  const resolve = (ref: string): Schema | undefined => {
    const [file, pointer = ''] = ref.split('#');
    const doc = file ? others[file] : schema;
    return pointer.split('/').slice(1).reduce<unknown>((o, k) => (o as Schema | undefined)?.[k], doc) as Schema | undefined;
  };
  const described = (s: unknown): boolean => {
    if (typeof s !== 'object' || s === null) return false;
    const o = s as Schema;
    return typeof o.description === 'string' && o.description.trim().length > 0 ? true : typeof o.$ref === 'string' && described(resolve(o.$ref));
  };
  const missing: string[] = [];
  const walk = (s: unknown, ptr: string): void => {
    if (typeof s !== 'object' || s === null) return;
    if (Array.isArray(s)) return s.forEach((x, i) => walk(x, `${ptr}/${i}`));
    const o = s as Schema;
    if (o.properties && typeof o.properties === 'object') {
      for (const [k, v] of Object.entries(o.properties as Schema)) if (!described(v)) missing.push(`${ptr}/properties/${k}`);
    }
    // Values (enum, const, default, examples) are data, not schemas.
    for (const [k, v] of Object.entries(o)) if (!['enum', 'const', 'default', 'examples'].includes(k)) walk(v, `${ptr}/${k}`);
  };
  walk(schema, '#');
  return missing;
}

describe('schema descriptions', () => {
  it('every property of config.schema.json (with $defs) and config-fragment.schema.json has a description', async () => {
    const config = await load('config.schema.json');
    const fragment = await load('config-fragment.schema.json');
    const others = { 'config.schema.json': config };
    expect(undocumented(config, others)).toEqual([]);
    expect(undocumented(fragment, others)).toEqual([]);
  });

  it('the walk finds a property without one (the test can fail)', () => {
    const schema = { $defs: { a: { properties: { ok: { type: 'string', description: 'x' }, bare: { type: 'string' }, viaRef: { $ref: '#/$defs/b' } } }, b: { type: 'string' } } };
    expect(undocumented(schema, {})).toEqual(['#/$defs/a/properties/bare', '#/$defs/a/properties/viaRef']);
  });

  it('fixed values are enums or consts, so completion offers them: http_method, auth_strategy, kind', async () => {
    const defs = (await load('config.schema.json')).$defs as Record<string, { properties: Record<string, Schema> }>;
    expect(defs.tool!.properties.http_method!.enum).toEqual(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
    expect(defs.tool!.properties.auth_strategy).toMatchObject({ enum: ['none', 'static_bearer', 'hmac_signature'], default: 'none' });
    expect(defs.apiKeyIntegration!.properties.kind!.const).toBe('api_key');
    expect(defs.oauthIntegration!.properties.kind!.const).toBe('oauth');
  });

  it('the SchemaStore entry in docs/config.md names the schema $id and the root file names', async () => {
    const doc = await readFile(path.join(ROOT, 'docs/config.md'), 'utf8');
    const m = /\*\*SchemaStore\.\*\*[\s\S]*?```json\n([\s\S]*?)```/.exec(doc);
    expect(m).not.toBeNull();
    const entry = JSON.parse(m![1]!) as { name: string; description: string; fileMatch: string[]; url: string };
    expect(entry.url).toBe((await load('config.schema.json')).$id);
    expect(entry.fileMatch).toEqual(['tengine.config.yaml', 'tengine.config.yml']);
    expect(entry.name.length).toBeGreaterThan(0);
  });
});
