import { createHash } from 'node:crypto';

/** What a tool name is derived from, in order of preference. */
export interface NameSource {
  method: string;
  path: string;
  operationId?: string;
  summary?: string;
  /** `x-tengine-name` or an override: used as written (the schema and TNG201 check it). */
  explicit?: string;
}

const MAX = 64;

/**
 * A tool name from the operationId, else the summary, else method + path: characters outside `A-Za-z0-9_.-`
 * become `_` (runs collapsed, ends trimmed), at most 64 characters, never starting with the reserved `mcp_`.
 */
export function baseName(src: NameSource, prefix = ''): { name: string; verbatim: boolean } {
  if (src.explicit !== undefined) return { name: src.explicit, verbatim: true };
  const raw = src.operationId?.trim() || slug(src.summary ?? '') || `${src.method.toLowerCase()}_${src.path}`;
  let name = sanitize(raw);
  if (name === '') name = sanitize(`${src.method.toLowerCase()}_${src.path}`) || src.method.toLowerCase();
  name = `${prefix}${name}`;
  if (/^mcp_/i.test(name)) name = `op_${name}`;
  const verbatim = src.operationId !== undefined && `${prefix}${src.operationId}` === name && name.length <= MAX;
  return { name: name.slice(0, MAX), verbatim };
}

/** Summaries read as sentences: `Get a pet by ID` → `get_a_pet_by_id`. */
function slug(summary: string): string {
  return summary.trim().toLowerCase().replace(/\s+/g, '_');
}

function sanitize(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/_+/g, '_').replace(/^[_.-]+|[_.-]+$/g, '');
}

/** The stable suffix for a name shared by several operations: 6 hex digits of SHA-256 over `METHOD /path`. */
export function operationHash(method: string, path: string): string {
  return createHash('sha256').update(`${method.toUpperCase()} ${path}`).digest('hex').slice(0, 6);
}

/** The name with the operation's hash appended, shortened so the whole stays within 64 characters. */
export function disambiguated(name: string, method: string, path: string): string {
  const suffix = `_${operationHash(method, path)}`;
  return `${name.slice(0, MAX - suffix.length).replace(/[_.-]+$/, '')}${suffix}`;
}

/**
 * Makes names unique. Within a group of operations sharing a name, the one whose operationId is the name as
 * written keeps it, if exactly one does; every other member gets its own hash suffix. A name therefore depends
 * only on the operations that share it: adding an unrelated operation never renames a tool.
 */
export function uniqueNames<T extends { name: string; verbatim: boolean; method: string; path: string }>(items: T[]): { item: T; name: string; collided: boolean }[] {
  const groups = new Map<string, T[]>();
  for (const it of items) {
    const key = it.name.toLowerCase();
    groups.set(key, [...(groups.get(key) ?? []), it]);
  }
  return items.map((item) => {
    const group = groups.get(item.name.toLowerCase())!;
    if (group.length === 1) return { item, name: item.name, collided: false };
    const keepers = group.filter((g) => g.verbatim && g.name === item.name);
    const keeps = keepers.length === 1 && keepers[0] === item;
    return { item, name: keeps ? item.name : disambiguated(item.name, item.method, item.path), collided: true };
  });
}
