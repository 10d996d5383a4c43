import jsyaml from 'js-yaml';

// Plain-scalar resolution of the YAML 1.2 core schema, written to match the `yaml` library's core tags exactly,
// so that this fast parser and the precise one agree on every value of a valid file.
const coreNull = new jsyaml.Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (s: string) => /^(?:~|[Nn]ull|NULL)?$/.test(s),
  construct: () => null,
});
const coreBool = new jsyaml.Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (s: string) => /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(s),
  construct: (s: string) => s[0] === 't' || s[0] === 'T',
});
const coreInt = new jsyaml.Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (s: string) => /^0o[0-7]+$/.test(s) || /^[-+]?[0-9]+$/.test(s) || /^0x[0-9a-fA-F]+$/.test(s),
  construct: (s: string) =>
    s.startsWith('0o') ? parseInt(s.slice(2), 8) : s.startsWith('0x') ? parseInt(s.slice(2), 16) : parseInt(s, 10),
});
const coreFloat = new jsyaml.Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (s: string) =>
    /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(s) ||
    /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(s) ||
    /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(s),
  // Non-finite values are rejected by the walk that follows; they only need to be recognisable here.
  construct: (s: string) => (/nan/i.test(s) ? NaN : /inf/i.test(s) ? (s[0] === '-' ? -Infinity : Infinity) : parseFloat(s)),
});

const CORE_1_2 = jsyaml.FAILSAFE_SCHEMA.extend({ implicit: [coreNull, coreBool, coreInt, coreFloat] });

/**
 * Parses one YAML document quickly, or returns undefined when the text needs the precise parser: any syntax
 * error, duplicate key, explicit tag beyond str/seq/map, or several documents. It never reports errors itself.
 */
export function fastParseYaml(text: string): { value: unknown } | undefined {
  try {
    return { value: jsyaml.load(text, { schema: CORE_1_2, json: false }) };
  } catch {
    return undefined;
  }
}
