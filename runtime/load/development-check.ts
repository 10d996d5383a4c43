import type { TengineConfig } from '../../schemas/config-types.js';
import { RuntimeBootError } from '../boot-types.js';
import { BOOT_EXIT } from './boot-exit-codes.js';

/** The ids of the bundle's `environment: development` projects, in config order. */
export function developmentProjects(config: TengineConfig): string[] {
  return (config.projects ?? []).filter((p) => p.environment === 'development').map((p) => p.id);
}

/**
 * Refuses a bundle holding development projects unless the runtime was started to serve them (`tengine dev`, or
 * --allow-development). A development project mints member sessions from a bare `member_external_id`, without any
 * signed assertion, so one such project on a production runtime lets any holder of its API key act as any member.
 * The check runs right after the signature, before secrets are resolved: it is a property of the bundle alone.
 */
export function checkDevelopmentProjects(config: TengineConfig, allow: boolean | undefined, log: ((entry: Record<string, unknown>) => void) | undefined): void {
  const ids = developmentProjects(config);
  if (ids.length === 0) return;
  const named = ids.map((id) => `"${id}"`).join(', ');
  const these = ids.length === 1 ? `project ${named}` : `projects ${named}`;
  if (!allow) {
    throw new RuntimeBootError(
      'DEVELOPMENT_BUNDLE',
      `the bundle holds environment: development ${these}, which mint member sessions from a bare member_external_id; a production runtime does not serve them`,
      BOOT_EXIT.DEVELOPMENT_BUNDLE,
      'build production bundles from projects marked environment: production (serve development projects locally with tengine dev), or pass --allow-development (TENGINE_ALLOW_DEVELOPMENT=true) on a runtime only developers reach',
    );
  }
  log?.({
    level: 'warn',
    event: 'development_projects',
    projects: ids,
    message: `serving environment: development ${these}: member sessions are minted from a bare member_external_id and loopback http upstreams are called; never let real users reach this runtime`,
  });
}
