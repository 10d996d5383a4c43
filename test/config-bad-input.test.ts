import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfigFile } from '../cli/config/parse-config-file.js';
import { parseYaml } from '../cli/config/parse-yaml.js';
import { MAX_ALIAS_BYTES } from '../cli/config/yaml-limits.js';
import { DIAGNOSTIC_CODES } from '../schemas/diagnostics.js';
import { tempDir } from './fixtures/bundle-fixtures.js';
import { allCodesKnown, loadDir, oneToolConfig, positions, writeTree } from './fixtures/config-files.js';

// Every case writes files into a fresh directory and loads it with that directory as cwd, so diagnostics name
// `tengine.config.yaml` and `tools/…` relative paths. Each case checks codes and positions, and (by awaiting
// loadConfig) that nothing throws.

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('tengine-bad-input-'));
});
afterEach(async () => cleanup());

const ROOT = 'tengine.config.yaml';

async function load(files: Record<string, string | Uint8Array> | string, env: Record<string, string | undefined> = {}) {
  await writeTree(dir, typeof files === 'string' ? { [ROOT]: files } : files);
  const loaded = await loadDir(dir, env);
  expect(allCodesKnown(loaded.diagnostics)).toBe(true);
  return loaded;
}

/** A root file declaring project `demo` and including `tools/*.yaml`. */
const ROOT_WITH_INCLUDE = 'version: 1\ninclude:\n  - tools/*.yaml\nprojects:\n  - id: demo\n';

describe('TNG002 malformed YAML', () => {
  it('TNG002 rejects a plain value starting with a reserved character, at that character', async () => {
    const loaded = await load('version: 1\nprojects:\n  - id: demo\n    name: @demo\n');
    expect(positions(loaded.diagnostics)).toEqual([`TNG002 ${ROOT}:4:11`]);
    expect(loaded.config).toBeUndefined();
  });

  it('TNG002 rejects a tab used as indentation, at the tab', async () => {
    const loaded = await load('version: 1\nprojects:\n  - id: demo\n\tname: x\n');
    expect(positions(loaded.diagnostics)).toEqual([`TNG002 ${ROOT}:4:1`]);
  });

  it('TNG002 rejects an alias to an anchor that does not exist, at the alias', async () => {
    const loaded = await load('version: 1\nprojects: *nowhere\n');
    expect(positions(loaded.diagnostics)).toEqual([`TNG002 ${ROOT}:2:11`]);
  });

  it.each([['"'], ["'"]])('TNG002 points at the opening %s of an unclosed quoted string, not at the end of the file', async (q) => {
    const loaded = await load(`version: 1\nprojects:\n  - id: demo\n    name: ${q}abc\n    description: x\n`);
    expect(positions(loaded.diagnostics)).toEqual([`TNG002 ${ROOT}:4:11`]);
  });

  it('TNG002 in an included file names the fragment', async () => {
    const loaded = await load({ [ROOT]: ROOT_WITH_INCLUDE, 'tools/a.yaml': 'project: demo\ntools: [\n' });
    expect(loaded.diagnostics.map((d) => `${d.code} ${d.file}`)).toEqual(['TNG002 tools/a.yaml']);
  });
});

describe('TNG003 duplicate keys', () => {
  it('TNG003 points at the second occurrence of a key in a block mapping', async () => {
    const loaded = await load(oneToolConfig('        description: Fetch it again.\n'));
    expect(positions(loaded.diagnostics)).toEqual([`TNG003 ${ROOT}:14:9`]);
  });

  it('TNG003 points at the second occurrence of a key in a flow mapping', async () => {
    const loaded = await load(oneToolConfig('        body_template: {a: 1, b: 2, a: 3}\n', { method: 'POST' }));
    expect(positions(loaded.diagnostics)).toEqual([`TNG003 ${ROOT}:14:37`]);
  });

  it('TNG003 in an included file names the fragment and the line there', async () => {
    const loaded = await load({ [ROOT]: ROOT_WITH_INCLUDE, 'tools/a.yaml': 'project: demo\ntools: []\nproject: demo\n' });
    expect(positions(loaded.diagnostics)).toEqual(['TNG003 tools/a.yaml:3:1']);
  });

  it('TNG003 names a quoted duplicated key by its value', async () => {
    const loaded = await load('version: 1\n"my key": 1\n"my key": 2\n');
    expect(positions(loaded.diagnostics)).toEqual([`TNG003 ${ROOT}:3:1`]);
    expect(loaded.diagnostics[0]!.message).toBe('duplicate key "my key"');
  });

  it('TNG003 names the whole duplicated key in its message', async () => {
    const loaded = await load(oneToolConfig('        description: Fetch it again.\n'));
    expect(positions(loaded.diagnostics)).toEqual([`TNG003 ${ROOT}:14:9`]);
    // Bug: the message quotes only the first character of the key ("d"), see parse-yaml.ts.
    expect(loaded.diagnostics[0]!.message).toContain('"description"');
  });
});

describe('TNG101 wrong types', () => {
  it('TNG101 rejects a root file that is a list, at 1:1', async () => {
    const loaded = await load('- version: 1\n');
    expect(positions(loaded.diagnostics)).toEqual([`TNG101 ${ROOT}:1:1`]);
  });

  it('TNG101 rejects an included file that is not a mapping, naming the fragment', async () => {
    const loaded = await load({ [ROOT]: ROOT_WITH_INCLUDE, 'tools/a.yaml': '- not\n- a mapping\n' });
    expect(positions(loaded.diagnostics)).toEqual(['TNG101 tools/a.yaml:1:1']);
  });

  it('TNG101 rejects a number where a string belongs, at the value', async () => {
    const loaded = await load('version: 1\nprojects:\n  - id: demo\n    name: 42\n');
    expect(positions(loaded.diagnostics)).toEqual([`TNG101 ${ROOT}:4:11`]);
  });

  it('TNG101 rejects a string where a boolean belongs (YAML 1.2: `yes` is a string), at the value', async () => {
    const loaded = await load(oneToolConfig('        require_member: yes\n'));
    expect(positions(loaded.diagnostics)).toEqual([`TNG101 ${ROOT}:14:25`]);
  });

  it('TNG103 rejects `version: "1"` (a string, not the constant 1), at the value', async () => {
    const loaded = await load('version: "1"\nprojects:\n  - id: demo\n');
    expect(positions(loaded.diagnostics)).toEqual([`TNG103 ${ROOT}:1:10`]);
  });

  // A list field holding a mapping or a scalar must be a TNG101 at the value; the rules must not crash on it.
  it.each([
    ['projects: {}', 'version: 1\nprojects: {}\n', 2, 11],
    ['projects: a string', 'version: 1\nprojects: nope\n', 2, 11],
    ['integrations: {}', 'version: 1\nprojects:\n  - id: demo\n    integrations: {}\n', 4, 19],
    ['api_keys: {}', 'version: 1\nprojects:\n  - id: demo\n    integrations:\n      - id: b\n        kind: api_key\n        api_keys: {}\n', 7, 19],
    ['assertion_keys: {}', 'version: 1\nprojects:\n  - id: demo\n    assertion_keys: {}\n', 4, 21],
    ['scopes: {}', 'version: 1\nprojects:\n  - id: demo\n    scopes: {}\n', 4, 13],
  ])('TNG101 rejects %s without throwing', async (_name, text, line, column) => {
    await writeTree(dir, { [ROOT]: text });
    const loaded = await loadDir(dir).catch((e: Error) => ({ thrown: e.message }));
    expect(loaded).not.toHaveProperty('thrown');
    expect(positions((loaded as Awaited<ReturnType<typeof loadDir>>).diagnostics)).toContain(`TNG101 ${ROOT}:${line}:${column}`);
  });
});

describe('schema messages name what they are about', () => {
  it('TNG103 names the tool and its project instead of a path', async () => {
    const loaded = await load(oneToolConfig('', { method: 'GETT' }));
    expect(loaded.diagnostics.map((d) => d.message)).toEqual(['tool "get_item" (project demo): http_method must be "GET" or "POST" or "PUT" or "PATCH" or "DELETE", not "GETT"']);
  });

  it('TNG103 for a log_arguments redact entry that is not a JSON pointer, with a hint; TNG100 for an unknown key in it', async () => {
    const bad = await load(oneToolConfig('        log_arguments: {redact: [card/number]}\n'));
    expect(bad.diagnostics.map((d) => d.code)).toEqual(['TNG103']);
    expect(bad.diagnostics[0]!.hint).toContain('JSON pointer');
    const unknown = await load(oneToolConfig('        log_arguments: {redact: [], everything: true}\n'));
    expect(unknown.diagnostics.map((d) => d.code)).toEqual(['TNG100']);
    const good = await load(oneToolConfig('        log_arguments: {redact: [/card/number, /a~1b]}\n'));
    expect(good.diagnostics).toEqual([]);
  });

  it('falls back to the path where a tool has no usable name', async () => {
    const loaded = await load(oneToolConfig('', { method: 'GETT' }).replace('name: get_item', 'name: 42'));
    expect(loaded.diagnostics.map((d) => d.message)).toContain('project "demo": tools[0].http_method must be "GET" or "POST" or "PUT" or "PATCH" or "DELETE", not "GETT"');
  });

  it('names the tool of an included fragment with the fragment\'s project', async () => {
    const frag = 'project: demo\ntools:\n  - name: t\n    description: d\n    input_schema: {type: object}\n    base_url: https://api.example.com\n    http_method: GET\n    endpoint_path: /x\n    timout: 5s\n';
    const loaded = await load({ [ROOT]: ROOT_WITH_INCLUDE, 'tools/a.yaml': frag });
    expect(loaded.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual(['TNG100 tool "t" (project demo): unknown field "timout"']);
  });

  it('TNG103 for `version: "1"` explains the quotes instead of suggesting "1"', async () => {
    const loaded = await load('version: "1"\nprojects:\n  - id: demo\n');
    expect(loaded.diagnostics[0]!.hint).not.toContain('did you mean');
    expect(loaded.diagnostics[0]!.hint).toContain('remove the quotes');
  });

  it('an integration without kind is one TNG102, without a TNG103 about an undefined kind', async () => {
    const loaded = await load('version: 1\nprojects:\n  - id: demo\n    integrations:\n      - id: backend\n');
    expect(positions(loaded.diagnostics)).toEqual([`TNG102 ${ROOT}:5:9`]);
    expect(loaded.diagnostics[0]!.message).toBe('integration "backend" (project demo) is missing the required field "kind"');
  });

  it('TNG103 suggests the closest integration kind, TNG101 reports a kind that is not a string', async () => {
    const loaded = await load('version: 1\nprojects:\n  - id: demo\n    integrations:\n      - id: a\n        kind: oauht\n      - id: b\n        kind: 5\n');
    expect(positions(loaded.diagnostics)).toEqual([`TNG103 ${ROOT}:6:15`, `TNG101 ${ROOT}:8:15`]);
    expect(loaded.diagnostics[0]!.hint).toBe('did you mean "oauth"?');
  });

  it('TNG209 names the JSON Schema keyword and value, not the meta-schema\'s internals', async () => {
    const loaded = await load(oneToolConfig().replace('id: { type: string }', 'id: { type: text }'));
    expect(positions(loaded.diagnostics)).toEqual([`TNG209 ${ROOT}:10:25`]);
    expect(loaded.diagnostics[0]!.message).toBe(
      'input_schema at /properties/id: type "text" is not a JSON Schema type (string, number, integer, boolean, object, array, null)',
    );
  });
});

describe('one mistake, one diagnostic (docs/config.md §7: rules skip only the field the schema rejected)', () => {
  it('a field the schema rejects is not reported again by a rule (TNG101, no TNG207 cascade)', async () => {
    const loaded = await load(oneToolConfig('', { endpointPath: '42' }));
    expect(positions(loaded.diagnostics)).toEqual([`TNG101 ${ROOT}:13:24`]);
  });

  it('a schema error in one field does not hide a rule violation in another field of the same tool', async () => {
    // Bug: rules skip the whole tool once any schema error is inside it (context.ts eachTool + isClean), so the
    // plain-http base_url is only reported after the typo is fixed.
    const text = oneToolConfig('        timout: 5s\n').replace('https://api.example.com', 'http://api.example.com');
    const loaded = await load(text);
    expect(positions(loaded.diagnostics)).toEqual([`TNG206 ${ROOT}:11:19`, `TNG100 ${ROOT}:14:9`]);
  });

  it('the same holds for a tool of an included fragment (rejected fields are moved to the merged tool)', async () => {
    const frag = 'project: demo\ntools:\n  - name: t\n    description: d\n    input_schema: {type: object}\n    base_url: http://api.example.com\n    http_method: GET\n    endpoint_path: 42\n    timout: 5s\n';
    const loaded = await load({ [ROOT]: ROOT_WITH_INCLUDE, 'tools/a.yaml': frag });
    expect(positions(loaded.diagnostics)).toEqual(['TNG206 tools/a.yaml:6:15', 'TNG101 tools/a.yaml:8:20', 'TNG100 tools/a.yaml:9:5']);
  });

  it('a placeholder is not reported as undeclared when input_schema itself was rejected', async () => {
    const loaded = await load(oneToolConfig().replace(/input_schema:\n {10}type: object\n {10}properties:\n {12}id: \{ type: string \}/, 'input_schema: [id]'));
    expect(positions(loaded.diagnostics)).toEqual([`TNG101 ${ROOT}:7:23`]);
  });

  it('rules do not crash on a root project whose tools are a mapping while a fragment adds tools to it', async () => {
    const frag = 'project: demo\ntools:\n  - name: t\n    description: d\n    input_schema: {type: object}\n    base_url: https://api.example.com\n    http_method: GET\n    endpoint_path: /x\n';
    const loaded = await load({ [ROOT]: 'version: 1\ninclude: [tools/*.yaml]\nprojects:\n  - id: demo\n    tools: {}\n', 'tools/a.yaml': frag });
    expect(positions(loaded.diagnostics)).toEqual([`TNG101 ${ROOT}:5:12`]);
  });
});

describe('TNG100 unknown fields, with "did you mean"', () => {
  it('TNG100 suggests the tool field a typo was meant to be (plus TNG102 for the field it misses)', async () => {
    const loaded = await load(oneToolConfig().replace('http_method: GET', 'http_metod: GET'));
    expect(positions(loaded.diagnostics)).toEqual([`TNG102 ${ROOT}:5:9`, `TNG100 ${ROOT}:12:9`]);
    const unknown = loaded.diagnostics.find((d) => d.code === 'TNG100')!;
    expect(unknown.hint).toContain('did you mean "http_method"');
  });

  it('TNG100 suggests a top-level field (plus the TNG223 warning: no projects were read)', async () => {
    const loaded = await load('version: 1\nprojets:\n  - id: demo\n');
    expect(positions(loaded.diagnostics)).toEqual([`TNG223 ${ROOT}:1:1`, `TNG100 ${ROOT}:2:1`]);
    expect(loaded.diagnostics.find((d) => d.code === 'TNG100')!.hint).toContain('did you mean "projects"');
  });

  it('TNG100 lists the allowed fields when nothing is close', async () => {
    const loaded = await load('version: 1\nprojects:\n  - id: demo\n    zzzzzzzzzzzz: 1\n');
    expect(positions(loaded.diagnostics)).toEqual([`TNG100 ${ROOT}:4:5`]);
    expect(loaded.diagnostics[0]!.hint).toMatch(/^allowed fields: .*\bintegrations\b/);
  });

  it('TNG103 suggests the closest allowed value of an enumeration', async () => {
    const loaded = await load(oneToolConfig('', { method: 'GTE' }));
    expect(positions(loaded.diagnostics)).toEqual([`TNG103 ${ROOT}:12:22`]);
    expect(loaded.diagnostics[0]!.hint).toContain('did you mean "GET"');
  });
});

describe('TNG007 / TNG008 includes', () => {
  it('TNG007 rejects an include of a file that does not exist, at the include entry', async () => {
    const loaded = await load('version: 1\ninclude:\n  - tools/missing.yaml\nprojects:\n  - id: demo\n');
    expect(positions(loaded.diagnostics)).toEqual([`TNG007 ${ROOT}:3:5`]);
  });

  it('TNG007 for an include naming a directory says so, with a glob for its files as the hint', async () => {
    const loaded = await load({ [ROOT]: 'version: 1\ninclude:\n  - tools/\nprojects:\n  - id: demo\n', 'tools/a.yaml': 'project: demo\ntools: []\n' });
    expect(positions(loaded.diagnostics)).toEqual([`TNG007 ${ROOT}:3:5`]);
    expect(loaded.diagnostics[0]).toMatchObject({ message: 'include "tools/" is a directory, not a file', hint: 'include its files with a glob, e.g. tools/*.yaml' });
  });

  it('TNG007 rejects a glob include that matches no file', async () => {
    const loaded = await load({ [ROOT]: ROOT_WITH_INCLUDE, 'tools/readme.md': 'not yaml\n' });
    expect(positions(loaded.diagnostics)).toEqual([`TNG007 ${ROOT}:3:5`]);
    expect(loaded.diagnostics[0]!.message).toContain('matches no file');
  });

  it('TNG008 rejects an include with a ../ segment, at the include entry', async () => {
    const loaded = await load('version: 1\ninclude:\n  - tools/../../outside.yaml\nprojects:\n  - id: demo\n');
    expect(positions(loaded.diagnostics)).toEqual([`TNG008 ${ROOT}:3:5`]);
  });

  it('TNG008 rejects an absolute include path', async () => {
    const loaded = await load('version: 1\ninclude:\n  - /etc/hosts\nprojects:\n  - id: demo\n');
    expect(positions(loaded.diagnostics)).toEqual([`TNG008 ${ROOT}:3:5`]);
  });

  it('TNG008 rejects an include that matches the root file itself', async () => {
    const loaded = await load('version: 1\ninclude:\n  - "*.yaml"\nprojects:\n  - id: demo\n');
    expect(positions(loaded.diagnostics)).toEqual([`TNG008 ${ROOT}:3:5`]);
  });

  it('TNG008 names the config directory relative to the working directory it was given (not the process cwd)', async () => {
    const loaded = await load('version: 1\ninclude:\n  - ../outside.yaml\nprojects:\n  - id: demo\n');
    expect(positions(loaded.diagnostics)).toEqual([`TNG008 ${ROOT}:3:5`]);
    // cwd is the config directory, so the directory is "."; the loader uses process.cwd() instead (load-config.ts).
    expect(loaded.diagnostics[0]!.message).toBe('include "../outside.yaml" must be a relative path inside .');
  });
});

describe('TNG214 secrets written in plaintext', () => {
  it('TNG214 rejects a plaintext value in encrypted_auth_secret, at the value', async () => {
    const loaded = await load(oneToolConfig('        auth_strategy: static_bearer\n        encrypted_auth_secret: sk_live_0123456789abcdef\n'));
    expect(positions(loaded.diagnostics)).toEqual([`TNG214 ${ROOT}:15:32`]);
  });

  it('TNG214 rejects a JWT (three parts) in encrypted_auth_secret: only a compact JWE (five parts) is encrypted', async () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
    const loaded = await load(oneToolConfig(`        auth_strategy: static_bearer\n        encrypted_auth_secret: ${jwt}\n`));
    expect(positions(loaded.diagnostics)).toEqual([`TNG214 ${ROOT}:15:32`]);
  });

  it('TNG214 rejects a plaintext tengine_ API key where its sha256 belongs, once, at the value', async () => {
    const key = 'tengine_' + 'A'.repeat(43);
    const loaded = await load(`version: 1\nprojects:\n  - id: demo\n    integrations:\n      - id: backend\n        kind: api_key\n        api_keys:\n          - sha256: ${key}\n`);
    expect(positions(loaded.diagnostics)).toEqual([`TNG214 ${ROOT}:8:21`]);
  });

  it('TNG214 rejects a Tengine credential in any other field', async () => {
    const leaked = await load(`version: 1\nprojects:\n  - id: demo\n    description: tng_cs_${'b'.repeat(30)}\n`);
    expect(positions(leaked.diagnostics)).toEqual([`TNG214 ${ROOT}:4:18`]);
  });

  it('TNG214 finds a Tengine credential anywhere in a string, not only at its start', async () => {
    const leaked = await load(`version: 1\nprojects:\n  - id: demo\n    description: "call it with tengine_${'A'.repeat(43)} please"\n`);
    expect(positions(leaked.diagnostics)).toEqual([`TNG214 ${ROOT}:4:18`]);
  });

  it('TNG214 does not fire for a word that merely contains the prefix', async () => {
    const loaded = await load(`version: 1\nprojects:\n  - id: demo\n    description: mytengine_${'a'.repeat(30)}\n`);
    expect(loaded.diagnostics).toEqual([]);
  });

  it('TNG214 rejects a literal Authorization header, at the header value', async () => {
    const loaded = await load(oneToolConfig('        headers_template:\n          Authorization: Bearer sk_live_0123456789\n'));
    expect(positions(loaded.diagnostics)).toEqual([`TNG214 ${ROOT}:15:26`]);
  });

  it('TNG214 rejects a field named like a secret, at its key', async () => {
    const loaded = await load(oneToolConfig('        api_key: sk_live_0123456789\n'));
    expect(positions(loaded.diagnostics)).toEqual([`TNG214 ${ROOT}:14:9`]);
  });

  it('TNG214 rejects user:password@ in base_url', async () => {
    const loaded = await load(oneToolConfig().replace('https://api.example.com', 'https://u:p@api.example.com'));
    expect(positions(loaded.diagnostics)).toEqual([`TNG214 ${ROOT}:11:19`]);
  });
});

describe('TNG006 prototype-polluting keys', () => {
  afterEach(() => {
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['__proto__ (block)', 'version: 1\nprojects:\n  - id: demo\n    __proto__:\n      polluted: true\n', 4, 5],
    ['"__proto__" (quoted, flow)', 'version: 1\nprojects:\n  - {id: demo, "__proto__": {polluted: true}}\n', 3, 16],
    ['constructor', 'version: 1\nprojects:\n  - id: demo\n    constructor: {prototype: {polluted: true}}\n', 4, 5],
    ['prototype', 'version: 1\nprojects:\n  - id: demo\n    prototype: {polluted: true}\n', 4, 5],
  ])('TNG006 rejects the key %s, at the key, and Object.prototype stays clean', async (_name, text, line, column) => {
    const loaded = await load(text);
    expect(positions(loaded.diagnostics)).toEqual([`TNG006 ${ROOT}:${line}:${column}`]);
  });

  it('TNG006 rejects __proto__ inside a free-form body_template of an included fragment', async () => {
    const frag = 'project: demo\ntools:\n  - name: t\n    description: d\n    input_schema: {type: object}\n    base_url: https://api.example.com\n    http_method: POST\n    endpoint_path: /x\n    body_template:\n      __proto__: {polluted: true}\n';
    const loaded = await load({ [ROOT]: ROOT_WITH_INCLUDE, 'tools/a.yaml': frag });
    expect(positions(loaded.diagnostics)).toEqual(['TNG006 tools/a.yaml:10:7']);
  });
});

describe('file-level limits', () => {
  it('TNG004 rejects a 10 MB file at 1:1 without reading it into the parser', async () => {
    const big = Buffer.alloc(10 * 1024 * 1024, '#'.charCodeAt(0));
    Buffer.from('version: 1\n').copy(big);
    const started = Date.now();
    const loaded = await load({ [ROOT]: big });
    expect(positions(loaded.diagnostics)).toEqual([`TNG004 ${ROOT}:1:1`]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('TNG005 rejects random bytes that contain a NUL', async () => {
    const bytes = randomBytes(4096);
    bytes[100] = 0;
    const loaded = await load({ [ROOT]: bytes });
    expect(positions(loaded.diagnostics)).toEqual([`TNG005 ${ROOT}:1:1`]);
  });

  it.each([
    ['a lone continuation byte', [0x80]],
    ['a truncated two-byte sequence', [0xc3, 0x28]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['an encoded UTF-16 surrogate', [0xed, 0xa0, 0x80]],
    ['the byte 0xFF', [0xff]],
  ])('TNG005 rejects invalid UTF-8 without a NUL byte (%s)', async (_name, bad) => {
    const bytes = Buffer.concat([Buffer.from('version: 1\nprojects:\n  - id: demo\n    name: "'), Buffer.from(bad), Buffer.from('"\n')]);
    expect(bytes.includes(0)).toBe(false);
    const loaded = await load({ [ROOT]: bytes });
    expect(positions(loaded.diagnostics)).toEqual([`TNG005 ${ROOT}:1:1`]);
  });

  it.each([
    ['an empty file', ''],
    ['only whitespace', '\n\n   \n'],
    ['only comments', '# nothing here\n# yet\n'],
  ])('TNG013 rejects %s, at 1:1', async (_name, text) => {
    const loaded = await load(text);
    expect(positions(loaded.diagnostics)).toEqual([`TNG013 ${ROOT}:1:1`]);
  });

  it('TNG011 rejects a second YAML document, at its start', async () => {
    const loaded = await load('version: 1\nprojects:\n  - id: demo\n---\nversion: 1\n');
    expect(positions(loaded.diagnostics)).toEqual([`TNG011 ${ROOT}:4:1`]);
  });

  it('TNG011 also counts a document after an explicit first `---`', async () => {
    const loaded = await load('---\nversion: 1\n...\n---\nversion: 1\n');
    expect(loaded.diagnostics.map((d) => d.code)).toEqual(['TNG011']);
    expect(loaded.diagnostics[0]!.line).toBe(4);
  });
});

/** A "billion laughs" document: `levels` levels of `width` aliases each. */
function aliasBomb(levels: number, width: number): string {
  let text = 'version: 1\nx0: &x0 [lol]\n';
  for (let i = 1; i <= levels; i++) text += `x${i}: &x${i} [${Array.from({ length: width }, () => `*x${i - 1}`).join(', ')}]\n`;
  return text;
}

describe('TNG012 YAML alias expansion', () => {
  it('TNG012 rejects a billion-laughs document quickly, with one diagnostic', async () => {
    const started = Date.now();
    const loaded = await load(aliasBomb(9, 10));
    expect(loaded.diagnostics.map((d) => d.code)).toEqual(['TNG012']);
    expect(loaded.diagnostics[0]!.file).toBe(ROOT);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('TNG012: the fast path and the precise parser apply the same alias budget (about 110,000 expanded values)', () => {
    // Bug: parseConfigFile's fast path only falls back past 2,000,000 nodes, the precise parser stops at 100,000
    // alias-expanded nodes, so whether this file is valid depends on which parser reads it.
    const text = aliasBomb(5, 10);
    const precise = parseYaml(text, ROOT);
    expect(precise.diagnostics.map((d) => d.code)).toEqual(['TNG012']);
    expect(parseConfigFile(text, ROOT).diagnostics.map((d) => d.code)).toEqual(['TNG012']);
  });

  // Issue 8 re-run, F7: the value budget let one 3 MB string aliased 300 times through (900 MB once expanded);
  // `tengine build` ran 116 s and ended in TNG_INTERNAL "Invalid string length". Aliases now add at most
  // MAX_ALIAS_BYTES of text (UTF-8 bytes of the strings and keys they copy).
  /** A tool whose description is anchored and whose body template aliases it `aliases` times. */
  const bytesBomb = (anchored: string, aliases: number, extra = '') =>
    `${oneToolConfig('        body_template:\n', { method: 'POST' }).replace('description: Fetch one item.', `description: &big "${anchored}"`)}${Array.from({ length: aliases }, (_, i) => `          k${i}: *big\n`).join('')}${extra}`;

  it('TNG012 refuses the re-run\'s 3 MB string aliased 300 times at the alias that crosses 4 MiB, on both parse paths', () => {
    const text = bytesBomb('x'.repeat(3_000_000), 300);
    for (const parsed of [parseYaml(text, ROOT), parseConfigFile(text, ROOT)]) {
      expect(positions(parsed.diagnostics)).toEqual([`TNG012 ${ROOT}:16:15`]);
      expect(parsed.diagnostics[0]!.message).toBe(`YAML aliases expand to more than ${MAX_ALIAS_BYTES} bytes of text; *big crosses the limit`);
    }
    // Expansion stops at the limit: the data holds the anchor, one copy, and nulls.
    const body = (parseYaml(text, ROOT).data as { projects: { tools: { body_template: Record<string, unknown> }[] }[] }).projects[0]!.tools[0]!.body_template;
    expect(Object.values(body).filter((v) => typeof v === 'string')).toHaveLength(1);
  });

  it(`TNG012 counts UTF-8 bytes: aliases adding exactly ${MAX_ALIAS_BYTES} bytes pass, one byte more does not`, () => {
    const mib = 'é'.repeat(512 * 1024); // 1 MiB of UTF-8 in half as many characters
    expect(parseYaml(bytesBomb(mib, 4), ROOT).diagnostics).toEqual([]);
    expect(positions(parseYaml(bytesBomb(mib, 4, '          last: *one\n').replace('http_method: POST', 'http_method: &one P'), ROOT).diagnostics)).toEqual([`TNG012 ${ROOT}:19:17`]);
  });

  it('TNG012 counts the keys an alias copies too', () => {
    const text = `version: 1\nx: &m { "${'k'.repeat(3_000_000)}": 1 }\ny: *m\nz: *m\n`;
    expect(positions(parseYaml(text, ROOT).diagnostics)).toEqual([`TNG012 ${ROOT}:4:4`]);
  });
});

describe('environment references (TNG009 / TNG010)', () => {
  // Every name read here is listed in env_allowlist (line 2), so the line of `name:` is 5.
  const ALLOW = 'env_allowlist: [DEMO_NAME, REGION, ORIGIN, DEMO_ORIGIN]\n';
  const withName = (value: string) => `version: 1\n${ALLOW}projects:\n  - id: demo\n    name: ${value}\n`;

  it('TNG009 rejects a reference to an unset variable, at the value', async () => {
    const loaded = await load(withName('"${env:DEMO_NAME}"'));
    expect(positions(loaded.diagnostics)).toEqual([`TNG009 ${ROOT}:5:11`]);
  });

  it('TNG009 treats an empty variable as unset', async () => {
    const loaded = await load(withName('"${env:DEMO_NAME}"'), { DEMO_NAME: '' });
    expect(positions(loaded.diagnostics)).toEqual([`TNG009 ${ROOT}:5:11`]);
  });

  it('TNG009 in an included fragment names the fragment', async () => {
    const frag = 'project: demo\ntools:\n  - name: t\n    description: d\n    input_schema: {type: object}\n    base_url: ${env:DEMO_ORIGIN}\n    http_method: GET\n    endpoint_path: /x\n';
    const loaded = await load({ [ROOT]: ROOT_WITH_INCLUDE.replace('version: 1\n', `version: 1\n${ALLOW}`), 'tools/a.yaml': frag });
    expect(positions(loaded.diagnostics)).toEqual(['TNG009 tools/a.yaml:6:15']);
  });

  it('an unresolved reference is reported once: not again as a bad base_url or template by the rules after it', async () => {
    const loaded = await load(oneToolConfig('        headers_template: { X-Region: "${env:REGION}" }\n').replace('https://api.example.com', '"${env:ORIGIN}"').replace('version: 1\n', `version: 1\n${ALLOW}`));
    expect(positions(loaded.diagnostics)).toEqual([`TNG009 ${ROOT}:12:19`, `TNG009 ${ROOT}:15:39`]);
  });

  it.each([['${DEMO_NAME}'], ['${env:}'], ['${env:1ABC}'], ['${env:A-B}'], ['${secret:X}'], ['x ${env:A B} y'], ['${env:DEMO_NAME'], ['x ${env:A'], ['${']])(
    'TNG010 rejects the malformed reference %s, at the value',
    async (ref) => {
      const loaded = await load(withName(JSON.stringify(ref)));
      expect(positions(loaded.diagnostics)).toEqual([`TNG010 ${ROOT}:5:11`]);
    },
  );

  it('resolves ${env:NAME} from the environment, also inside a longer string', async () => {
    const loaded = await load(withName('"Demo ${env:DEMO_NAME} (${env:REGION})"'), { DEMO_NAME: 'Notes', REGION: 'eu' });
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.config?.projects?.[0]?.name).toBe('Demo Notes (eu)');
  });

  it('uses the default of ${env:NAME:-default} when the variable is unset or empty, and the value when set', async () => {
    const text = withName('"${env:DEMO_NAME:-https://x.example.com/a:b}"');
    expect((await load(text)).config?.projects?.[0]?.name).toBe('https://x.example.com/a:b');
    expect((await load(text, { DEMO_NAME: '' })).config?.projects?.[0]?.name).toBe('https://x.example.com/a:b');
    expect((await load(text, { DEMO_NAME: 'set' })).config?.projects?.[0]?.name).toBe('set');
  });

  it('$${ is a literal ${ and is not resolved', async () => {
    const loaded = await load(withName('"cost: $${env:PRICE}"'));
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.config?.projects?.[0]?.name).toBe('cost: ${env:PRICE}');
  });

  it('a resolved reference is checked like a literal value (base_url rules on the resolved text)', async () => {
    const loaded = await load(oneToolConfig().replace('https://api.example.com', '"${env:ORIGIN}"').replace('version: 1\n', `version: 1\n${ALLOW}`), { ORIGIN: 'http://api.example.com' });
    expect(positions(loaded.diagnostics)).toEqual([`TNG206 ${ROOT}:12:19`]);
  });
});

describe('numbers that are not JSON', () => {
  it.each([['.inf'], ['-.inf'], ['.NaN'], ['1e400']])('TNG101 rejects %s, at the value', async (n) => {
    const loaded = await load(oneToolConfig(`        max_response_bytes: ${n}\n`));
    expect(positions(loaded.diagnostics)).toEqual([`TNG101 ${ROOT}:14:29`]);
  });

  it('TNG101 rejects an integer too large for JSON (docs/config.md §7.2) instead of rounding it', async () => {
    // Bug: 12345678901234567890 silently becomes 12345678901234567000 in the bundle.
    const loaded = await load(oneToolConfig('        body_template: {n: 12345678901234567890}\n', { method: 'POST' }));
    expect(positions(loaded.diagnostics)).toEqual([`TNG101 ${ROOT}:14:28`]);
  });
});

describe('integers beyond 2^53 - 1 (TNG101), in both parsers', () => {
  it.each([
    ['9007199254740992', 4],
    ['-9007199254740993', 4],
    ['0x20000000000000', 4],
    ['0o400000000000000000', 4],
    ['!!int "12345678901234567890"', 10],
  ])('TNG101 rejects %s, at the value', (n, column) => {
    const text = `a: 1\nb: ${n}\n`;
    expect(positions(parseConfigFile(text, ROOT).diagnostics)).toEqual([`TNG101 ${ROOT}:2:${column}`]);
    expect(positions(parseYaml(text, ROOT).diagnostics)).toEqual([`TNG101 ${ROOT}:2:${column}`]);
  });

  it('accepts the largest safe integers exactly', () => {
    expectSameData('a: 9007199254740991\nb: -9007199254740991\nc: 0x1FFFFFFFFFFFFF\n');
  });

  it('12345678901234567890.0 is a float, and stays one', () => {
    expectSameData('a: 12345678901234567890.0\n');
  });
});

describe('YAML the parsers must not accept silently', () => {
  it('TNG002 rejects an unknown tag (docs/config.md §7.1), at the tag', async () => {
    // Bug: `!foo` is dropped with a warning and the value becomes the plain string "bar".
    const loaded = await load(oneToolConfig('        body_template: {x: !foo bar}\n', { method: 'POST' }));
    expect(positions(loaded.diagnostics)).toEqual([`TNG002 ${ROOT}:14:28`]);
  });

  it.each([
    ['a flow sequence as key', '        body_template:\n          ? [a, b]\n          : x\n', 15, 13],
    ['a flow mapping as key', '        body_template:\n          {a: 1}: x\n', 15, 11],
    ['an alias as key', '        body_template:\n          k: &k key\n          *k : v\n', 16, 11],
  ])('TNG002 rejects %s (mapping keys must be plain scalars), whichever parser reads the file', async (_name, extra, line, column) => {
    // Bug: the js-yaml fast path accepts these keys ("a,b", "[object Object]", "key"); only the precise parser,
    // which the fast path bypasses, reports them.
    const loaded = await load(oneToolConfig(extra, { method: 'POST' }));
    expect(positions(loaded.diagnostics)).toEqual([`TNG002 ${ROOT}:${line}:${column}`]);
  });
});

describe('YAML tags and directives (docs/config.md §1.5)', () => {
  it.each([
    ['!!float 1', 'an int written as a float (the yaml library would keep the string "1")'],
    ['!!int 1.5', 'a float written as an int'],
    ['!!bool yes', 'a YAML 1.1 boolean'],
    ['!!null x', 'a string written as null'],
    ['!!map [1]', 'a list written as a mapping'],
    ['!!binary aGk=', 'a tag outside the core schema'],
    ['!!timestamp 2024-01-01', 'a tag outside the core schema'],
    ['!!set {a: null}', 'a tag outside the core schema'],
    ['!!merge x', 'a tag outside the core schema'],
    ['! x', 'the non-specific tag'],
    ['!<tag:example.com,2024:x> y', 'a verbatim tag'],
    ['!local y', 'a local tag'],
  ])('TNG002 rejects `%s` (%s), at the tag, in both parsers', (value) => {
    const text = `a: 1\nb: ${value}\n`;
    expect(positions(parseConfigFile(text, ROOT).diagnostics)).toEqual([`TNG002 ${ROOT}:2:4`]);
    expect(positions(parseYaml(text, ROOT).diagnostics)).toEqual([`TNG002 ${ROOT}:2:4`]);
  });

  it('TNG002 rejects a tag on a mapping key', () => {
    expect(positions(parseConfigFile('!foo a: 1\n', ROOT).diagnostics)).toEqual([`TNG002 ${ROOT}:1:1`]);
  });

  it('accepts the core tags where they apply, with the same data in both parsers', () => {
    expectSameData('a: !!str 12\nb: !!int "12"\nc: !!float 1.5\nd: !!bool true\ne: !!null ~\nf: !!map {x: 1}\ng: !!seq [1]\nh: !<tag:yaml.org,2002:str> x\ni: !!float "1e3"\n');
    expectSameData('%TAG !e! tag:yaml.org,2002:\n---\na: !e!str 12\n');
  });

  it('TNG002 rejects a %YAML directive other than 1.2, at the directive, in both parsers', () => {
    for (const v of ['1.1', '1.0', '1.3']) {
      const text = `%YAML ${v}\n---\na: yes\n`;
      expect(positions(parseConfigFile(text, ROOT).diagnostics)).toEqual([`TNG002 ${ROOT}:1:1`]);
      expect(positions(parseYaml(text, ROOT).diagnostics)).toEqual([`TNG002 ${ROOT}:1:1`]);
    }
  });

  it('accepts %YAML 1.2', () => {
    expectSameData('%YAML 1.2\n---\na: yes\nb: 012\n');
  });
});

describe('aliases the precise parser rejects', () => {
  it('TNG002 rejects an alias inside the node it refers to, at the alias', () => {
    expect(positions(parseConfigFile('a: &x [1, *x]\n', ROOT).diagnostics)).toEqual([`TNG002 ${ROOT}:1:11`]);
  });

  it('an alias refers to the latest anchor before it, not to a later one with the same name', () => {
    const text = 'a: &x [1]\nb: &y [*x]\nc: &x [2]\nd: *y\n';
    expect(parseConfigFile(text, ROOT).data).toEqual({ a: [1], b: [[1]], c: [2], d: [[1]] });
  });

  it('TNG012 points at the alias whose expansion went over the budget', () => {
    const loaded = parseConfigFile(aliasBomb(5, 10), ROOT);
    // Level 5 is line 7: its second *x4 (column 15) takes the expanded values past 100,000.
    expect(positions(loaded.diagnostics)).toEqual([`TNG012 ${ROOT}:7:15`]);
  });
});

describe('TNG014 deep nesting (200 levels of mappings and lists)', () => {
  // Checked on the CST before anything recursive runs, so the result no longer depends on the stack size: one
  // diagnostic, at the first collection past the limit, every time.
  it.each([
    // The tool mapping is level 5, so the 196th `[` (column 24 + 195) is level 201.
    ['5000 nested flow lists in body_template', oneToolConfig(`        body_template: ${'['.repeat(5000)}${']'.repeat(5000)}\n`, { method: 'POST' }), 14, 219],
    ['5000 nested block sequences', `version: 1\nprojects:\n  - id: demo\n    description:\n      ${'- '.repeat(5000)}x\n`, 5, 401],
    ['5000 nested flow mappings', oneToolConfig(`        body_template: ${'{a: '.repeat(5000)}1${'}'.repeat(5000)}\n`, { method: 'POST' }), 14, 804],
  ])('TNG014 rejects %s with one stable diagnostic, not a crash', async (_name, text, line, column) => {
    for (let i = 0; i < 2; i++) {
      const loaded = await load(text);
      expect(positions(loaded.diagnostics)).toEqual([`TNG014 ${ROOT}:${line}:${column}`]);
      expect(loaded.config).toBeUndefined();
    }
  });

  it('accepts exactly 200 levels and rejects 201, in both parsers', () => {
    const nested = (levels: number) => `a: ${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}\n`;
    expect(parseConfigFile(nested(200), ROOT).diagnostics).toEqual([]);
    expect(parseYaml(nested(200), ROOT).diagnostics).toEqual([]);
    expect(positions(parseConfigFile(nested(201), ROOT).diagnostics)).toEqual([`TNG014 ${ROOT}:1:203`]);
    expect(positions(parseYaml(nested(201), ROOT).diagnostics)).toEqual([`TNG014 ${ROOT}:1:203`]);
  });

  it('TNG014 counts the depth an alias expands to, at the alias', () => {
    const text = `x: &x ${'['.repeat(150)}${']'.repeat(150)}\ny: ${'['.repeat(100)}*x${']'.repeat(100)}\n`;
    expect(positions(parseConfigFile(text, ROOT).diagnostics)).toEqual([`TNG014 ${ROOT}:2:104`]);
  });

  it('TNG014 rejects a 4 MiB file of open brackets quickly', () => {
    const started = Date.now();
    const loaded = parseConfigFile(`a: ${'['.repeat(4 * 1024 * 1024 - 10)}`, ROOT);
    expect(positions(loaded.diagnostics)).toEqual([`TNG014 ${ROOT}:1:203`]);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The fast path (js-yaml with YAML 1.2 core resolution) and the precise parser (yaml) must give identical data.

/** Scalars whose resolution differs between YAML 1.1, YAML 1.2 core and naive parsers; all valid in flow context. */
const TRICKY_SCALARS = [
  '0x1F', '0o17', '0b11', '1_000', '012', '00', 'yes', 'no', 'on', 'off', 'y', '~', 'null', 'Null', 'NULL', 'true', 'True',
  'TRUE', 'tRue', 'false', 'FALSE', '.5', '-.5', '+.5', '1.', '-1.', '1e3', '1E3', '1e+3', '1.5e-3', '.e3', '1e3e', '-1', '+12',
  '0', '-0', '-0.0', '0.0', '1.0', '-0x1F', '0X1F', '0o8', '0x', '0o', '"12"', "'0x1F'", '"true"', '"~"', '""', "''",
  '"a\\tb"', '"\\u263A \\x41 \\N \\_"', "'it''s'", 'plain text', 'a#b', '"#not a comment"', '2024-01-01',
  '2024-01-01 10:00:00', '!!str 12', '!!str true', '!!int "12"', '[]', '{}', '<<', '=', '-x', '.inf_not', '.Inf.',
] as const;
/** Valid only outside flow collections. */
const BLOCK_ONLY_SCALARS = ['2024-01-01T10:00:00Z', 'x:y', 'http://example.com/a?b=c#d', 'a,b', 'a]b', 'x{y}'] as const;
const KEYS = ['a', 'b', 'c', 'key', '"quoted key"', "'single'", '1', '0x10', 'true', '<<', 'x-y', 'snake_case'] as const;
const BLOCK_HEADERS = ['|', '|-', '|+', '>', '>-', '>+', '|2'] as const;

function expectSameData(text: string): void {
  const viaLoader = parseConfigFile(text, 'f.yaml');
  const precise = parseYaml(text, 'f.yaml');
  const reference = parse(text, { version: '1.2' }) as unknown;
  expect(viaLoader.diagnostics).toEqual([]);
  expect(precise.diagnostics).toEqual([]);
  expect(viaLoader.data).toEqual(reference);
  expect(precise.data).toEqual(reference);
}

/** Both parsers of the loader agree: the same codes, and when clean the same data. */
function expectParsersAgree(text: string): void {
  const viaLoader = parseConfigFile(text, 'f.yaml');
  const precise = parseYaml(text, 'f.yaml');
  expect(viaLoader.diagnostics.map((d) => d.code)).toEqual(precise.diagnostics.map((d) => d.code));
  if (precise.diagnostics.length === 0) expect(viaLoader.data).toEqual(precise.data);
}

describe('fast path and precise parser give identical data (YAML 1.2 core)', () => {
  it.each(TRICKY_SCALARS.map((s) => [s]))('scalar %s resolves the same in block and flow context', (s) => {
    expectSameData(`block: ${s}\nflow_seq: [${s}]\nflow_map: {k: ${s}}\nlist:\n  - ${s}\n`);
  });

  it.each(BLOCK_ONLY_SCALARS.map((s) => [s]))('block scalar %s resolves the same', (s) => {
    expectSameData(`block: ${s}\nlist:\n  - ${s}\n`);
  });

  it('anchors and aliases (on maps, lists and scalars), and `<<` as a plain key (no merge in YAML 1.2)', () => {
    expectSameData('base: &b {x: 1, y: [a, b]}\nlist: &l [1, 2]\ns: &s text\nuse: [*b, *l, *s]\nm:\n  <<: *b\n  z: *s\n');
  });

  it('block scalars: literal, folded, chomping and indentation indicators', () => {
    expectSameData('a: |\n  l1\n   l2\n\n  l3\nb: >\n  f1\n  f2\n\n  f3\n    more\nc: |-\n  x\nd: >+\n  y\n\ne: |2\n    indented\nf: >-\n  z\n');
  });

  it('flow maps and nested flow collections, multi-line plain and quoted scalars', () => {
    expectSameData('f: {a: [1, {b: c}], "d e": {}, f: [[], [x]]}\ng: a\n  b\n  c\nh: "one\n  two"\ni: \'x\n\n  y\'\n');
  });

  it('-.inf, .inf and .nan are the one deliberate difference: TNG101 instead of a non-JSON number', () => {
    for (const n of ['-.inf', '.inf', '+.INF', '.nan', '.NaN']) {
      const viaLoader = parseConfigFile(`v: ${n}\n`, 'f.yaml');
      expect(positions(viaLoader.diagnostics)).toEqual(['TNG101 f.yaml:1:4']);
    }
  });

  it('a null key is "null" in both loader parsers (yaml.parse would give ""): they agree with each other', () => {
    for (const text of ['~: x\n', 'null: x\n', ': x\n']) {
      expect(parseConfigFile(text, 'f.yaml').data).toEqual({ null: 'x' });
      expect(parseYaml(text, 'f.yaml').data).toEqual({ null: 'x' });
    }
  });

  it('property: random documents built from tricky scalars, anchors, block scalars and flow collections', () => {
    type Node =
      | { kind: 'scalar'; text: string; flowSafe: boolean }
      | { kind: 'block'; header: string; lines: string[] }
      | { kind: 'alias' }
      | { kind: 'map'; flow: boolean; entries: [string, Node][] }
      | { kind: 'seq'; flow: boolean; items: Node[] };

    const scalar = fc.oneof(
      fc.constantFrom(...TRICKY_SCALARS).map((text): Node => ({ kind: 'scalar', text, flowSafe: true })),
      fc.constantFrom(...BLOCK_ONLY_SCALARS).map((text): Node => ({ kind: 'scalar', text, flowSafe: false })),
    );
    const block = fc
      .record({
        header: fc.constantFrom(...BLOCK_HEADERS),
        lines: fc.array(fc.constantFrom('word', 'two words', '', '  indented more', 'x: y', '# not a comment'), { minLength: 1, maxLength: 4 }),
      })
      // A first line that is empty or more indented would change the detected indentation: keep it simple.
      .map(({ header, lines }): Node => ({ kind: 'block', header, lines: ['first', ...lines] }));
    const { node } = fc.letrec<{ node: Node; map: Node; seq: Node }>((tie) => ({
      node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, block, fc.constant<Node>({ kind: 'alias' }), tie('map'), tie('seq')),
      map: fc
        .record({
          flow: fc.boolean(),
          entries: fc.uniqueArray(fc.tuple(fc.constantFrom(...KEYS), tie('node')), { minLength: 1, maxLength: 4, selector: ([k]) => k }),
        })
        .map(({ flow, entries }): Node => ({ kind: 'map', flow, entries })),
      seq: fc
        .record({ flow: fc.boolean(), items: fc.array(tie('node'), { minLength: 1, maxLength: 4 }) })
        .map(({ flow, items }): Node => ({ kind: 'seq', flow, items })),
    }));

    // The anchored value holds no alias (an alias inside its own anchor would not resolve).
    const anchored = fc.oneof(
      scalar,
      fc.array(scalar, { minLength: 1, maxLength: 3 }).map((items): Node => ({ kind: 'seq', flow: true, items })),
      fc
        .uniqueArray(fc.tuple(fc.constantFrom(...KEYS), scalar), { minLength: 1, maxLength: 3, selector: ([k]) => k })
        .map((entries): Node => ({ kind: 'map', flow: true, entries })),
    );

    const flow = (n: Node): string => {
      switch (n.kind) {
        case 'scalar':
          return n.flowSafe ? n.text : JSON.stringify(n.text);
        case 'block':
          return JSON.stringify(n.lines.join('\n'));
        case 'alias':
          return '*anchor';
        case 'map':
          return `{${n.entries.map(([k, v]) => `${k}: ${flow(v)}`).join(', ')}}`;
        case 'seq':
          return `[${n.items.map(flow).join(', ')}]`;
      }
    };
    const blockLines = (n: Node, indent: number): string[] => {
      const pad = ' '.repeat(indent);
      const entry = (prefix: string, v: Node): string[] => {
        if (v.kind === 'block') return [`${prefix} ${v.header}`, ...v.lines.map((l) => (l ? `${pad}  ${l}` : ''))];
        if ((v.kind === 'map' || v.kind === 'seq') && !v.flow) return [prefix, ...blockLines(v, indent + 2)];
        return [`${prefix} ${v.kind === 'scalar' ? v.text : flow(v)}`];
      };
      if (n.kind === 'map') return n.entries.flatMap(([k, v]) => entry(`${pad}${k}:`, v));
      if (n.kind === 'seq') return n.items.flatMap((v) => entry(`${pad}-`, v));
      return [`${pad}${flow(n)}`];
    };

    fc.assert(
      fc.property(anchored, fc.uniqueArray(fc.tuple(fc.constantFrom(...KEYS), node), { minLength: 1, maxLength: 5, selector: ([k]) => k }), (anchorValue, entries) => {
        // The anchored value comes first, so every `*anchor` below refers back to it.
        const text = [`anchor_source: &anchor ${flow(anchorValue)}`, ...blockLines({ kind: 'map', flow: false, entries }, 0), ''].join('\n');
        expectSameData(text);
      }),
      { numRuns: 200, seed: 20250101 },
    );
  });
});

describe('fast path and precise parser agree on what they reject', () => {
  it('a %YAML 1.1 directive does not switch either parser to YAML 1.1 (yes, 012, 0b11, <<)', () => {
    // Bug: parse-yaml.ts passes `version: '1.2'`, which a %YAML 1.1 directive overrides, so the precise parser
    // reads `yes` as true, 012 as 10 and merges `<<` while the fast path keeps YAML 1.2 core.
    expectParsersAgree('%YAML 1.1\n---\na: yes\nb: 012\nc: 0b11\nbase: &b {x: 1}\nm:\n  <<: *b\n');
  });

  it('property: tags, complex keys, big integers and references are judged the same by both parsers', () => {
    const values = [
      '!!str 12', '!!int 12', '!!int "12"', '!!float 1', '!!float 1.5', '!!bool true', '!!bool yes', '!!null ~', '!!null x', '!foo x',
      '! x', '!!binary aGk=', '12345678901234567890', '9007199254740991', '-0', '[a, b]', '{a: 1}', '!!seq [1]', '!!map [1]', '!!str [1]',
      '"${env:X"', '"${env:X}"', 'plain', '.inf', '[[[]]]',
    ];
    const keys = ['a', '"b"', '? [x, y]', '[p]', '{q: 1}', '!!str k', '!foo k', '1', '~', '? z'];
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(fc.constantFrom(...keys), fc.constantFrom(...values)), { minLength: 1, maxLength: 4, selector: ([k]) => k }), (entries) => {
        expectParsersAgree(entries.map(([k, v]) => (k.startsWith('? ') ? `${k}\n: ${v}` : `${k}: ${v}`)).join('\n') + '\n');
      }),
      { numRuns: 300, seed: 20250102 },
    );
  });

  it('ordinary files keep to the fast path: flow collections as values, core tags, quoted strings, comments', () => {
    const text = 'a: [1, {b: c}]\nd: {e: [f]}\ng:\n  - [x]\n  - {y: z}\nh: !!str 12\ni: "quoted"  # comment\nj: |\n  block\n';
    const parsed = parseConfigFile(text, ROOT);
    expect(parsed.parser).toBe('fast');
    expect(parsed.data).toEqual(parse(text, { version: '1.2' }));
    expect(parseConfigFile(oneToolConfig('        body_template: {a: [1, 2], b: {c: "{id}"}}\n', { method: 'POST' }), ROOT).parser).toBe('fast');
  });

  it('every code either parser reports is in the table', () => {
    for (const text of ['a: [\n', 'a: 1\na: 2\n', '__proto__: 1\n', 'a: ${env:X}\n', '', '---\na: 1\n---\nb: 2\n']) {
      for (const d of [...parseConfigFile(text, 'f').diagnostics, ...parseYaml(text, 'f').diagnostics]) {
        expect(Object.keys(DIAGNOSTIC_CODES)).toContain(d.code);
      }
    }
  });
});
