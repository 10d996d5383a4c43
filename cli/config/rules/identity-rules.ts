import { eachProject, eachTool, entriesOf, isObject, type RuleContext } from './context.js';

/** Unique project ids, integration ids, OAuth client ids, API-key hashes and tool names. */
export function checkIdentities(ctx: RuleContext): void {
  const projects = ctx.config.projects;
  if ((projects === undefined || (Array.isArray(projects) && projects.length === 0)) && ctx.isClean('/projects')) {
    ctx.report('TNG223', 'the config declares no projects, so no tool can be served', '');
  }
  const projectIds = new Map<string, string>();
  const clientIds = new Map<string, string>();
  const keyHashes = new Map<string, string>();
  // A value the schema rejected (an id with capitals, a hash that is not hex) is reported once, by the schema.
  const cleanString = (v: unknown, pointer: string): v is string => typeof v === 'string' && ctx.isClean(pointer);
  for (const { project, pointer: pp } of eachProject(ctx)) {
    if (cleanString(project.id, `${pp}/id`)) {
      const first = projectIds.get(project.id);
      if (first) ctx.report('TNG215', `project id "${project.id}" is already used at ${where(ctx, first)}`, `${pp}/id`);
      else projectIds.set(project.id, `${pp}/id`);
    }
    const integrationIds = new Map<string, string>();
    for (const [ii, integ] of entriesOf(project.integrations)) {
      if (!isObject(integ)) continue;
      const ip = `${pp}/integrations/${ii}`;
      if (cleanString(integ.id, `${ip}/id`)) {
        const first = integrationIds.get(integ.id);
        if (first) ctx.report('TNG215', `integration id "${integ.id}" is already used in project "${project.id}" at ${where(ctx, first)}`, `${ip}/id`);
        else integrationIds.set(integ.id, `${ip}/id`);
      }
      if (integ.kind === 'oauth' && cleanString(integ.client_id, `${ip}/client_id`)) {
        const first = clientIds.get(integ.client_id);
        if (first) ctx.report('TNG215', `OAuth client_id "${integ.client_id}" is already used at ${where(ctx, first)}`, `${ip}/client_id`, { hint: 'client ids must be unique across the whole config' });
        else clientIds.set(integ.client_id, `${ip}/client_id`);
      }
      if (integ.kind === 'api_key') {
        for (const [ki, key] of entriesOf(integ.api_keys)) {
          const kp = `${ip}/api_keys/${ki}/sha256`;
          if (!isObject(key) || !cleanString(key.sha256, kp)) continue;
          const first = keyHashes.get(key.sha256);
          if (first) ctx.report('TNG224', `this API key hash is already listed at ${where(ctx, first)}`, kp);
          else keyHashes.set(key.sha256, kp);
        }
      }
    }
  }
  const toolNames = new Map<string, string>();
  // Identity = `id`, else the name: what `tengine plan` follows across renames, so it must be unique too.
  const identities = new Map<string, { pointer: string; explicit: boolean }>();
  let currentProject: unknown;
  for (const { project, tool, pointer } of eachTool(ctx)) {
    if (project !== currentProject) {
      toolNames.clear();
      identities.clear();
      currentProject = project;
    }
    const explicit = typeof tool.id === 'string' && ctx.isClean(`${pointer}/id`);
    const identity = explicit ? (tool.id as string) : typeof tool.name === 'string' ? tool.name : undefined;
    if (identity !== undefined) {
      const seen = identities.get(identity);
      // Two tools without id sharing a name are TNG200 already; report identity clashes that involve an id.
      if (seen && (explicit || seen.explicit)) {
        ctx.report('TNG226', `tool identity "${identity}" is already used in project "${project.id}" at ${where(ctx, seen.pointer)}`, explicit ? `${pointer}/id` : `${pointer}/name`);
      } else if (!seen) identities.set(identity, { pointer: explicit ? `${pointer}/id` : `${pointer}/name`, explicit });
    }
    if (!cleanString(tool.name, `${pointer}/name`)) continue;
    // The runtime serves built-in tools (mcp_whoami) in every project; a declared one would shadow or be shadowed.
    if (tool.name.toLowerCase().startsWith('mcp_')) ctx.report('TNG225', `tool name "${tool.name}" is reserved for built-in tools`, `${pointer}/name`);
    const first = toolNames.get(tool.name);
    if (first) ctx.report('TNG200', `tool "${tool.name}" is already declared in project "${project.id}" at ${where(ctx, first)}`, `${pointer}/name`);
    else toolNames.set(tool.name, `${pointer}/name`);
  }
}

/** "file:line:column" of a pointer, for messages that point at the first occurrence. */
export function where(ctx: RuleContext, pointer: string): string {
  const l = ctx.locate(pointer);
  return `${l.file}:${l.line}:${l.column}`;
}
