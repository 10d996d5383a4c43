import type { Project, TengineConfig, Tool } from '../../schemas/config-types.js';
import { diffApiKeys, diffAssertionKeys, diffIntegrations, diffRuntime, projectFields } from './diff-access.js';
import { addedToolFields, diffToolFields, toolIdentity } from './diff-tool.js';
import type { Action, PlanChange, Subject } from './types.js';

const SUBJECT_ORDER: Subject[] = ['runtime', 'project', 'tool', 'integration', 'api_key', 'assertion_key'];
const ACTION_ORDER: Action[] = ['remove', 'rename', 'change', 'add'];

/**
 * The changes from `before` to `after` on the surface a model and a security reviewer care about: runtime
 * settings; per project, the project's own fields, its tools (followed by identity, so a rename is a rename),
 * integrations, API keys and assertion keys. Secrets and hashes are masked in the result. Pure: the same two
 * configs always give the same list, sorted by project id, then subject kind, then name.
 */
export function diffConfigs(before: TengineConfig, after: TengineConfig): PlanChange[] {
  const out: PlanChange[] = [...diffRuntime(before.runtime, after.runtime)];
  const pb = new Map((before.projects ?? []).map((p) => [p.id, p]));
  const pa = new Map((after.projects ?? []).map((p) => [p.id, p]));
  for (const id of [...new Set([...pb.keys(), ...pa.keys()])]) out.push(...diffProject(id, pb.get(id), pa.get(id)));
  return sortChanges(out);
}

function diffProject(id: string, b: Project | undefined, a: Project | undefined): PlanChange[] {
  const out: PlanChange[] = [];
  const fields = projectFields(b, a);
  const base = { project: id, subject: 'project' as const, name: id, previous_name: null, identity: null, parent: null };
  if (!b) out.push({ ...base, action: 'add', fields });
  else if (!a) out.push({ ...base, action: 'remove', fields: [] });
  else if (fields.length) out.push({ ...base, action: 'change', fields });
  out.push(...diffTools(id, b?.tools ?? [], a?.tools ?? []));
  out.push(...diffIntegrations(id, b?.integrations ?? [], a?.integrations ?? []));
  out.push(...diffApiKeys(id, b?.integrations ?? [], a?.integrations ?? []));
  out.push(...diffAssertionKeys(id, b?.assertion_keys ?? [], a?.assertion_keys ?? []));
  return out;
}

/**
 * Tools are paired by identity (`id`, else name); tools left over on both sides with the same name are then
 * paired too, so giving an existing tool an `id` shows as a changed identity instead of a removal and an addition.
 */
function diffTools(project: string, before: Tool[], after: Tool[]): PlanChange[] {
  const byIdentity = (list: Tool[]) => {
    const m = new Map<string, Tool>();
    // Identities are unique in a valid config; a duplicate is kept apart rather than silently dropped.
    for (const t of list) m.set(m.has(toolIdentity(t)) ? `${toolIdentity(t)}\u0000${t.name}` : toolIdentity(t), t);
    return m;
  };
  const mb = byIdentity(before);
  const ma = byIdentity(after);
  const pairs: Array<[Tool, Tool]> = [];
  for (const [k, b] of mb) {
    const a = ma.get(k);
    if (!a) continue;
    pairs.push([b, a]);
    mb.delete(k);
    ma.delete(k);
  }
  for (const [kb, b] of mb) {
    const match = [...ma].find(([, a]) => a.name === b.name);
    if (!match) continue;
    pairs.push([b, match[1]]);
    mb.delete(kb);
    ma.delete(match[0]);
  }
  const base = (t: Tool) => ({ project, subject: 'tool' as const, name: t.name, previous_name: null, identity: toolIdentity(t), parent: null });
  const out: PlanChange[] = [];
  for (const b of mb.values()) out.push({ ...base(b), action: 'remove', fields: [] });
  for (const a of ma.values()) out.push({ ...base(a), action: 'add', fields: addedToolFields(a) });
  for (const [b, a] of pairs) {
    const fields = diffToolFields(b, a);
    if (b.name !== a.name) out.push({ ...base(a), action: 'rename', previous_name: b.name, fields });
    else if (fields.length) out.push({ ...base(a), action: 'change', fields });
  }
  return out;
}

/** Sorts changes by project (runtime first), subject kind, name, then action. */
export function sortChanges<T extends PlanChange>(changes: T[]): T[] {
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return [...changes].sort(
    (x, y) =>
      cmp(x.project ?? '', y.project ?? '') ||
      SUBJECT_ORDER.indexOf(x.subject) - SUBJECT_ORDER.indexOf(y.subject) ||
      cmp(x.parent ?? '', y.parent ?? '') ||
      cmp(x.name, y.name) ||
      ACTION_ORDER.indexOf(x.action) - ACTION_ORDER.indexOf(y.action),
  );
}
