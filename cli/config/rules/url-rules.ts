import { ADDRESS_CLASS_LABEL, addressPolicyFor, classifyAddress, isClassAllowed, type AddressClass } from '../../../schemas/address-policy.js';
import { eachProject, eachTool, entriesOf, isObject, type RuleContext } from './context.js';
import { findMixedScriptLabel } from './host-scripts.js';

/** True for hosts that only reach this machine: localhost, 127.0.0.0/8 and ::1. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** base_url, endpoint_path, OAuth redirect URIs and the runtime public URL. */
export function checkUrls(ctx: RuleContext): void {
  // What the base_url checks found, by project and value: a project's tools mostly share a few base URLs, and the
  // findings depend only on the value and the project, so each distinct one is parsed and checked once.
  const baseUrlFindings = new Map<unknown, Map<string, Finding[]>>();
  for (const { project, tool, pointer, projectPointer } of eachTool(ctx)) {
    // Whether plain http:// is allowed depends on the project's environment: skip that check if it is broken.
    if (typeof tool.base_url === 'string' && ctx.isClean(`${pointer}/base_url`) && ctx.isClean(`${projectPointer}/environment`)) {
      const addressKnown = ctx.isClean(`${projectPointer}/allow_private_networks`);
      let byValue = baseUrlFindings.get(project);
      if (!byValue) baseUrlFindings.set(project, (byValue = new Map()));
      const key = `${addressKnown ? 1 : 0}${tool.base_url}`;
      let findings = byValue.get(key);
      if (!findings) {
        const value = tool.base_url;
        findings = recordFindings(ctx, (rec) => {
          const u = checkBaseUrl(rec, value, '', project.environment === 'development');
          if (u) checkHostScripts(rec, value, u, '');
          if (u && addressKnown) checkBaseUrlAddress(rec, value, u, '', project);
        });
        byValue.set(key, findings);
      }
      for (const f of findings) ctx.report(f.code, f.message, `${pointer}/base_url${f.pointer}`, f.opts);
    }
    if (typeof tool.endpoint_path === 'string' && ctx.isClean(`${pointer}/endpoint_path`)) checkEndpointPath(ctx, tool.endpoint_path, `${pointer}/endpoint_path`);
  }
  for (const { project, pointer: pp } of eachProject(ctx)) {
    for (const [ii, integ] of entriesOf(project.integrations)) {
      if (!isObject(integ) || integ.kind !== 'oauth') continue;
      for (const [ui, uri] of entriesOf(integ.redirect_uris)) {
        const at = `${pp}/integrations/${ii}/redirect_uris/${ui}`;
        if (typeof uri === 'string' && ctx.isClean(at)) checkRedirectUri(ctx, uri, at);
      }
    }
  }
  const runtime: unknown = ctx.config.runtime;
  const publicUrl = isObject(runtime) ? runtime.public_url : undefined;
  if (typeof publicUrl === 'string' && ctx.isClean('/runtime/public_url')) {
    const u = parse(publicUrl);
    if (!u || !(u.protocol === 'https:' || (u.protocol === 'http:' && isLoopbackHost(u.hostname))) || u.search || u.hash || u.username || u.password) {
      ctx.report('TNG222', `runtime.public_url "${publicUrl}" is not an absolute https:// URL without query or fragment`, '/runtime/public_url');
    }
  }
}

/** A report recorded to be repeated at another pointer (relative to the one the check was given). */
interface Finding {
  code: Parameters<RuleContext['report']>[0];
  message: string;
  pointer: string;
  opts?: Parameters<RuleContext['report']>[3];
}

/** Runs checks against a context that records their reports instead of making them. */
function recordFindings(ctx: RuleContext, run: (rec: RuleContext) => void): Finding[] {
  const out: Finding[] = [];
  run({ ...ctx, report: (code, message, pointer, opts) => void out.push({ code, message, pointer, opts }) });
  return out;
}

function parse(s: string): URL | undefined {
  try {
    return new URL(s);
  } catch {
    return undefined;
  }
}

/** Checks the form of a base URL; returns the parsed URL when nothing was reported. */
function checkBaseUrl(ctx: RuleContext, value: string, pointer: string, development: boolean): URL | undefined {
  const u = parse(value);
  if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:')) {
    ctx.report('TNG206', `base_url "${value}" is not an https:// URL`, pointer);
    return undefined;
  }
  if (u.username || u.password) {
    ctx.report('TNG214', 'base_url carries credentials in its user-info part', pointer, { hint: 'remove user:password@ and use auth_strategy with an encrypted secret' });
    return undefined;
  }
  const rest = value.slice(value.indexOf('//') + 2);
  const afterHost = rest.search(/[/?#]/);
  if (afterHost >= 0 || u.search || u.hash) {
    ctx.report('TNG205', `base_url "${value}" must be an origin only; move "${afterHost >= 0 ? rest.slice(afterHost) : ''}" into endpoint_path`, pointer);
    return undefined;
  }
  if (u.protocol === 'http:') {
    if (!isLoopbackHost(u.hostname)) {
      ctx.report('TNG206', `base_url "${value}" uses http:// on a non-loopback host`, pointer);
      return undefined;
    }
    if (!development) {
      ctx.report('TNG206', `base_url "${value}" uses http://, which is allowed only in environment: development projects`, pointer);
      return undefined;
    }
  }
  return u;
}

/** Host names whose address class is known without resolving them. */
function classifyHostName(hostname: string): AddressClass | undefined {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  // RFC 6761 §6.3: localhost and every name under it resolve to loopback.
  if (h === 'localhost' || h.endsWith('.localhost')) return 'loopback';
  // Google Cloud's documented name of its metadata server.
  if (h === 'metadata.google.internal') return 'metadata';
  return undefined;
}

/**
 * TNG231: a production project's base_url whose host is an IP literal (in any spelling: the URL parser has already
 * turned `0x7f000001` into 127.0.0.1) or a name of a class the project may not call. Other names are not resolved
 * here (validate stays hermetic, and DNS can change after it): the runtime checks every address at connect time.
 */
function checkBaseUrlAddress(ctx: RuleContext, value: string, u: URL, pointer: string, project: Record<string, unknown>): void {
  const environment = project.environment === 'development' ? 'development' : 'production';
  const policy = addressPolicyFor({ environment, allow_private_networks: project.allow_private_networks === true });
  const literal = classifyAddress(u.hostname);
  const cls = literal ?? classifyHostName(u.hostname);
  if (cls === undefined || isClassAllowed(cls, policy)) return;
  const what = literal ? `is a ${ADDRESS_CLASS_LABEL[cls]} address (${u.hostname})` : `names a ${ADDRESS_CLASS_LABEL[cls]} host`;
  if (cls === 'private') {
    ctx.report('TNG231', `base_url "${value}" ${what}; production projects call private addresses only when they opt in`, pointer, {
      hint: `if this internal API is intended, set \`allow_private_networks: true\` on project "${String(project.id)}" (\`tengine plan\` flags it as a security change)`,
    });
    return;
  }
  const why = cls === 'loopback' || cls === 'link_local' || cls === 'metadata' || cls === 'unspecified' ? 'production projects may never call it' : 'it is not a public unicast address';
  ctx.report('TNG231', `base_url "${value}" ${what}; ${why}`, pointer);
}

/** TNG232: a base_url host label that mixes scripts (`аpi.example.com` with a Cyrillic `а`). */
function checkHostScripts(ctx: RuleContext, value: string, u: URL, pointer: string): void {
  const mixed = findMixedScriptLabel(u.hostname);
  if (!mixed) return;
  ctx.report('TNG232', `base_url "${value}" has a host label "${mixed.label}" that mixes ${mixed.scripts.join(' and ')} letters (host ${u.hostname}); it can imitate another domain`, pointer);
}

function checkEndpointPath(ctx: RuleContext, value: string, pointer: string): void {
  if (!value.startsWith('/')) {
    ctx.report('TNG207', 'endpoint_path must start with /', pointer);
    return;
  }
  if (/[?#]/.test(value)) {
    ctx.report('TNG207', 'endpoint_path may not hold a query or fragment', pointer, { hint: 'put query parameters in query_template' });
    return;
  }
  if (/[\s\u0000-\u001f\u007f]/.test(value)) {
    ctx.report('TNG207', 'endpoint_path may not contain whitespace or control characters', pointer);
    return;
  }
  const segments = value.split('/').slice(1);
  if (segments.some((s) => s === '.' || s === '..' || /^(%2e|\.){1,2}$/i.test(s))) {
    ctx.report('TNG207', 'endpoint_path may not contain . or .. segments', pointer);
  }
}

function checkRedirectUri(ctx: RuleContext, value: string, pointer: string): void {
  const u = parse(value);
  const ok = u && !u.hash && !value.includes('#') && (u.protocol === 'https:' || (u.protocol === 'http:' && isLoopbackHost(u.hostname)));
  if (!ok) ctx.report('TNG212', `redirect URI "${value}" is not https:// or a loopback http:// URI without fragment`, pointer);
}
