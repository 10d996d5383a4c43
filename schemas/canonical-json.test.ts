import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize, canonicalJson } from './canonical-json.js';

describe('canonicalJson (RFC 8785 style)', () => {
  it('sorts keys by UTF-16 code units and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], é: 2, Z: 3 })).toBe('{"Z":3,"a":[true,null,"x"],"b":1,"é":2}');
  });

  it('sorts integer-like keys as strings, not numerically as JS objects iterate them', () => {
    expect(canonicalJson({ '10': 'a', '9': 'b', x: { '2': 1, '1': 2 } })).toBe('{"10":"a","9":"b","x":{"1":2,"2":1}}');
  });

  it('writes numbers in shortest ECMAScript form and omits undefined members', () => {
    expect(canonicalJson({ n: 1e21, f: 0.1, z: -0, u: undefined })).toBe('{"f":0.1,"n":1e+21,"z":0}');
  });

  it('keeps an own "__proto__" member as a member', () => {
    expect(canonicalJson(JSON.parse('{"__proto__":{"a":1},"b":2}'))).toBe('{"__proto__":{"a":1},"b":2}');
  });

  it('gives values already in canonical order (parsed canonical text) the same text as reordered copies of them', () => {
    const sorted = JSON.parse('{"a":[1,{"b":null,"c":"d"}],"e":{"f":-0,"g":1e-7}}') as unknown;
    expect(canonicalJson(sorted)).toBe('{"a":[1,{"b":null,"c":"d"}],"e":{"f":0,"g":1e-7}}');
    // Not plain data: serialized as before (own enumerable members, sorted), never through a toJSON method.
    expect(canonicalJson({ a: new Date(0), b: Object.assign([1], { toJSON: () => 'x' }) })).toBe('{"a":{},"b":[1]}');
    expect(canonicalJson({ a: [1, , 2] })).toBe('{"a":[1,null,2]}');
  });

  it('canonicalize gives the text and a copy equal to JSON.parse of the text, with undefined members and -0 as JSON has them', () => {
    const input = { b: [1, undefined, -0], a: { z: 1, y: undefined }, n: -0 };
    const { text, value } = canonicalize(input);
    expect(text).toBe(canonicalJson(input));
    expect(value).toStrictEqual(JSON.parse(text));
    expect(Object.is((value as { n: number }).n, 0)).toBe(true);
    expect(canonicalize({ '10': 1, '9': { x: 2 } })).toStrictEqual({ text: '{"10":1,"9":{"x":2}}', value: { '10': 1, '9': { x: 2 } } });
  });

  it('throws on values JSON cannot represent', () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ x: Infinity })).toThrow(TypeError);
    expect(() => canonicalJson({ x: 1n })).toThrow(TypeError);
  });

  it('property: equal values give identical text whatever the key order, and the text parses back to the value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = canonicalJson(v);
        const reordered = JSON.parse(JSON.stringify(v), (_k, x) =>
          x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).reverse()) : x,
        );
        expect(canonicalJson(reordered)).toBe(text);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        expect(canonicalize(v)).toStrictEqual({ text, value: JSON.parse(text) });
      }),
      { numRuns: 300 },
    );
  });
});
