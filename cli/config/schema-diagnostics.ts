import type { ErrorObject } from '../../schemas/ajv.js';
import { diagnostic, type Diagnostic, type DiagnosticCode } from '../../schemas/diagnostics.js';
import { escapePointer, type Located } from './source-map.js';
import { closestMatch } from './did-you-mean.js';

/** Looks up where a JSON pointer of the validated data sits in its file. */
export type Locate = (pointer: string, preferKey?: boolean) => Located;

/**
 * How a message names the value at a pointer: the closest named thing around it (`tool "get_item" (project
 * demo)`) and the path of the field inside that thing (`http_method`, `input_schema.properties`).
 */
export interface Subject {
  context?: string;
  field: string;
}

/** Names the value at a pointer for messages. */
export type NameSubject = (pointer: string) => Subject;

/**
 * Names the pointers of a root config or of a fragment by the tool, integration or project that holds them
 * (`tool "get_item" (project demo)` + `http_method`), falling back to the path where the holder has no usable
 * name (`projects[0].tools[2].http_method`).
 */
export function configSubjects(data: unknown, kind: 'config' | 'fragment'): NameSubject {
  const member = (v: unknown, key: string | undefined): unknown => {
    if (key === undefined || typeof v !== 'object' || v === null) return undefined;
    return Array.isArray(v) ? (/^\d+$/.test(key) ? v[Number(key)] : undefined) : (v as Record<string, unknown>)[key];
  };
  const quote = (name: string) => JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
  return (pointer) => {
    const tokens = pointer.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    const fragmentProject = kind === 'fragment' ? member(data, 'project') : undefined;
    let projectId = typeof fragmentProject === 'string' ? fragmentProject : undefined;
    let holder = data; // the object whose `tools` / `integrations` the pointer may continue into
    let next = 0; // index of the token after the project
    let context: string | undefined;
    let used = 0; // tokens named by the context
    if (kind === 'config') {
      const project = tokens[0] === 'projects' ? member(member(data, 'projects'), tokens[1]) : undefined;
      const id = member(project, 'id');
      if (typeof id === 'string') [projectId, context, used] = [id, `project ${quote(id)}`, 2];
      [holder, next] = [project, 2];
    }
    const list = tokens[next];
    if (list === 'tools' || list === 'integrations') {
      const name = member(member(member(holder, list), tokens[next + 1]), list === 'tools' ? 'name' : 'id');
      if (typeof name === 'string') {
        context = `${list === 'tools' ? 'tool' : 'integration'} ${quote(name)}${projectId ? ` (project ${projectId})` : ''}`;
        used = next + 2;
      }
    }
    return { context, field: pathText(tokens.slice(used).map((t) => `/${escapePointer(t)}`).join('')) };
  };
}

/** Field names that hold credentials: a value under such a key is a plaintext secret, not an unknown field. */
const SECRET_FIELD = /^(api_?key|apikey|secret|client_secret|auth_secret|password|passwd|token|bearer|bearer_token|hmac_secret|access_token|private_key)$/i;

/** Failures with a more specific code than the generic one, recognised by keyword and data path. */
const SPECIFIC: { keyword: string; path: RegExp; code: DiagnosticCode; message: (e: ErrorObject) => string }[] = [
  {
    keyword: 'pattern',
    path: /\/tools\/\d+\/name$/,
    code: 'TNG201',
    message: (e) => `"${String(e.data).slice(0, 80)}" is not a valid MCP tool name`,
  },
];

/** The data pointer an error is about: the offending member for unknown or missing fields, else the value. */
export function errorPointer(e: ErrorObject): string {
  const p = e.params as { additionalProperty?: string; missingProperty?: string; tag?: string };
  const child =
    e.keyword === 'additionalProperties' ? p.additionalProperty : e.keyword === 'required' ? p.missingProperty : e.keyword === 'discriminator' ? p.tag : undefined;
  return child === undefined ? e.instancePath : `${e.instancePath}/${escapePointer(child)}`;
}

/** Keywords whose failure only summarises failures reported by other errors further down. */
const SUMMARY_KEYWORDS = new Set(['if', 'oneOf', 'anyOf', 'propertyNames']);

/** The data pointers a list of Ajv errors rejects, without summaries already covered by a more precise error. */
export function rejectedPointers(errors: readonly ErrorObject[]): string[] {
  return errors
    .filter((e) => !SUMMARY_KEYWORDS.has(e.keyword) || !errors.some((o) => o !== e && !SUMMARY_KEYWORDS.has(o.keyword) && o.instancePath.startsWith(e.instancePath)))
    .map(errorPointer);
}

/**
 * The pointers the schema rejected, answering "may a rule read this field?" in time proportional to the pointer's
 * depth: a field is clean when no rejected pointer is at it, above it (a broken parent) or below it.
 */
export class RejectedFields {
  private readonly at = new Set<string>();
  private readonly above = new Set<string>();

  /** Records a rejected pointer (of the merged config). */
  add(pointer: string): void {
    this.at.add(pointer);
    for (let p = pointer; p !== ''; ) {
      p = p.slice(0, p.lastIndexOf('/'));
      if (this.above.has(p)) break;
      this.above.add(p);
    }
  }

  /** True when a rule may read the value at `pointer`: the schema reported nothing at, under or above it. */
  isClean(pointer: string): boolean {
    if (this.at.size === 0) return true;
    if (this.above.has(pointer)) return false;
    for (let p = pointer; ; p = p.slice(0, p.lastIndexOf('/'))) {
      if (this.at.has(p)) return false;
      if (p === '') return true;
    }
  }
}

/** Turns Ajv errors into diagnostics with positions, stable codes and hints. */
export function schemaDiagnostics(errors: ErrorObject[], locate: Locate, what: string, name: NameSubject = (p) => ({ field: pathText(p) })): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  // A missing discriminator (`kind`) is already reported as a missing required field.
  const missing = new Set(errors.filter((e) => e.keyword === 'required').map(errorPointer));
  for (const e of errors) {
    if (e.keyword === 'discriminator' && missing.has(errorPointer(e))) continue;
    const d = convert(e, locate, what, name);
    if (!d) continue;
    const key = `${d.code}|${d.line}|${d.column}|${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

function convert(e: ErrorObject, locate: Locate, what: string, name: NameSubject): Diagnostic | undefined {
  const path = e.instancePath;
  const subject = name(path);
  const field = subjectText(subject, what);
  const specific = SPECIFIC.find((s) => s.keyword === e.keyword && s.path.test(path));
  if (specific) return diagnostic(specific.code, specific.message(e), locate(path));
  switch (e.keyword) {
    case 'additionalProperties': {
      const prop = String((e.params as { additionalProperty: string }).additionalProperty);
      const child = `${path}/${escapePointer(prop)}`;
      const where = subject.context ? `${subject.context}: ` : '';
      const inField = subject.field ? ` in ${subject.field}` : subject.context ? '' : ` in ${what}`;
      if (SECRET_FIELD.test(prop)) {
        return diagnostic('TNG214', `${where}"${prop}" looks like a plaintext secret${inField}`, locate(child, true));
      }
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const guess = closestMatch(prop, allowed);
      const hint = guess ? `did you mean "${guess}"?` : allowed.length ? `allowed fields: ${allowed.join(', ')}` : undefined;
      return diagnostic('TNG100', `${where}unknown field "${prop}"${inField}`, locate(child, true), hint);
    }
    case 'required': {
      const prop = (e.params as { missingProperty: string }).missingProperty;
      return diagnostic('TNG102', `${field} is missing the required field "${prop}"`, locate(path, true));
    }
    case 'type': {
      const expected = (e.params as { type: string | string[] }).type;
      const list = Array.isArray(expected) ? expected.join(' or ') : expected;
      return diagnostic('TNG101', `${field} must be ${article(list)}, not ${describeValue(e.data)}`, locate(path));
    }
    case 'enum':
    case 'const': {
      const allowed: unknown[] = e.keyword === 'enum' ? (e.params as { allowedValues: unknown[] }).allowedValues : [(e.params as { allowedValue: unknown }).allowedValue];
      return diagnostic(
        'TNG103',
        `${field} must be ${allowed.map((v) => JSON.stringify(v)).join(' or ')}, not ${JSON.stringify(e.data)?.slice(0, 80)}`,
        locate(path),
        valueHint(e.data, allowed),
      );
    }
    case 'discriminator': {
      const p = e.params as { tag: string; tagValue: unknown };
      const at = `${path}/${escapePointer(p.tag)}`;
      const tagField = subjectText(name(at), what);
      if (typeof p.tagValue !== 'string') return diagnostic('TNG101', `${tagField} must be a string, not ${describeValue(p.tagValue)}`, locate(at));
      const allowed = ['api_key', 'oauth'];
      return diagnostic('TNG103', `${tagField} must be "api_key" or "oauth", not ${JSON.stringify(p.tagValue)}`, locate(at), valueHint(p.tagValue, allowed));
    }
    case 'pattern': {
      if (typeof e.data === 'string' && /^(tengine_|tng_mst_|tng_cs_)/.test(e.data)) {
        return diagnostic('TNG214', `${field} holds a plaintext credential; only its SHA-256 belongs here`, locate(path));
      }
      const p = (e.params as { pattern: string }).pattern;
      return diagnostic('TNG103', `${field} ${JSON.stringify(String(e.data).slice(0, 80))} does not match ${p}`, locate(path), patternHint(path) ?? `the value must match the pattern ${p}`);
    }
    case 'minimum':
    case 'maximum':
      return diagnostic('TNG103', `${field} ${e.message ?? 'is invalid'}`, locate(path), rangeHint(e, path));
    case 'minLength':
    case 'maxLength':
    case 'minItems':
    case 'maxItems':
    case 'format':
      return diagnostic('TNG103', `${field} ${e.message ?? 'is invalid'}`, locate(path));
    case 'propertyNames':
      return undefined; // reported through the nested pattern error on the name itself
    case 'if':
    case 'oneOf':
    case 'anyOf':
      return undefined; // the branch errors carry the detail
    default:
      return diagnostic('TNG104', `${field} ${e.message ?? 'is invalid'}`, locate(path));
  }
}

/** The hint for a number out of range: the allowed range, and for a usage limit of 0 what to do instead. */
function rangeHint(e: ErrorObject, path: string): string {
  const schema = e.parentSchema as { minimum?: number; maximum?: number } | undefined;
  const range = schema?.minimum !== undefined && schema.maximum !== undefined ? `from ${schema.minimum} to ${schema.maximum}` : schema?.minimum !== undefined ? `of at least ${schema.minimum}` : `of at most ${schema?.maximum}`;
  if (/\/usage_limits\/\d+\/(limit|burst)$/.test(path) && e.keyword === 'minimum') {
    return `use a whole number ${range}: a limit of 0 would refuse every call (to turn a tool off, set is_enabled: false)`;
  }
  return `use a number ${range}`;
}

/**
 * The hint for a value outside an enumeration: the closest allowed value, or, when the text is right but the type
 * is not (`version: "1"`), that the quotes make it a string.
 */
function valueHint(value: unknown, allowed: unknown[]): string | undefined {
  if (typeof value !== 'string') return undefined;
  const sameText = allowed.find((v) => typeof v !== 'string' && String(v) === value);
  if (sameText !== undefined) return `remove the quotes: ${JSON.stringify(value)} is a string, this field takes the ${typeof sameText} ${JSON.stringify(sameText)}`;
  const guess = closestMatch(value, allowed.map(String));
  return guess ? `did you mean "${guess}"?` : undefined;
}

/** "context: field", or whichever of the two is known, or what was validated ("config") for the root. */
function subjectText(s: Subject, what: string): string {
  if (s.context && s.field) return `${s.context}: ${s.field}`;
  return s.context || s.field || what;
}

function patternHint(path: string): string | undefined {
  if (/\/sha256$|client_secret_sha256$/.test(path)) return 'use the 64 lower-case hex digits printed by `tengine keys`';
  if (/\/id$/.test(path)) return 'ids use lower-case letters, digits, _ and -, starting with a letter or digit (at most 63)';
  if (/\/log_arguments\/redact\/\d+$/.test(path)) return 'write a JSON pointer into the arguments, starting with /: `/card/number` (escape / in a key as ~1, ~ as ~0)';
  if (/^\/runtime\/usage_records\/(hourly|daily)_retention$/.test(path)) return 'write a positive duration, a whole number above 0 and a unit: 14d, 36h (to keep no records, set enabled: false)';
  if (/^\/env_allowlist\/\d+$/.test(path)) return 'write the variable name itself (letters, digits and _, not starting with a digit): env_allowlist is read as written, without ${env:} references';
  return undefined;
}

/** A pointer as a path for messages: `/projects/0/tools/2/http_method` → `projects[0].tools[2].http_method`. */
export function pathText(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .split('/')
    .slice(1)
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((t, i) => (/^\d+$/.test(t) ? `[${t}]` : i === 0 ? t : `.${t}`))
    .join('');
}

/** "a string", "an object": the type name with its article. */
export function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** A short description of a value for messages: `the string "x"`, `number 42`, `an object`. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}
