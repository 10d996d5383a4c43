import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { Diagnostic, DiagnosticCode } from '../../schemas/diagnostics.js';
import { escapePointer } from '../../schemas/json-pointer.js';
import { docDiagnostic, parseOpenApiText, readOpenApiFile, type OpenApiFile } from './document.js';
import { fetchRemoteText, remoteAllowed, type RemoteFetch, type RemoteRefPolicy } from './remote.js';

/** A value inside one of the documents, with where it is written. */
export interface DocNode {
  value: unknown;
  file: OpenApiFile;
  pointer: string;
}

/** Why a `$ref` cannot be followed: a code for the diagnostic and the text. */
export interface RefProblem {
  code: Extract<DiagnosticCode, 'TNG302' | 'TNG303' | 'TNG304' | 'TNG324'>;
  message: string;
}

/**
 * Remote `$ref`s a load may follow: the policy of the source, and the GETs already made (by URL), so a document
 * named by several sources or several `$ref`s is fetched once per load.
 */
export interface RemoteRefs {
  policy: RemoteRefPolicy;
  cache: Map<string, Promise<RemoteFetch>>;
}

/** Most files one OpenAPI source may pull in through relative (or allowed remote) `$ref`s. */
const MAX_REF_FILES = 256;
/** Longest chain of `$ref`s to `$ref`s followed before calling it a loop. */
const MAX_REF_HOPS = 32;

/**
 * The root document and every file its relative `$ref`s reach (read up front, so resolution is synchronous),
 * resolving references lazily: only what the selected operations use is ever looked at, and every resolved value
 * keeps its file and pointer, so a diagnostic deep inside a schema still names its line. Remote references are
 * fetched only under a prefix the source allows (a build should not depend on the network unless the config says
 * so), their own relative references resolve against their URL under the same rule, and a file outside
 * `boundary` is never read.
 */
export class DocumentSet {
  private readonly files = new Map<string, OpenApiFile | RefProblem>();

  private constructor(
    readonly root: OpenApiFile,
    private readonly boundary: string,
    private readonly displayOf: (abs: string) => string,
    private readonly prefixes: readonly string[],
  ) {
    this.files.set(root.abs, root);
  }

  /**
   * Reads the root's relative-file `$ref` targets and fetches its allowed remote ones (transitively); problems
   * with them are reported where they are used.
   */
  static async load(root: OpenApiFile, boundary: string, displayOf: (abs: string) => string, remote?: RemoteRefs): Promise<{ set: DocumentSet; diagnostics: Diagnostic[] }> {
    const set = new DocumentSet(root, boundary, displayOf, remote?.policy.prefixes ?? []);
    const diagnostics: Diagnostic[] = [];
    const queue = [root];
    while (queue.length > 0) {
      const file = queue.shift()!;
      for (const path of externalRefs(file.data)) {
        const where = set.where(path, file);
        if ('code' in where || set.files.has(where.abs) || set.files.size >= MAX_REF_FILES) continue;
        if (where.remote) {
          const read = await fetchDocument(where.abs, remote!);
          diagnostics.push(...read.diagnostics);
          set.files.set(where.abs, read.file ?? read.problem!);
          if (read.file) queue.push(read.file);
          continue;
        }
        const read = await readOpenApiFile(where.abs, displayOf(where.abs));
        diagnostics.push(...read.diagnostics);
        if (!read.file) {
          set.files.set(where.abs, { code: 'TNG302', message: `$ref file ${displayOf(where.abs)} cannot be used (reported above)` });
          continue;
        }
        set.files.set(where.abs, read.file);
        queue.push(read.file);
      }
    }
    return { set, diagnostics };
  }

  /** Every file read, root first. */
  get readFiles(): OpenApiFile[] {
    return [...this.files.values()].filter((f): f is OpenApiFile => 'abs' in f);
  }

  /**
   * Where the file part of a `$ref` written in `from` leads: a local path inside the boundary, or an absolute URL
   * under an allowed prefix. A remote document's references resolve against its URL, so they can never name a
   * local file, and must be allowed like any other URL.
   */
  private where(path: string, from: OpenApiFile): { abs: string; remote: boolean } | RefProblem {
    const absolute = /^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('//');
    if (absolute || from.url !== undefined) {
      let url: URL;
      try {
        url = new URL(path, from.url);
      } catch {
        return from.url !== undefined || !path.startsWith('//')
          ? { code: 'TNG302', message: `$ref ${JSON.stringify(path)} is not a valid URI reference` }
          : { code: 'TNG303', message: `$ref ${JSON.stringify(path)} is remote; remote references are not fetched unless allow_remote_refs lists their prefix` };
      }
      url.hash = '';
      if ((url.protocol === 'https:' || url.protocol === 'http:') && remoteAllowed(url.href, this.prefixes)) return { abs: url.href, remote: true };
      const why = this.prefixes.length === 0 ? 'remote references are not fetched unless allow_remote_refs lists their prefix' : 'it is under no allow_remote_refs prefix';
      const shown = from.url !== undefined && !absolute ? `${JSON.stringify(path)} (${url.href})` : JSON.stringify(path);
      return { code: 'TNG303', message: `$ref ${shown} is remote; ${why}` };
    }
    const decoded = safeDecodeUri(path);
    if (decoded === undefined) return { code: 'TNG302', message: `$ref ${JSON.stringify(path)} is not a valid URI reference` };
    const abs = resolve(dirname(from.abs), decoded);
    if (isAbsolute(decoded) || !inside(abs, this.boundary)) {
      return { code: 'TNG304', message: `$ref ${JSON.stringify(path)} points outside the config directory (${this.displayOf(abs)})` };
    }
    return { abs, remote: false };
  }

  /**
   * Follows `node` while it is a `{$ref}` object, to the value it finally names. `refs` lists the nodes of the
   * chain (the `$ref` objects), for diagnostics and cycle detection by the caller.
   */
  deref(node: DocNode): { node: DocNode; refs: DocNode[] } | { problem: RefProblem; at: DocNode } {
    const refs: DocNode[] = [];
    let cur = node;
    for (let hops = 0; isRef(cur.value); hops++) {
      if (hops >= MAX_REF_HOPS) return { problem: { code: 'TNG302', message: `$ref chain longer than ${MAX_REF_HOPS} (a $ref loop?)` }, at: cur };
      const next = this.target((cur.value as { $ref: string }).$ref, cur.file);
      if ('code' in next) return { problem: next, at: { ...cur, pointer: `${cur.pointer}/$ref` } };
      refs.push(cur);
      cur = next;
    }
    return { node: cur, refs };
  }

  /** The value a `$ref` string names, resolved against the file it is written in. */
  target(ref: string, from: OpenApiFile): DocNode | RefProblem {
    const hash = ref.indexOf('#');
    const path = hash < 0 ? ref : ref.slice(0, hash);
    const fragment = hash < 0 ? '' : ref.slice(hash + 1);
    let file = from;
    if (path !== '') {
      const where = this.where(path, from);
      if ('code' in where) return { code: where.code, message: where.message.replace(JSON.stringify(path), JSON.stringify(ref)) };
      const f = this.files.get(where.abs);
      const shown = where.remote ? where.abs : this.displayOf(where.abs);
      if (!f) return { code: 'TNG302', message: `$ref ${JSON.stringify(ref)}: file ${shown} was not read (more than ${MAX_REF_FILES} files?)` };
      if ('code' in f) return { code: f.code, message: `$ref ${JSON.stringify(ref)}: ${f.message}` };
      file = f;
    }
    let pointer: string;
    try {
      pointer = decodeURIComponent(fragment);
    } catch {
      return { code: 'TNG302', message: `$ref ${JSON.stringify(ref)} has a malformed fragment` };
    }
    if (pointer !== '' && !pointer.startsWith('/')) {
      return { code: 'TNG302', message: `$ref ${JSON.stringify(ref)} uses an anchor; only JSON pointers (#/…) are supported` };
    }
    const value = at(file.data, pointer);
    if (value === MISSING) return { code: 'TNG302', message: `$ref ${JSON.stringify(ref)} names nothing in ${file.display}` };
    return { value, file, pointer };
  }
}

/** True for a `{$ref: string}` object (siblings allowed: OpenAPI 3.1 keeps them, 3.0 ignores them). */
export function isRef(v: unknown): v is { $ref: string } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { $ref?: unknown }).$ref === 'string';
}

/** The child of a node, with its pointer. */
export function child(node: DocNode, key: string | number): DocNode {
  const v = node.value as Record<string, unknown> | unknown[] | null;
  const value = v !== null && typeof v === 'object' && Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key as string] : undefined;
  return { value, file: node.file, pointer: `${node.pointer}/${escapePointer(key)}` };
}

/** Reports a reference problem at the `$ref` that caused it. */
export function refDiagnostic(problem: RefProblem, at: DocNode): Diagnostic {
  return docDiagnostic(problem.code, problem.message, at.file, at.pointer);
}

const MISSING = Symbol('missing');

function safeDecodeUri(s: string): string | undefined {
  try {
    return decodeURI(s);
  } catch {
    return undefined;
  }
}

function at(data: unknown, pointer: string): unknown {
  if (pointer === '') return data;
  let cur = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key)) return MISSING;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function inside(abs: string, boundary: string): boolean {
  const rel = relative(boundary, abs);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && !rel.split(sep).includes('..');
}

/**
 * GETs an allowed remote document (once per URL per load) and parses it like a local one. A failed GET or a body
 * that is not a usable document becomes a TNG324 problem, reported at each `$ref` that needs it.
 */
async function fetchDocument(url: string, remote: RemoteRefs): Promise<{ file?: OpenApiFile; problem?: RefProblem; diagnostics: Diagnostic[] }> {
  let pending = remote.cache.get(url);
  if (!pending) remote.cache.set(url, (pending = fetchRemoteText(url, remote.policy)));
  const got = await pending;
  if ('problem' in got) return { problem: { code: 'TNG324', message: got.problem }, diagnostics: [] };
  const parsed = parseOpenApiText(got.text, url, url, url);
  if (!parsed.file) return { problem: { code: 'TNG324', message: `${url} is not a usable YAML or JSON document (reported above)` }, diagnostics: parsed.diagnostics };
  return { file: parsed.file, diagnostics: parsed.diagnostics };
}

/** The distinct file parts of `$ref`s that leave their document (iterative walk: documents may be deep). */
function externalRefs(data: unknown): Set<string> {
  const out = new Set<string>();
  const stack = [data];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
      continue;
    }
    const ref = (v as { $ref?: unknown }).$ref;
    if (typeof ref === 'string' && !ref.startsWith('#')) {
      const path = ref.split('#')[0]!;
      if (path !== '') out.add(path);
    }
    for (const x of Object.values(v)) stack.push(x);
  }
  return out;
}
