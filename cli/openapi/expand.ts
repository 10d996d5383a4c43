import { isAbsolute, join } from 'node:path';
import { toolValidator as validateTool } from '../../schemas/config-validators.js';
import type { OpenApiSource, TengineConfig, Tool } from '../../schemas/config-types.js';
import { diagnostic, type Diagnostic } from '../../schemas/diagnostics.js';
import { escapePointer } from '../../schemas/json-pointer.js';
import { configSubjects, rejectedPointers, schemaDiagnostics } from '../config/schema-diagnostics.js';
import type { FileSourceMap, SourceLocator } from '../config/source-map.js';
import { MAX_OPENAPI_FILE_BYTES, readOpenApiFile } from './document.js';
import { generateTools } from './generate.js';
import { DocumentSet, type RemoteRefs } from './refs.js';
import { checkRemotePrefix, REMOTE_REF_TIMEOUT_MS, type RemoteFetch } from './remote.js';

/** What expansion needs from the config loader. */
export interface ExpandInput {
  config: TengineConfig;
  rootDir: string;
  /** The root config file as shown in diagnostics, and its source map (for defaults and overrides). */
  rootName: string;
  rootMap: FileSourceMap;
  locator: SourceLocator;
  display(abs: string): string;
  isClean(pointer: string): boolean;
}

/** Diagnostics of the expansion, the documents read, and the tool fields the tool schema rejected. */
export interface ExpandResult {
  diagnostics: Diagnostic[];
  files: string[];
  rejected: string[];
}

/**
 * Expands every project's `openapi` sources into tools appended to the project's `tools`, so the rules, `plan`
 * and `build` see them like hand-written ones. Each generated tool is mounted on the locator at its operation
 * (and its parts at the parameters, schemas and config keys they came from), so every later diagnostic about it
 * names the document's file, line, column and JSON pointer.
 */
export async function expandOpenApiSources(input: ExpandInput): Promise<ExpandResult> {
  const out: ExpandResult = { diagnostics: [], files: [], rejected: [] };
  const fetched = new Map<string, Promise<RemoteFetch>>();
  const projects = Array.isArray(input.config.projects) ? input.config.projects : [];
  for (const [pi, project] of projects.entries()) {
    if (typeof project !== 'object' || project === null || !Array.isArray(project.openapi)) continue;
    const sources = project.openapi;
    const scopes = new Set((Array.isArray(project.scopes) ? project.scopes : []).map((s) => s?.name).filter((n): n is string => typeof n === 'string'));
    for (const [si, source] of sources.entries()) {
      const srcPtr = `/projects/${pi}/openapi/${si}`;
      if (!input.isClean(srcPtr) || typeof source !== 'object' || source === null) continue;
      const report = (d: Diagnostic) => out.diagnostics.push(d);
      const configAt = (p: string, key = false) => input.locator.locate(p, key);
      const path = source.document.replace(/\\/g, '/');
      if (isAbsolute(source.document) || path.split('/').includes('..')) {
        report(diagnostic('TNG301', `document "${source.document}" must be a relative path inside the config directory`, configAt(`${srcPtr}/document`)));
        continue;
      }
      const remote = remotePolicy(source.allow_remote_refs, `${srcPtr}/allow_remote_refs`, fetched, report, configAt);
      if (remote === 'invalid') continue;
      const abs = join(input.rootDir, path);
      const read = await readOpenApiFile(abs, input.display(abs));
      if (read.diagnostics.length > 0 && !read.file) {
        // A missing file is reported where the config names it; a broken one at its own position.
        for (const d of read.diagnostics) report(d.code === 'TNG001' ? diagnostic('TNG001', d.message, configAt(`${srcPtr}/document`)) : d);
        continue;
      }
      out.diagnostics.push(...read.diagnostics);
      out.files.push(abs);
      const loaded = await DocumentSet.load(read.file!, input.rootDir, input.display, remote);
      out.diagnostics.push(...loaded.diagnostics);
      // Fetched documents are not files of the config directory (build metadata checks those with git).
      for (const f of loaded.set.readFiles.slice(1)) if (f.url === undefined) out.files.push(f.abs);
      const generated = generateTools(loaded.set, source as OpenApiSource, report, scopes);
      for (const key of generated.unmatchedOverrides) {
        report(diagnostic('TNG314', `override "${key}" matches no operation of ${source.document}`, configAt(`${srcPtr}/overrides/${escapePointer(key)}`, true)));
      }
      project.tools ??= [];
      if (!Array.isArray(project.tools)) continue;
      for (const g of generated.tools) {
        const ti = project.tools.length;
        const toolPtr = `/projects/${pi}/tools/${ti}`;
        project.tools.push(g.tool as Tool);
        const op = g.operation.node;
        input.locator.mount(toolPtr, op.file.display, op.file.map, op.pointer, { showPointer: true });
        for (const m of g.mounts) input.locator.mount(`${toolPtr}${m.at}`, m.node.file.display, m.node.file.map, m.node.pointer, { showPointer: true });
        for (const f of g.fromSource) input.locator.mount(`${toolPtr}/${f}`, input.rootName, input.rootMap, `${srcPtr}/${f}`);
        for (const f of g.fromDefaults) input.locator.mount(`${toolPtr}/${f}`, input.rootName, input.rootMap, `${srcPtr}/defaults/${f}`);
        if (g.fromOverride) {
          for (const f of g.fromOverride.fields) input.locator.mount(`${toolPtr}/${f}`, input.rootName, input.rootMap, `${srcPtr}/overrides/${escapePointer(g.fromOverride.key)}/${f}`);
        }
        // The tool schema applies the defaults every tool gets and catches what the mapping cannot (a name an
        // override made invalid, a bad base_url type), reported where each part came from.
        if (!validateTool(g.tool)) {
          const errors = (validateTool.errors ?? []).map((e) => ({ ...e, instancePath: `${toolPtr}${e.instancePath}` }));
          out.diagnostics.push(...schemaDiagnostics(errors, (p, k) => input.locator.locate(p, k), 'config', configSubjects(input.config, 'config')));
          out.rejected.push(...rejectedPointers(errors));
        }
      }
    }
  }
  return out;
}

/** The remote-`$ref` policy of a source, or 'invalid' after reporting each unusable prefix (TNG323) at its entry. */
function remotePolicy(
  list: string[] | undefined,
  at: string,
  cache: Map<string, Promise<RemoteFetch>>,
  report: (d: Diagnostic) => void,
  configAt: (p: string) => ReturnType<SourceLocator['locate']>,
): RemoteRefs | undefined | 'invalid' {
  if (!list || list.length === 0) return undefined;
  const prefixes: string[] = [];
  let invalid = false;
  for (const [i, raw] of list.entries()) {
    const checked = checkRemotePrefix(raw);
    if ('problem' in checked) {
      report(diagnostic('TNG323', `allow_remote_refs entry ${checked.problem}`, configAt(`${at}/${i}`)));
      invalid = true;
    } else prefixes.push(checked.prefix);
  }
  return invalid ? 'invalid' : { policy: { prefixes, timeoutMs: REMOTE_REF_TIMEOUT_MS, maxBytes: MAX_OPENAPI_FILE_BYTES }, cache };
}
