import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { configValidator, fragmentValidator } from '../../schemas/config-validators.js';
import type { TengineConfig, Tool } from '../../schemas/config-types.js';
import { diagnostic, sortDiagnostics, type Diagnostic, type DiagnosticCode } from '../../schemas/diagnostics.js';
import { envPolicyFor, type EnvPolicy } from './env-policy.js';
import { expandGlob, isGlob } from './glob.js';
import { parseConfigFile } from './parse-config-file.js';
import { decodeConfigBytes, readConfigFile } from './read-config-file.js';
import { resolveFileEnv } from './resolve-env.js';
import { runRules } from './rules/index.js';
import { configSubjects, RejectedFields, rejectedPointers, schemaDiagnostics } from './schema-diagnostics.js';
import { SourceLocator, type FileSourceMap, type NodeLocation } from './source-map.js';

/** The outcome of loading a config: diagnostics always, the resolved config only when there is no error. */
export interface LoadedConfig {
  diagnostics: Diagnostic[];
  config?: TengineConfig;
  /**
   * The merged data (includes merged into their projects) even when it is invalid, for summaries of what the
   * files declare; undefined only when the root file could not be read or parsed.
   */
  data?: unknown;
  /** Absolute paths of every file that was read, root first. */
  files: string[];
  rootFile: string;
  rootDir: string;
  /** The names `${env:…}` references could read: the root file's env_allowlist without the refused entries. */
  envAllowlist: string[];
  /** Where a pointer of the merged config was written (file as displayed, line, column): for plan annotations. */
  locate: (pointer: string) => { file: string; line: number; column: number };
}

/** What loading reports while it works, for `--progress`: after each file read, and before the rules run. */
export type LoadProgress = { stage: 'read'; files: number; totalFiles: number; tools: number } | { stage: 'check'; tools: number };

/** Options for loading: the environment for `${env:…}` references and the directory paths are shown relative to. */
export interface LoadOptions {
  env: Record<string, string | undefined>;
  cwd: string;
  /**
   * Names allowed in addition to the root file's env_allowlist (refused names stay refused). `tengine plan` reads
   * its git baseline with the working config's list, so the change that introduces env_allowlist plans cleanly.
   */
  extraEnvAllowlist?: readonly string[];
  /** Reads standard input, for the target `-` (the config piped in; includes resolve from `cwd`). */
  readStdin?: () => Promise<Buffer>;
  /** Called as files are read and before the checks run (output/progress.ts turns it into progress lines). */
  progress?: (event: LoadProgress) => void;
}

/** How a config read from standard input is named in diagnostics and reports. */
export const STDIN_DISPLAY = '<stdin>';

const ROOT_NAMES = ['tengine.config.yaml', 'tengine.config.yml'];
const MAX_INCLUDED_FILES = 5000;
/** How many included files are being read ahead of the one being parsed. */
const READ_AHEAD = 8;

/**
 * Loads a config from a file or a directory holding `tengine.config.yaml`: reads and parses every file, validates
 * each against its schema, merges included tools into their projects, and runs the semantic rules. Never throws
 * for user mistakes; everything wrong is a diagnostic with a stable code and a position.
 */
export async function loadConfig(target: string, opts: LoadOptions): Promise<LoadedConfig> {
  const fromStdin = target === '-' && opts.readStdin !== undefined;
  const stdinFile = resolve(opts.cwd, STDIN_DISPLAY);
  const display = (abs: string) => (fromStdin && abs === stdinFile ? STDIN_DISPLAY : relative(opts.cwd, abs) || abs);
  const { file: rootFile, missingInDir } = fromStdin ? { file: stdinFile, missingInDir: undefined } : await resolveRootFile(resolve(opts.cwd, target));
  const rootDir = dirname(rootFile);
  const diagnostics: Diagnostic[] = [];
  const files = [rootFile];
  const locator = new SourceLocator();
  const rejected = new RejectedFields();
  let data: unknown;
  let policy: EnvPolicy = { env: opts.env, allowed: new Set() };
  const result = (config?: TengineConfig): LoadedConfig => ({ diagnostics: sortDiagnostics(diagnostics), config, data, files, rootFile, rootDir, envAllowlist: [...policy.allowed], locate: (p) => locator.locate(p) });
  /** Resolves one file's `${env:…}` references; returns the pointers (in that file) of the strings left unresolved. */
  const resolveEnv = (file: ParsedFile, on: SourceLocator, skip: string[] = []): Set<string> => {
    if (!file.envReferences) return new Set();
    const r = resolveFileEnv(file.data, policy, { locate: (p) => on.locate(p), aliased: file.aliasedReferences, skip });
    diagnostics.push(...r.diagnostics);
    return r.unresolved;
  };

  if (missingInDir !== undefined) {
    // The usual first-run slip: a folder without a config. Say so, rather than "cannot read …/tengine.config.yaml".
    const dir = relative(opts.cwd, missingInDir) || '.';
    diagnostics.push(
      diagnostic('TNG001', `no ${ROOT_NAMES.join(' or ')} in ${dir}`, { file: display(rootFile), line: 1, column: 1 }, `pass the config file or the directory that holds it (tengine validate path/to/config), or run tengine in that directory`),
    );
    return result();
  }
  const root = fromStdin ? parseText(decodeConfigBytes(await opts.readStdin!(), STDIN_DISPLAY), STDIN_DISPLAY) : await readAndParse(rootFile, display(rootFile));
  diagnostics.push(...root.diagnostics);
  if (root.data === undefined) return result();
  data = root.data;
  locator.mount('', display(rootFile), root.map);

  if (!isObject(root.data)) {
    diagnostics.push(diagnostic('TNG101', `the config must be a mapping, not ${kind(root.data)}`, locator.locate('')));
    return result();
  }
  if (isFragment(root.data)) {
    // An included file given as the config (`tengine validate tools/contacts.yaml`): one clear error, not a list of
    // unknown and missing root fields.
    const including = await findRootAbove(dirname(rootFile));
    diagnostics.push(
      diagnostic(
        'TNG015',
        `${display(rootFile)} is an included fragment (project: ${JSON.stringify(root.data.project)} with tools), not a root config`,
        locator.locate('/project', true),
        including ? `validate the root config that includes it: tengine validate ${relative(opts.cwd, including) || '.'}` : undefined,
      ),
    );
    return result();
  }
  // The allowlist comes first, read as written; every reference of the root file and of the fragments then
  // resolves against it.
  const envSetup = envPolicyFor(root.data, opts.env, opts.extraEnvAllowlist);
  for (const r of envSetup.refused) {
    diagnostics.push(diagnostic('TNG228', `env_allowlist lists a variable that \${env:} may never read: ${r.reason}`, locator.locate(`/env_allowlist/${r.index}`), 'remove it from env_allowlist: a value read by ${env:} is written into the bundle in clear; secrets go in encrypted_auth_secret or auth_secret_env'));
  }
  policy = envSetup.policy;
  const rootUnresolved = resolveEnv(root, locator, ['env_allowlist']);
  for (const p of rootUnresolved) rejected.add(p);

  const validate = configValidator;
  if (!validate(root.data)) {
    const errors = (validate.errors ?? []).filter((e) => !rootUnresolved.has(e.instancePath));
    diagnostics.push(...schemaDiagnostics(errors, (p, k) => locator.locate(p, k), 'config', configSubjects(root.data, 'config')));
    for (const p of rejectedPointers(errors)) rejected.add(p);
  }
  const config = root.data as unknown as TengineConfig;

  // Included fragments: each adds tools to one project of the root file.
  const includes = Array.isArray(config.include) ? config.include.filter((p): p is string => typeof p === 'string') : [];
  const fragmentFiles = await resolveIncludes(includes, rootDir, rootFile, locator, diagnostics, opts.cwd);
  const projects = Array.isArray(config.projects) ? config.projects : [];
  const validateFragment = fragmentValidator;
  let toolCount = projects.reduce((n, p) => n + (isObject(p) && Array.isArray(p.tools) ? p.tools.length : 0), 0);
  // The next few files are read while one is parsed, so parsing does not wait for the disk between files (a
  // window, not all at once: includes may name thousands of files of up to 4 MiB each).
  const reads: (Promise<Awaited<ReturnType<typeof readConfigFile>>> | undefined)[] = [];
  const readAhead = (i: number) => {
    if (i < fragmentFiles.length) reads[i] = readConfigFile(fragmentFiles[i]!, display(fragmentFiles[i]!));
  };
  for (let i = 0; i < READ_AHEAD; i++) readAhead(i);
  for (const [i, abs] of fragmentFiles.entries()) {
    files.push(abs);
    const name = display(abs);
    const read = await reads[i]!;
    reads[i] = undefined;
    readAhead(i + READ_AHEAD);
    const frag = parseText(read, name);
    if (isObject(frag.data) && Array.isArray(frag.data.tools)) toolCount += frag.data.tools.length;
    opts.progress?.({ stage: 'read', files: i + 1, totalFiles: fragmentFiles.length, tools: toolCount });
    diagnostics.push(...frag.diagnostics);
    if (frag.data === undefined) continue;
    const fragLocator = new SourceLocator();
    fragLocator.mount('', name, frag.map);
    const unresolved = resolveEnv(frag, fragLocator);
    if (!isObject(frag.data)) {
      diagnostics.push(diagnostic('TNG101', `an included file must be a mapping, not ${kind(frag.data)}`, fragLocator.locate('')));
      continue;
    }
    const valid = validateFragment(frag.data);
    const fragErrors = valid ? [] : (validateFragment.errors ?? []).filter((e) => !unresolved.has(e.instancePath));
    diagnostics.push(...schemaDiagnostics(fragErrors, (p, k) => fragLocator.locate(p, k), 'fragment', configSubjects(frag.data, 'fragment')));
    const projectId = frag.data.project;
    const tools = frag.data.tools;
    if (typeof projectId !== 'string' || !Array.isArray(tools)) continue;
    const pIndex = projects.findIndex((p) => isObject(p) && p.id === projectId);
    if (pIndex < 0) {
      diagnostics.push(diagnostic('TNG218', `project "${projectId}" is not declared in ${display(rootFile)}`, fragLocator.locate('/project')));
      continue;
    }
    const project = projects[pIndex]!;
    // The root's own `tools` may be broken (not a list): fragment tools then go nowhere, and the schema said why.
    project.tools ??= [];
    if (!Array.isArray(project.tools)) continue;
    const offset = project.tools.length;
    tools.forEach((tool, k) => {
      project.tools!.push(tool as Tool);
      locator.mount(`/projects/${pIndex}/tools/${offset + k}`, name, frag.map, `/tools/${k}`);
    });
    // The fragment's rejected fields, moved to where its tools now sit, so rules skip exactly those fields.
    for (const p of [...rejectedPointers(fragErrors), ...unresolved]) {
      const m = /^\/tools\/(\d+)(?=\/|$)/.exec(p);
      if (m) rejected.add(`/projects/${pIndex}/tools/${offset + Number(m[1])}${p.slice(m[0].length)}`);
    }
  }

  // OpenAPI sources become tools of their projects, located at their operations (cli/openapi/expand.ts).
  // The OpenAPI reader is loaded only for a config that has sources.
  if (projects.some((p) => isObject(p) && Array.isArray(p.openapi))) {
    const { expandOpenApiSources } = await import('../openapi/expand.js');
    const generated = await expandOpenApiSources({ config, rootDir, rootName: display(rootFile), rootMap: root.map, locator, display, isClean: (p) => rejected.isClean(p) });
    diagnostics.push(...generated.diagnostics);
    files.push(...generated.files);
    for (const p of generated.rejected) rejected.add(p);
  }

  opts.progress?.({ stage: 'check', tools: Array.isArray(config.projects) ? config.projects.reduce((n, p) => n + (isObject(p) && Array.isArray(p.tools) ? p.tools.length : 0), 0) : 0 });
  runRules({
    config,
    report: (code: DiagnosticCode, message: string, pointer: string, o: { key?: boolean; hint?: string } = {}) =>
      diagnostics.push(diagnostic(code, message, locator.locate(pointer, o.key), o.hint)),
    locate: (pointer: string, key?: boolean) => locator.locate(pointer, key),
    isClean: (pointer: string) => rejected.isClean(pointer),
  });

  if (diagnostics.some((d) => d.severity === 'error')) return result();
  // Build inputs, not runtime configuration: the includes are merged and the references resolved.
  delete config.include;
  delete config.$schema;
  delete config.env_allowlist;
  for (const p of config.projects ?? []) delete p.openapi;
  return result(config);
}

/** The root file for a path: the path itself, or the root file inside a directory (`missingInDir` when it has none). */
async function resolveRootFile(abs: string): Promise<{ file: string; missingInDir?: string }> {
  try {
    if ((await stat(abs)).isDirectory()) {
      for (const n of ROOT_NAMES) {
        try {
          if ((await stat(join(abs, n))).isFile()) return { file: join(abs, n) };
        } catch {
          /* try the next name */
        }
      }
      return { file: join(abs, ROOT_NAMES[0]!), missingInDir: abs };
    }
  } catch {
    /* reported when the file is read */
  }
  return { file: abs };
}

/** A fragment's shape: `project:` naming one project, plus `tools`, and none of the root-only fields. */
function isFragment(data: Record<string, any>): boolean {
  return typeof data.project === 'string' && 'tools' in data && !('projects' in data) && !('include' in data) && !('runtime' in data);
}

/** The nearest directory, `dir` or up to three levels above it, holding a root config: for the TNG015 hint. */
async function findRootAbove(dir: string): Promise<string | undefined> {
  for (let i = 0, d = dir; i < 4; i++, d = dirname(d)) {
    for (const n of ROOT_NAMES) {
      if (await stat(join(d, n)).then((s) => s.isFile(), () => false)) return d;
    }
    if (dirname(d) === d) break;
  }
  return undefined;
}

/** One file read and parsed: its data (undefined when it cannot be used), positions and what parsing found. */
interface ParsedFile {
  data: unknown;
  map: FileSourceMap;
  diagnostics: Diagnostic[];
  envReferences: boolean;
  aliasedReferences: ReadonlySet<string>;
}

async function readAndParse(abs: string, name: string): Promise<ParsedFile> {
  return parseText(await readConfigFile(abs, name), name);
}

function parseText(read: { text: string } | { diagnostic: Diagnostic }, name: string): ParsedFile {
  if ('diagnostic' in read) return { data: undefined, map: new Map(), diagnostics: [read.diagnostic], envReferences: false, aliasedReferences: new Set() };
  const parsed = parseConfigFile(read.text, name);
  // The map is built lazily: a valid file never pays for positions.
  const lazy = new LazyMap(parsed.sourceMap);
  return { data: parsed.diagnostics.some((d) => d.severity === 'error') ? undefined : parsed.data, map: lazy, diagnostics: parsed.diagnostics, envReferences: parsed.envReferences, aliasedReferences: parsed.aliasedReferences };
}

/** A Map facade that builds the real source map on first lookup. */
class LazyMap extends Map<string, NodeLocation> {
  private built = false;
  constructor(private readonly build: () => FileSourceMap) {
    super();
  }
  override get(key: string) {
    if (!this.built) {
      this.built = true;
      for (const [k, v] of this.build()) super.set(k, v);
    }
    return super.get(key);
  }
}

async function resolveIncludes(patterns: string[], rootDir: string, rootFile: string, locator: SourceLocator, diagnostics: Diagnostic[], cwd: string): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>([rootFile]);
  for (const [i, pattern] of patterns.entries()) {
    // Located only for a diagnostic: the root file's positions come from the precise parser (the `yaml` library,
    // ~70 ms to load and parse), which a config without a mistake never needs.
    const at = () => locator.locate(`/include/${i}`);
    const normalized = pattern.replace(/\\/g, '/');
    if (isAbsolute(pattern) || normalized.split('/').includes('..')) {
      diagnostics.push(diagnostic('TNG008', `include "${pattern}" must be a relative path inside ${relative(cwd, rootDir) || '.'}`, at()));
      continue;
    }
    let matches: string[];
    if (isGlob(normalized)) {
      matches = await expandGlob(rootDir, normalized);
      if (matches.length === 0) {
        diagnostics.push(diagnostic('TNG007', `include "${pattern}" matches no file`, at()));
        continue;
      }
    } else {
      const abs = join(rootDir, normalized);
      const st = await stat(abs).catch(() => undefined);
      if (st?.isDirectory()) {
        // A folder names no file: say how to include what is in it, rather than "does not exist".
        const glob = `${normalized.replace(/\/+$/, '')}/*.yaml`;
        diagnostics.push(diagnostic('TNG007', `include "${pattern}" is a directory, not a file`, at(), `include its files with a glob, e.g. ${glob}`));
        continue;
      }
      if (!st?.isFile()) {
        diagnostics.push(diagnostic('TNG007', `included file "${pattern}" does not exist`, at()));
        continue;
      }
      matches = [normalized];
    }
    for (const m of matches) {
      const abs = resolve(rootDir, m);
      if (abs === rootFile) {
        diagnostics.push(diagnostic('TNG008', `include "${pattern}" matches the root config itself`, at()));
        continue;
      }
      if (!abs.startsWith(rootDir + sep)) continue;
      if (seen.has(abs)) continue;
      seen.add(abs);
      out.push(abs);
      if (out.length > MAX_INCLUDED_FILES) {
        diagnostics.push(diagnostic('TNG008', `includes match more than ${MAX_INCLUDED_FILES} files`, at()));
        return out.slice(0, MAX_INCLUDED_FILES);
      }
    }
  }
  return out;
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function kind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
