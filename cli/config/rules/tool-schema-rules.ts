import type { Ajv } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { createDraft07UserSchemaAjv, createUserSchemaAjv, validateUserSchema } from '../../../schemas/ajv.js';
import { canonicalJson } from '../../../schemas/canonical-json.js';
import { checkLinearPattern, PatternNotLinearError } from '../../../schemas/linear-regexp.js';
import { eachTool, isObject, type RuleContext } from './context.js';
import { describeMetaSchemaErrors, type SchemaProblem } from './meta-schema-errors.js';
import { schemaPatterns } from './schema-patterns.js';
import { eachSubschema } from '../../../schemas/subschemas.js';

type Check = { ok: true; warnings?: SchemaProblem[] } | { ok: false; errors: SchemaProblem[] };

const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/;
// Each schema is checked against its meta-schema (validateUserSchema: generated code for 2020-12) before it is
// compiled, so the compile does not check it again.
const CHECKED = { validateSchema: false } as const;
const DRAFT_2020 = /^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/;

/**
 * Checks input and output schemas once per distinct schema (large configs repeat the same few schemas, so this
 * keeps validation linear in the number of distinct schemas, not tools).
 */
export class UserSchemaChecker {
  private readonly cache = new Map<string, Check>();
  // The same results by the schema's text as written: most repeats are identical, and JSON.stringify is several
  // times cheaper than canonical JSON, which is then computed only the first time a text is seen.
  private readonly byText = new Map<string, Check>();
  private ajv2020?: Ajv2020;
  private ajv07?: Ajv;

  /** Validates `schema` against its dialect's meta-schema and compiles it (resolving local $refs). */
  check(schema: Record<string, unknown>): Check {
    const text = JSON.stringify(schema);
    const known = this.byText.get(text);
    if (known) return known;
    let key: string;
    try {
      key = canonicalJson(schema);
    } catch {
      return { ok: false, errors: [{ path: '', where: '', message: 'the schema is not plain JSON' }] };
    }
    let result = this.cache.get(key);
    if (!result) {
      result = this.compute(schema);
      this.cache.set(key, result);
    }
    this.byText.set(text, result);
    return result;
  }

  /** How many distinct schemas were compiled (the benchmark reports it). */
  get distinctCount(): number {
    return this.cache.size;
  }

  private compute(schema: Record<string, unknown>): Check {
    const dialect = schema.$schema;
    let ajv: Ajv | Ajv2020;
    if (dialect === undefined || (typeof dialect === 'string' && DRAFT_2020.test(dialect))) ajv = this.ajv2020 ??= createUserSchemaAjv(CHECKED);
    else if (typeof dialect === 'string' && DRAFT_07.test(dialect)) ajv = this.ajv07 ??= createDraft07UserSchemaAjv(CHECKED);
    else return { ok: false, errors: [{ path: '/$schema', where: '', message: `unsupported $schema ${JSON.stringify(dialect)} (use 2020-12 or draft-07)` }] };
    if (!validateUserSchema(ajv, schema)) {
      return { ok: false, errors: describeMetaSchemaErrors(schema, ajv.errors ?? []).slice(0, 5) };
    }
    const patterns = patternProblems(schema);
    if (patterns.length > 0) return { ok: false, errors: patterns };
    try {
      const copy = structuredClone(schema);
      delete copy.$id;
      ajv.compile(copy);
      const warnings = unknownFormats(schema, ajv);
      return warnings.length > 0 ? { ok: true, warnings } : { ok: true };
    } catch (e) {
      // A pattern the walk did not reach (e.g. under an unknown keyword that a $ref points into) still compiles
      // on the linear engine, which refuses it here.
      if (e instanceof PatternNotLinearError) return { ok: false, errors: [{ path: '', where: '', message: e.message, code: 'TNG229' }] };
      return { ok: false, errors: [{ path: '', where: '', message: (e as Error).message.split('\n')[0]! }] };
    }
  }
}

/**
 * Every `pattern` and `patternProperties` key the runtime's linear engine would refuse, at its own position:
 * TNG229 when it needs backtracking, TNG209 when it is not a valid ECMAScript regular expression with the `u` flag
 * (the meta-schema's `regex` format checks without it).
 */
function patternProblems(schema: Record<string, unknown>): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  for (const p of schemaPatterns(schema)) {
    const r = checkLinearPattern(p.pattern);
    if (r.ok) continue;
    const what = p.key ? 'patternProperties key' : 'pattern';
    if (r.syntax) out.push({ path: p.pointer, where: '', message: `${what} ${JSON.stringify(p.pattern)} is not a valid regular expression: ${r.reason}`, key: p.key });
    else out.push({ path: p.pointer, where: '', message: `${what} ${JSON.stringify(p.pattern)} cannot run in linear time: ${r.reason}`, code: 'TNG229', key: p.key });
    if (out.length === 5) break;
  }
  return out;
}

/**
 * `format` values the runtime does not know (TNG234): JSON Schema lets a validator ignore an unknown format, and
 * Ajv does, so a misspelt `format: e-mail` would silently check nothing.
 */
function unknownFormats(schema: Record<string, unknown>, ajv: Ajv | Ajv2020): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  for (const { node, pointer } of eachSubschema(schema)) {
    if (typeof node.format !== 'string' || node.format in ajv.formats) continue;
    out.push({ path: `${pointer}/format`, where: '', message: `format ${JSON.stringify(node.format)} is not one the runtime checks, so it is not checked at all`, code: 'TNG234' });
  }
  return out;
}

/** input_schema and output_schema are valid JSON Schemas describing objects. */
export function checkToolSchemas(ctx: RuleContext, checker = new UserSchemaChecker()): void {
  for (const { tool, pointer } of eachTool(ctx)) {
    for (const field of ['input_schema', 'output_schema'] as const) {
      const schema = tool[field];
      const at = `${pointer}/${field}`;
      if (!isObject(schema) || !ctx.isClean(at)) continue;
      const type = schema.type;
      if (type !== 'object' && !(Array.isArray(type) && type.length === 1 && type[0] === 'object')) {
        ctx.report('TNG216', `${field} must have type: object (MCP tool ${field === 'input_schema' ? 'arguments' : 'results'} are objects)`, type === undefined ? at : `${at}/type`, {
          hint: `${field} must describe an object: \`type: object\` with \`properties\``,
        });
        continue;
      }
      const r = checker.check(schema);
      if (!r.ok) {
        for (const e of r.errors) ctx.report(e.code ?? 'TNG209', `${field}${e.where ? ' at ' + e.where : ''}: ${e.message}`, `${at}${e.path}`, { key: e.key ?? false });
      } else for (const w of r.warnings ?? []) ctx.report(w.code ?? 'TNG234', `${field}: ${w.message}`, `${at}${w.path}`);
    }
  }
}
