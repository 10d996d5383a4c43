import { eachProject, eachTool, entriesOf, isObject, type RuleContext } from './context.js';

/** Scopes required by tools and granted by OAuth integrations must be declared by their project. */
export function checkScopes(ctx: RuleContext): void {
  // The scopes a project declares, or undefined when the schema rejected part of its `scopes` list: a scope
  // missing from a broken list would otherwise be reported as unknown everywhere it is used.
  const declaredByProject = new Map<unknown, Set<string> | undefined>();
  const declared = (project: Record<string, unknown>, projectPointer: string) => {
    if (!declaredByProject.has(project)) {
      const clean = ctx.isClean(`${projectPointer}/scopes`);
      const names = [...entriesOf(project.scopes)].map(([, s]) => (isObject(s) && typeof s.name === 'string' ? s.name : ''));
      declaredByProject.set(project, clean ? new Set(names) : undefined);
    }
    return declaredByProject.get(project);
  };
  for (const { project, tool, pointer, projectPointer } of eachTool(ctx)) {
    const known = declared(project, projectPointer);
    if (!known) continue;
    for (const [i, s] of entriesOf(tool.scopes)) {
      const at = `${pointer}/scopes/${i}`;
      if (typeof s === 'string' && !known.has(s) && ctx.isClean(at)) ctx.report('TNG213', `tool scope "${s}" is not declared in project "${project.id}"`, at);
    }
  }
  for (const { project, pointer: pp } of eachProject(ctx)) {
    const seen = new Set<string>();
    for (const [si, s] of entriesOf(project.scopes)) {
      if (!isObject(s) || typeof s.name !== 'string' || !ctx.isClean(`${pp}/scopes/${si}/name`)) continue;
      if (seen.has(s.name)) ctx.report('TNG215', `scope "${s.name}" is declared twice in project "${project.id}"`, `${pp}/scopes/${si}/name`);
      seen.add(s.name);
    }
    const known = declared(project, pp);
    if (!known) continue;
    for (const [si, s] of entriesOf(project.scopes)) {
      if (!isObject(s)) continue;
      for (const [i, implied] of entriesOf(s.implies)) {
        const at = `${pp}/scopes/${si}/implies/${i}`;
        if (typeof implied === 'string' && !known.has(implied) && ctx.isClean(at)) ctx.report('TNG213', `scope "${String(s.name)}" implies "${implied}", which project "${project.id}" does not declare`, at);
      }
    }
    for (const [ii, integ] of entriesOf(project.integrations)) {
      if (!isObject(integ) || integ.kind !== 'oauth') continue;
      for (const [i, s] of entriesOf(integ.scopes)) {
        const at = `${pp}/integrations/${ii}/scopes/${i}`;
        if (typeof s === 'string' && !known.has(s) && ctx.isClean(at)) {
          ctx.report('TNG213', `OAuth scope ceiling names "${s}", which project "${project.id}" does not declare`, at);
        }
      }
    }
  }
}
