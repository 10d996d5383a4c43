import { eachTool, isObject, type RuleContext } from './context.js';

/** Scopes required by tools and granted by OAuth integrations must be declared by their project. */
export function checkScopes(ctx: RuleContext): void {
  const declaredByProject = new Map<unknown, Set<string>>();
  const declared = (project: Record<string, unknown>) => {
    let set = declaredByProject.get(project);
    if (!set) {
      set = new Set((Array.isArray(project.scopes) ? project.scopes : []).map((s) => (isObject(s) ? String(s.name) : '')));
      declaredByProject.set(project, set);
    }
    return set;
  };
  for (const { project, tool, pointer } of eachTool(ctx)) {
    const known = declared(project as unknown as Record<string, unknown>);
    (Array.isArray(tool.scopes) ? tool.scopes : []).forEach((s, i) => {
      if (typeof s === 'string' && !known.has(s)) ctx.report('TNG213', `tool scope "${s}" is not declared in project "${project.id}"`, `${pointer}/scopes/${i}`);
    });
  }
  for (const [pi, project] of (ctx.config.projects ?? []).entries()) {
    if (!isObject(project)) continue;
    const known = declared(project);
    const seen = new Set<string>();
    (project.scopes ?? []).forEach((s, si) => {
      if (!isObject(s) || typeof s.name !== 'string') return;
      if (seen.has(s.name)) ctx.report('TNG215', `scope "${s.name}" is declared twice in project "${project.id}"`, `/projects/${pi}/scopes/${si}/name`);
      seen.add(s.name);
    });
    for (const [ii, integ] of (project.integrations ?? []).entries()) {
      if (!isObject(integ) || integ.kind !== 'oauth' || !Array.isArray(integ.scopes)) continue;
      integ.scopes.forEach((s, i) => {
        if (typeof s === 'string' && !known.has(s)) {
          ctx.report('TNG213', `OAuth scope ceiling names "${s}", which project "${project.id}" does not declare`, `/projects/${pi}/integrations/${ii}/scopes/${i}`);
        }
      });
    }
  }
}
