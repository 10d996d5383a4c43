import type { TengineConfig } from '../../schemas/config-types.js';
import { renderPlanHuman } from './render-human.js';
import type { ClassifiedChange, Plan } from './types.js';

/** Where a change shows on the pull request diff. */
export type LocateChange = (c: ClassifiedChange) => { file: string; line: number } | undefined;

const data = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const prop = (s: string) => data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/**
 * `plan --format github`: one workflow-command annotation per change, at the line of the changed tool (or
 * integration, or project) in the working config, so the review shows it next to the diff: `warning` for an
 * unaccepted breaking or security change, `notice` for the rest. A removed subject has no line any more; it is
 * annotated at its project, or without a position. The human plan follows, for the log.
 */
export function renderPlanGithub(plan: Plan, locate: LocateChange): string {
  let out = '';
  for (const c of plan.changes) {
    const level = c.severity === 'benign' ? 'notice' : 'warning';
    const where = locate(c);
    const pos = where ? `file=${prop(where.file)},line=${where.line},` : '';
    const what = `${c.action} ${c.subject.replace('_', ' ')} ${c.previous_name ? `${c.previous_name} → ` : ''}${c.name}${c.project ? ` (project ${c.project})` : ''}`;
    const title = `tengine plan: ${c.severity}${c.accepted ? ' (accepted)' : ''}`;
    const rules = c.rules.map((h) => `${h.rule}: ${h.message}${h.accepted ? ' (accepted)' : ''}`);
    out += `::${level} ${pos}title=${prop(title)}::${data([what, ...rules].join('\n'))}\n`;
  }
  return out + renderPlanHuman(plan, false);
}

/** Finds a change's subject in the working config and asks `locate` (a pointer → position lookup) for its line. */
export function changeLocator(config: TengineConfig, locate: (pointer: string) => { file: string; line: number }): LocateChange {
  return (c) => {
    const projects = (config.projects ?? []) as Array<{ id: string; tools?: Array<{ name: string }>; integrations?: Array<{ id: string }> }>;
    if (c.project === null) return config.runtime ? locate('/runtime') : undefined;
    const p = projects.findIndex((x) => x.id === c.project);
    if (p < 0) return undefined;
    if (c.subject === 'tool') {
      const t = (projects[p]!.tools ?? []).findIndex((x) => x.name === c.name);
      if (t >= 0) return locate(`/projects/${p}/tools/${t}`);
    } else if (c.subject === 'integration' || c.subject === 'api_key') {
      const id = c.subject === 'integration' ? c.name : c.parent;
      const i = (projects[p]!.integrations ?? []).findIndex((x) => x.id === id);
      if (i >= 0) return locate(`/projects/${p}/integrations/${i}`);
    }
    return locate(`/projects/${p}`);
  };
}
