import { isReservedVariable, MEMBER_VARIABLES, parseTemplate } from '../../../schemas/template.js';
import { escapePointer } from '../source-map.js';
import { eachTool, isObject, type RuleContext } from './context.js';

/** Headers the runtime owns: a template may not set them. */
const RUNTIME_HEADERS = /^(x-tengine-.*|host|content-length|transfer-encoding|connection|keep-alive|upgrade|te|trailer|proxy-connection)$/i;
/** Headers whose literal value would be a credential written in plaintext. */
const CREDENTIAL_HEADERS = /^(authorization|proxy-authorization|x-api-key|api-key|x-auth-token|cookie)$/i;

/** True when a header that carries credentials has a literal value (no placeholder): reported here as TNG214. */
export function isLiteralCredentialHeader(name: string, value: string): boolean {
  return CREDENTIAL_HEADERS.test(name) && !/\{[A-Za-z_]/.test(value);
}

/**
 * Query parameters whose name says they carry a credential (`?api_key=…`, `?access_token=…`), compared without
 * case, `-` or `_`: any literal value of 8 or more characters there is a credential written in plaintext.
 */
const CREDENTIAL_QUERY_NAMES: ReadonlySet<string> = new Set(['apikey', 'xapikey', 'accesstoken', 'authtoken', 'secret', 'clientsecret', 'password', 'passwd']);

/**
 * Names that carry a credential in many APIs (`?key=` for Google, `?sig=` for Azure SAS) but a setting in others
 * (`key: created_at`, `auth: required`): a literal value counts only when it reads as a key, 16 or more characters
 * mixing letters and digits.
 */
const AMBIGUOUS_QUERY_NAMES: ReadonlySet<string> = new Set(['key', 'token', 'auth', 'sig', 'signature']);

/**
 * True when a query parameter that carries credentials has a literal value (no placeholder, no space): reported
 * here as TNG214, whatever the value looks like, since the name says what it is.
 */
export function isLiteralCredentialQuery(name: string, value: string): boolean {
  const n = name.toLowerCase().replace(/[-_]/g, '');
  const strong = CREDENTIAL_QUERY_NAMES.has(n);
  if (!strong && !AMBIGUOUS_QUERY_NAMES.has(n)) return false;
  if (value.length < (strong ? 8 : 16) || /\{[A-Za-z_]|\s/.test(value)) return false;
  return strong || (/[A-Za-z]/.test(value) && /[0-9]/.test(value));
}

/** Placeholders: syntax, declaration, reserved variables, member requirement, header safety. */
export function checkTemplates(ctx: RuleContext): void {
  for (const { tool, pointer } of eachTool(ctx)) {
    const clean = (field: string) => ctx.isClean(`${pointer}/${field}`);
    // Placeholders are checked against input_schema.properties only when the schema accepted input_schema.
    const schemaKnown = clean('input_schema');
    const declared = new Set(Object.keys(isObject(tool.input_schema) && isObject(tool.input_schema.properties) ? tool.input_schema.properties : {}));
    for (const name of schemaKnown ? declared : []) {
      if (isReservedVariable(name)) {
        ctx.report('TNG203', `input_schema declares the reserved variable "${name}"`, `${pointer}/input_schema/properties/${escapePointer(name)}`, { key: true });
      }
    }
    const usedMember = new Set<string>();
    let firstMemberUse = '';
    const check = (text: string, at: string) => {
      const parsed = parseTemplate(text);
      if (!parsed.ok) {
        ctx.report('TNG217', `${parsed.message} at character ${parsed.offset + 1} of the template`, at);
        return;
      }
      for (const v of parsed.variables) {
        if (isReservedVariable(v)) {
          if ((MEMBER_VARIABLES as readonly string[]).includes(v)) {
            usedMember.add(v);
            firstMemberUse ||= at;
          }
        } else if (schemaKnown && !declared.has(v)) {
          ctx.report('TNG202', `placeholder "{${v}}" is not declared in input_schema.properties`, at);
        }
      }
    };
    // With `parameters`, `{…}` in the path names a path parameter (parameter-rules.ts checks it), not a placeholder.
    if (typeof tool.endpoint_path === 'string' && clean('endpoint_path') && tool.parameters === undefined) check(tool.endpoint_path, `${pointer}/endpoint_path`);
    for (const [k, v] of Object.entries(isObject(tool.query_template) ? tool.query_template : {})) {
      const at = `${pointer}/query_template/${escapePointer(k)}`;
      if (typeof v !== 'string' || !ctx.isClean(at)) continue;
      if (isLiteralCredentialQuery(k, v)) {
        ctx.report('TNG214', `query parameter "${k}" holds a literal credential`, at, {
          hint: 'rotate it, then pass it as a declared argument ({placeholder}), or move it to auth_strategy: static_bearer with encrypted_auth_secret or auth_secret_env if the API accepts a header',
        });
        continue;
      }
      check(v, at);
    }
    for (const [k, v] of Object.entries(isObject(tool.headers_template) ? tool.headers_template : {})) {
      const at = `${pointer}/headers_template/${escapePointer(k)}`;
      if (!ctx.isClean(at)) continue;
      if (RUNTIME_HEADERS.test(k)) {
        ctx.report('TNG221', `header "${k}" is set by the runtime and cannot be templated`, at, { key: true });
        continue;
      }
      if (typeof v !== 'string') continue;
      if (/[\r\n\0]/.test(v)) {
        ctx.report('TNG221', `header "${k}" contains CR, LF or NUL`, at);
        continue;
      }
      if (isLiteralCredentialHeader(k, v)) {
        ctx.report('TNG214', `header "${k}" holds a literal credential`, at, { hint: 'use auth_strategy: static_bearer with encrypted_auth_secret, or pass the value as a declared argument' });
        continue;
      }
      check(v, at);
    }
    if (tool.body_template !== undefined && clean('body_template')) walkBody(tool.body_template, `${pointer}/body_template`, check);
    if (usedMember.size > 0 && tool.require_member !== true && clean('require_member')) {
      ctx.report('TNG204', `the templates use {${[...usedMember].join('}, {')}} but require_member is not true`, firstMemberUse);
    }
  }
}

/** Checks every string of a body template; the parser bounds how deep the data nests (yaml-limits.ts). */
function walkBody(v: unknown, at: string, check: (text: string, at: string) => void): void {
  if (typeof v === 'string') check(v, at);
  else if (Array.isArray(v)) v.forEach((x, i) => walkBody(x, `${at}/${i}`, check));
  else if (isObject(v)) for (const [k, x] of Object.entries(v)) walkBody(x, `${at}/${escapePointer(k)}`, check);
}
