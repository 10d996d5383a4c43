/** A 1-based line and column in a file. */
export interface Position {
  line: number;
  column: number;
}

/** Where a value (and, for object members, its key) starts in one file. */
export interface NodeLocation {
  value: Position;
  key?: Position;
}

/** JSON-pointer → location for one parsed file. */
export type FileSourceMap = Map<string, NodeLocation>;

export { escapePointer } from '../../schemas/json-pointer.js';

/** A location resolved to a file, for diagnostics. */
export interface Located extends Position {
  file: string;
  /** The JSON pointer inside `file`, for files that are not config files (OpenAPI documents). */
  pointer?: string;
}

interface Mount {
  file: string;
  map: FileSourceMap;
  localPrefix: string;
  showPointer: boolean;
}

/**
 * Maps pointers in the merged config back to the file that declared them. The root file is mounted at "" and each
 * included tool at its merged position, so a diagnostic on `/projects/0/tools/12/name` names the fragment's line.
 */
export class SourceLocator {
  private readonly mounts = new Map<string, Mount>();

  /** Declares that the merged subtree at `mergedPrefix` came from `localPrefix` of `file`. */
  mount(mergedPrefix: string, file: string, map: FileSourceMap, localPrefix = '', opts: { showPointer?: boolean } = {}): void {
    this.mounts.set(mergedPrefix, { file, map, localPrefix, showPointer: opts.showPointer ?? false });
  }

  /** The position of the value (or of its key when `preferKey`) at a merged pointer, falling back to ancestors. */
  locate(pointer: string, preferKey = false): Located {
    let prefix = pointer;
    for (;;) {
      const m = this.mounts.get(prefix);
      if (m) return locateIn(m, m.localPrefix + pointer.slice(prefix.length), preferKey);
      if (prefix === '') return { file: '<unknown>', line: 1, column: 1 };
      prefix = prefix.slice(0, prefix.lastIndexOf('/'));
    }
  }
}

function locateIn(m: Mount, local: string, preferKey: boolean): Located {
  let p = local;
  for (;;) {
    const loc = m.map.get(p);
    if (loc) {
      const pos = preferKey && loc.key ? loc.key : loc.value;
      return m.showPointer ? { file: m.file, ...pos, pointer: p } : { file: m.file, ...pos };
    }
    if (p === '' || p === m.localPrefix) return m.showPointer ? { file: m.file, line: 1, column: 1, pointer: p } : { file: m.file, line: 1, column: 1 };
    p = p.slice(0, p.lastIndexOf('/'));
    preferKey = false;
  }
}
