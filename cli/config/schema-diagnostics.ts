import type { ErrorObject } from '../../schemas/ajv.js';
import { diagnostic, type Diagnostic, type DiagnosticCode } from '../../schemas/diagnostics.js';
import type { Located } from './source-map.js';
import { closestMatch } from './did-you-mean.js';

/** Looks up where a JSON pointer of the validated data sits in its file. */
export type Locate = (pointer: string, preferKey?: boolean) => Located;

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
  const p = e.params as { additionalProperty?: string; missingProperty?: string };
  const child = e.keyword === 'additionalProperties' ? p.additionalProperty : e.keyword === 'required' ? p.missingProperty : undefined;
  return child === undefined ? e.instancePath : `${e.instancePath}/${child.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/** Turns Ajv errors into diagnostics with positions, stable codes and hints. */
export function schemaDiagnostics(errors: ErrorObject[], locate: Locate, what: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const d = convert(e, locate, what);
    if (!d) continue;
    const key = `${d.code}|${d.line}|${d.column}|${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

function convert(e: ErrorObject, locate: Locate, what: string): Diagnostic | undefined {
  const path = e.instancePath;
  const field = fieldName(path, what);
  const specific = SPECIFIC.find((s) => s.keyword === e.keyword && s.path.test(path));
  if (specific) return diagnostic(specific.code, specific.message(e), locate(path));
  switch (e.keyword) {
    case 'additionalProperties': {
      const prop = String((e.params as { additionalProperty: string }).additionalProperty);
      const child = `${path}/${prop.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (SECRET_FIELD.test(prop)) {
        return diagnostic('TNG214', `"${prop}" looks like a plaintext secret in ${field}`, locate(child, true));
      }
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const guess = closestMatch(prop, allowed);
      const hint = guess ? `did you mean "${guess}"?` : allowed.length ? `allowed fields: ${allowed.join(', ')}` : undefined;
      return diagnostic('TNG100', `unknown field "${prop}" in ${field}`, locate(child, true), hint);
    }
    case 'required': {
      const prop = (e.params as { missingProperty: string }).missingProperty;
      return diagnostic('TNG102', `${field} is missing the required field "${prop}"`, locate(path, true));
    }
    case 'type': {
      const expected = (e.params as { type: string | string[] }).type;
      const list = Array.isArray(expected) ? expected.join(' or ') : expected;
      return diagnostic('TNG101', `${field} must be ${article(list)}, not ${describe(e.data)}`, locate(path));
    }
    case 'enum':
    case 'const': {
      const allowed: unknown[] = e.keyword === 'enum' ? (e.params as { allowedValues: unknown[] }).allowedValues : [(e.params as { allowedValue: unknown }).allowedValue];
      const guess = typeof e.data === 'string' ? closestMatch(e.data, allowed.map(String)) : undefined;
      return diagnostic(
        'TNG103',
        `${field} must be ${allowed.map((v) => JSON.stringify(v)).join(' or ')}, not ${JSON.stringify(e.data)?.slice(0, 80)}`,
        locate(path),
        guess ? `did you mean "${guess}"?` : undefined,
      );
    }
    case 'discriminator': {
      const p = e.params as { tag: string; tagValue: unknown };
      return diagnostic('TNG103', `${field}.${p.tag} must be "api_key" or "oauth", not ${JSON.stringify(p.tagValue)}`, locate(`${path}/${p.tag}`));
    }
    case 'pattern': {
      if (typeof e.data === 'string' && /^(tengine_|tng_mst_|tng_cs_)/.test(e.data)) {
        return diagnostic('TNG214', `${field} holds a plaintext credential; only its SHA-256 belongs here`, locate(path));
      }
      const p = (e.params as { pattern: string }).pattern;
      return diagnostic('TNG103', `${field} ${JSON.stringify(String(e.data).slice(0, 80))} does not match ${p}`, locate(path), patternHint(path) ?? `the value must match the pattern ${p}`);
    }
    case 'minLength':
    case 'maxLength':
    case 'minimum':
    case 'maximum':
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

function patternHint(path: string): string | undefined {
  if (/\/sha256$|client_secret_sha256$/.test(path)) return 'use the 64 lower-case hex digits printed by `tengine keys`';
  if (/\/id$/.test(path)) return 'ids use lower-case letters, digits, _ and -, starting with a letter or digit (at most 63)';
  return undefined;
}

function fieldName(pointer: string, what: string): string {
  if (!pointer) return what;
  return pointer
    .split('/')
    .slice(1)
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((t, i) => (/^\d+$/.test(t) ? `[${t}]` : i === 0 ? t : `.${t}`))
    .join('');
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}
