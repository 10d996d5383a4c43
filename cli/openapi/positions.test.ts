import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { bigDocument } from '../../test/fixtures/openapi-document.js';
import { parseConfigFile } from '../config/parse-config-file.js';
import { parseYaml } from '../config/parse-yaml.js';
import { PointerPositions } from './positions.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));

function documents(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return documents(p);
    return /\.(ya?ml|json)$/.test(name) && name !== 'tengine.config.yaml' ? [p] : [];
  });
}

/** Every pointer of the whole-document map, plus pointers under leaves and missing keys, looked up one at a time. */
function expectSameAsWholeMap(text: string): PointerPositions {
  const whole = parseYaml(text, 'doc.yaml');
  const parsed = parseConfigFile(text, 'doc.yaml');
  const positions = new PointerPositions(text, 'doc.yaml', parsed.data, () => whole.map);
  const pointers = [...whole.map.keys()];
  const probes = [...pointers, ...pointers.slice(0, 50).map((p) => `${p}/missing~1key`), '/nope', '/0'];
  for (const p of probes) expect(positions.get(p), p).toEqual(whole.map.get(p));
  return positions;
}

/** Each pointer looked up on a fresh instance: none of them may need the whole-document map. */
function expectNoFallback(text: string): void {
  const whole = parseYaml(text, 'doc.yaml');
  const data = parseConfigFile(text, 'doc.yaml').data;
  for (const p of whole.map.keys()) {
    const positions = new PointerPositions(text, 'doc.yaml', data, () => whole.map);
    expect(positions.get(p), p).toEqual(whole.map.get(p));
    expect(positions.usedFullMap, p).toBe(false);
  }
}

// Block YAML the line scan must read right or hand over: compact lists, quoted and numeric keys, block scalars
// whose lines look like keys, comments at any indentation, flow collections, anchors, CRLF.
const TRICKY = `# leading comment
openapi: 3.0.3
info:
  title: "t: with colon"
  description: |
    paths:
      /fake: {get: {}}
    not: a key
  version: '1'
paths:
  /a/{id}:
    get:
      'quoted key': 1
      "double \\"q\\"": 2
      200: {description: ok}
      0201: numeric
      tags:
      - one
      - two: 2
        three: [3, {x: 1}]
# a comment at column 0 inside the entry
      - - nested
        - list
      x: &anchor {a: 1}
      y: *anchor
      z:
        -   spaced: item
            more: 1
      folded: >
        long
        text
      plain multi: first
        second line
      empty:
      url: http://example.com:8080/x
  /b: {post: {operationId: b, responses: {'200': {description: ok}}}}
components:
  schemas:
    S:
      type: object
`;

describe('positions of a document, pointer by pointer', () => {
  it('every fixture document gives the same position for every pointer as the whole-document map', () => {
    const files = [...documents(path.join(FIXTURES, 'openapi')), ...documents(path.join(FIXTURES, 'invalid')).filter((f) => /TNG3\d\d/.test(f))];
    expect(files.length).toBeGreaterThan(20);
    for (const f of files) expectSameAsWholeMap(readFileSync(f, 'utf8'));
  });

  it('tricky block YAML (compact lists, quoted and numeric keys, block scalars, comments, anchors) and CRLF', () => {
    expectSameAsWholeMap(TRICKY);
    expectSameAsWholeMap(TRICKY.replace(/\n/g, '\r\n'));
    expectSameAsWholeMap(`---\n${TRICKY}`);
    // Without the alias (which a slice cannot resolve alone) no pointer needs the whole map.
    const noAlias = TRICKY.replace(/ +x: &anchor.*\n +y: \*anchor\n/, '');
    expect(noAlias).not.toContain('&anchor');
    expectNoFallback(noAlias);
    expectNoFallback(noAlias.replace(/\n/g, '\r\n'));
    expectSameAsWholeMap(JSON.stringify(JSON.parse(JSON.stringify(parseConfigFile(TRICKY, 'x').data)), null, 2));
  });

  it('a lookup on a large clean document parses only the entry it lies in', () => {
    const text = stringify(bigDocument(2_000));
    let built = false;
    const parsed = parseConfigFile(text, 'big.yaml');
    const positions = new PointerPositions(text, 'big.yaml', parsed.data, () => {
      built = true;
      return parseYaml(text, 'big.yaml').map;
    });
    const asked = ['/paths/~1r999~1items~1{itemId}/put/requestBody', '/paths/~1r7~1items~1{itemId}/get/parameters/0/name', '/components/schemas/Item/properties/name/nullable', '/paths/~1nope', ''];
    const got = asked.map((p) => positions.get(p));
    expect(got[3]).toBeUndefined();
    expect(built).toBe(false);
    expect(positions.usedFullMap).toBe(false);
    const whole = parseYaml(text, 'big.yaml').map;
    expect(got).toEqual(asked.map((p) => whole.get(p)));
  });
});
