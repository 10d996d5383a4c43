import type { OpenApiSource, Tool } from '../../schemas/config-types.js';
import type { Diagnostic } from '../../schemas/diagnostics.js';
import { docDiagnostic } from './document.js';
import type { OpenApiVersion } from './convert-schema.js';
import { isObject, type MapContext, type ToolMount } from './context.js';
import { mapOperation, type MappedOperation } from './map-operation.js';
import { baseName, uniqueNames } from './naming.js';
import { isEmptyFilter, listOperations, matchesFilter, type Operation } from './operations.js';
import { child, refDiagnostic, type DocNode, type DocumentSet } from './refs.js';
import { documentServer, splitUrl } from './servers.js';

/** A generated tool, where each of its parts came from, and the config keys that shaped it. */
export interface GeneratedTool {
  tool: Tool;
  operation: Operation;
  /** Tool subtrees that came from the document. */
  mounts: ToolMount[];
  /** Tool fields set from the source's `defaults`, and from its `overrides` (with the override's key). */
  fromDefaults: string[];
  fromOverride?: { key: string; fields: string[] };
  /** Source-level fields (base_url, auth) copied onto the tool. */
  fromSource: string[];
}

/** The result of mapping one document. */
export interface Generated {
  tools: GeneratedTool[];
  /** Override keys that name no operation of the document. */
  unmatchedOverrides: string[];
  version?: OpenApiVersion;
}

const SOURCE_FIELDS = ['auth_strategy', 'signature_version', 'encrypted_auth_secret', 'auth_secret_env'] as const;

/**
 * Turns the operations of a document into tools following docs/openapi.md: filters, mapping, names unique with
 * a stable disambiguation, then the source's defaults under and its overrides over what the document says.
 * Everything skipped or lossy is reported; nothing throws for a bad document.
 */
export function generateTools(docs: DocumentSet, source: OpenApiSource, sink: (d: Diagnostic) => void, projectScopes?: ReadonlySet<string>): Generated {
  // A shared schema is converted for every tool using it: what it causes is reported once.
  const seen = new Set<string>();
  const report = (d: Diagnostic) => {
    const key = `${d.code} ${d.file} ${d.pointer} ${d.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    sink(d);
  };
  const root: DocNode = { value: docs.root.data, file: docs.root, pointer: '' };
  const none: Generated = { tools: [], unmatchedOverrides: [] };
  if (!isObject(root.value)) {
    report(docDiagnostic('TNG300', 'an OpenAPI document must be a mapping', docs.root, ''));
    return none;
  }
  const doc = root.value;
  const version = detectVersion(doc);
  if (!version) {
    const where = 'openapi' in doc ? '/openapi' : 'swagger' in doc ? '/swagger' : '';
    report(docDiagnostic('TNG300', `not an OpenAPI 3.0, 3.1 or Swagger 2.0 document (${'openapi' in doc ? `openapi: ${JSON.stringify(doc.openapi)}` : 'swagger' in doc ? `swagger: ${JSON.stringify(doc.swagger)}` : 'no `openapi` or `swagger` field'})`, docs.root, where));
    return none;
  }
  if (isObject(doc.webhooks) && Object.keys(doc.webhooks).length > 0) {
    report(docDiagnostic('TNG316', `${Object.keys(doc.webhooks).length} webhook(s) ignored: webhooks are requests the API sends, not tools`, docs.root, '/webhooks'));
  }
  const paths = child(root, 'paths');
  if (!isObject(paths.value)) {
    if (paths.value !== undefined || version !== '3.1') report(docDiagnostic('TNG300', '`paths` must be a mapping of paths to path items', docs.root, paths.value === undefined ? '' : '/paths'));
    return { ...none, version };
  }
  const components = isObject(doc.components) ? doc.components : {};
  const securitySchemes = (version === '2.0' ? doc.securityDefinitions : components.securitySchemes) as Record<string, unknown> | undefined;
  const ctx: MapContext = { docs, version, root, source, securitySchemes: isObject(securitySchemes) ? securitySchemes : {}, report };

  let target = source.base_url !== undefined ? splitUrl(source.base_url) ?? { origin: source.base_url, prefix: '' } : documentServer(root, version);
  if (!target) {
    report(docDiagnostic('TNG317', 'no base_url is configured and the document has no absolute server URL', docs.root, 'servers' in doc ? '/servers' : ''));
    return { ...none, version };
  }

  const listed = listOperations(paths, (n) => {
    const r = docs.deref(n);
    if (!('problem' in r)) return r.node;
    report(refDiagnostic(r.problem, r.at));
    return undefined;
  }, report);
  for (const s of listed.skipped) report(docDiagnostic('TNG305', `${s.method} ${s.path} is not mapped: only GET, POST, PUT, PATCH and DELETE operations become tools`, docs.root, s.pointer));

  // operationIds are unique in a valid document; a duplicate would make names and overrides ambiguous.
  const firstById = new Map<string, Operation>();
  for (const o of listed.operations) {
    const id = o.op.operationId;
    if (typeof id !== 'string') continue;
    const first = firstById.get(id);
    if (first) report(docDiagnostic('TNG308', `operationId "${id}" is also used by ${first.method} ${first.path}`, o.node.file, `${o.node.pointer}/operationId`));
    else firstById.set(id, o);
  }
  const overrides = source.overrides ?? {};
  const overrideKey = (o: Operation): string | undefined => {
    const id = typeof o.op.operationId === 'string' ? o.op.operationId : undefined;
    if (id !== undefined && Object.hasOwn(overrides, id)) return id;
    const k = `${o.method} ${o.path}`;
    return Object.hasOwn(overrides, k) ? k : undefined;
  };
  const matched = new Set(listed.operations.map(overrideKey).filter((k): k is string => k !== undefined));
  const unmatchedOverrides = Object.keys(overrides).filter((k) => !matched.has(k));

  const selected = listed.operations.filter((o) => (isEmptyFilter(source.include) || matchesFilter(o, source.include!)) && !(source.exclude && !isEmptyFilter(source.exclude) && matchesFilter(o, source.exclude)));
  const mapped: MappedOperation[] = [];
  for (const o of selected) {
    if (isObject(o.op.callbacks) && Object.keys(o.op.callbacks).length > 0) {
      report(docDiagnostic('TNG316', `callbacks of ${o.method} ${o.path} ignored: callbacks are requests the API sends, not tools`, o.node.file, `${o.node.pointer}/callbacks`));
    }
    const m = mapOperation(ctx, o, target.prefix);
    if (m) mapped.push(m);
  }

  const named = uniqueNames(
    mapped.map((m) => {
      const key = overrideKey(m.operation);
      const explicit = (key !== undefined ? overrides[key]!.name : undefined) ?? m.explicitName;
      const b = baseName({ method: m.operation.method, path: m.operation.path, operationId: typeof m.operation.op.operationId === 'string' ? m.operation.op.operationId : undefined, summary: typeof m.operation.op.summary === 'string' ? m.operation.op.summary : undefined, explicit }, explicit === undefined ? source.name_prefix ?? '' : '');
      return { ...b, method: m.operation.method, path: m.operation.path, m, key };
    }),
  );
  const tools: GeneratedTool[] = [];
  for (const { item, name, collided } of named) {
    const { m, key } = item;
    if (collided && name !== item.name) {
      report(docDiagnostic('TNG309', `tool name "${item.name}" is shared by several operations; ${m.operation.method} ${m.operation.path} becomes "${name}"`, m.operation.node.file, m.operation.node.pointer));
    }
    tools.push(assemble(ctx, m, name, target, key, projectScopes));
  }
  return { tools, unmatchedOverrides, version };
}

/** The final tool: defaults under what the document says, overrides over it. */
function assemble(ctx: MapContext, m: MappedOperation, name: string, target: { origin: string; prefix: string; node?: DocNode }, key: string | undefined, projectScopes?: ReadonlySet<string>): GeneratedTool {
  const source = ctx.source;
  const defaults = (source.defaults ?? {}) as Record<string, unknown>;
  const override = (key !== undefined ? source.overrides![key]! : {}) as Record<string, unknown>;
  const doc = m.tool;
  const tool: Record<string, unknown> = { name };
  const fromDefaults: string[] = [];
  const fromSource: string[] = [];
  const mounts = [...m.mounts];
  tool.description = doc.description;
  tool.input_schema = doc.input_schema;
  if (doc.output_schema) tool.output_schema = doc.output_schema;
  tool.base_url = target.origin;
  if (source.base_url !== undefined) fromSource.push('base_url');
  else if (target.node) mounts.push({ at: '/base_url', node: target.node });
  tool.http_method = doc.http_method;
  tool.endpoint_path = doc.endpoint_path;
  if (doc.parameters) tool.parameters = doc.parameters;
  if (doc.body) tool.body = doc.body;
  for (const f of SOURCE_FIELDS) {
    if (source[f] === undefined) continue;
    tool[f] = source[f];
    fromSource.push(f);
  }
  for (const [k, v] of Object.entries(defaults)) {
    if (k === 'annotations' || (k === 'scopes' && doc.scopes) || (k === 'is_enabled' && doc.is_enabled !== undefined)) continue;
    tool[k] = v;
    fromDefaults.push(k);
  }
  if (doc.scopes) {
    const scopes = doc.scopes as string[];
    const unknown = projectScopes ? scopes.filter((s) => !projectScopes.has(s)) : [];
    const scopeMount = m.mounts.findLast((x) => x.at === '/scopes');
    for (const s of unknown) {
      if (override.scopes === undefined && scopeMount) ctx.report(docDiagnostic('TNG313', `scope "${s}" required by ${m.operation.method} ${m.operation.path} is not declared in the project`, scopeMount.node.file, scopeMount.node.pointer));
    }
    // An undeclared scope is reported once here (the build fails on it), not again as TNG213 at the tool.
    tool.scopes = scopes.filter((s) => !unknown.includes(s));
  }
  if (doc.is_enabled !== undefined) tool.is_enabled = doc.is_enabled;
  const annotations = { ...((defaults.annotations as object) ?? {}), ...((doc.annotations as object) ?? {}), ...((override.annotations as object) ?? {}) };
  if (defaults.annotations !== undefined) fromDefaults.push('annotations');
  if (Object.keys(annotations).length > 0) tool.annotations = annotations;
  const overridden: string[] = [];
  for (const [k, v] of Object.entries(override)) {
    overridden.push(k);
    if (k !== 'annotations') tool[k] = v;
  }
  return {
    tool: tool as unknown as Tool,
    operation: m.operation,
    mounts,
    fromDefaults: fromDefaults.filter((f) => !overridden.includes(f)),
    fromOverride: key !== undefined ? { key, fields: overridden } : undefined,
    fromSource,
  };
}

/** The dialect of a document, from its `openapi` or `swagger` field. */
function detectVersion(doc: Record<string, unknown>): OpenApiVersion | undefined {
  if (typeof doc.openapi === 'string') {
    if (/^3\.0\.\d+$/.test(doc.openapi)) return '3.0';
    if (/^3\.1\.\d+$/.test(doc.openapi)) return '3.1';
    return undefined;
  }
  if (doc.swagger === '2.0') return '2.0';
  return undefined;
}
