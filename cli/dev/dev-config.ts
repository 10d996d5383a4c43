import type { ApiKeyIntegration, Project, TengineConfig } from '../../schemas/config-types.js';
import { CliError } from '../io.js';

/** The config `tengine dev` serves, and what it changed to get there. */
export interface DevConfig {
  config: TengineConfig;
  /** The development project and api_key integration that accept the development key. */
  project: string;
  integration: string;
  /** Tools of the served projects. */
  tools: number;
  /** Production projects left out of the dev bundle. */
  skippedProduction: string[];
  /** Other development projects: served, but the development key is not theirs. */
  otherDevelopment: string[];
}

/** The label the development key gets in the bundle, so it is recognisable in logs and in `tengine verify`. */
export const DEV_KEY_NAME = 'tengine dev (local development key)';

/**
 * Derives the config `tengine dev` serves from a validated config, without changing the input:
 *
 * - only `environment: development` projects are kept. Production projects are never touched or served locally:
 *   their upstreams are real systems, and their secrets are not meant for a developer machine.
 * - the development key's hash is added to the first `api_key` integration of one development project: the one
 *   named by `projectId`, else the first that has such an integration. One project only, because a key hash
 *   identifies exactly one project and integration (a hash listed twice is TNG224 and would make the caller
 *   ambiguous).
 */
export function prepareDevConfig(input: TengineConfig, keySha256: string, projectId?: string): DevConfig {
  const projects = input.projects ?? [];
  const development = projects.filter((p) => p.environment === 'development');
  if (development.length === 0) {
    throw new CliError(
      'DEV_NO_DEVELOPMENT_PROJECT',
      projects.length === 0 ? 'the config declares no project' : `no project is marked environment: development (${projects.map((p) => `"${p.id}"`).join(', ')} ${projects.length === 1 ? 'is' : 'are'} production)`,
      'tengine dev serves development projects only: add `environment: development` to a project meant for local use; deploy production projects with tengine build and a runtime',
    );
  }
  let target: Project | undefined;
  if (projectId !== undefined) {
    target = projects.find((p) => p.id === projectId);
    if (!target) {
      throw new CliError('BAD_ARGUMENT', `--project "${projectId}" is not a project of this config`, `development projects: ${development.map((p) => p.id).join(', ')}`);
    }
    if (target.environment !== 'development') {
      throw new CliError('DEV_NO_DEVELOPMENT_PROJECT', `project "${projectId}" is a production project`, `tengine dev serves development projects only; choose one of: ${development.map((p) => p.id).join(', ')}`);
    }
  } else {
    target = development.find((p) => firstApiKeyIntegration(p)) ?? development[0];
  }
  const integration = firstApiKeyIntegration(target!);
  if (!integration) {
    throw new CliError(
      'DEV_NO_API_KEY_INTEGRATION',
      `development project "${target!.id}" has no api_key integration to add the development key to`,
      'add one to the project, e.g. `integrations: [{id: local, kind: api_key, api_keys: []}]`',
    );
  }
  for (const p of projects) {
    for (const i of p.integrations ?? []) {
      if (i.kind === 'api_key' && (p !== target || i !== integration) && (i.api_keys ?? []).some((k) => k.sha256 === keySha256)) {
        throw new CliError(
          'DEV_API_KEY_CONFLICT',
          `the development key is already listed in integration "${i.id}" of project "${p.id}"`,
          'remove that hash from the config (development keys belong in .tengine/dev only), or delete .tengine/dev/api-key to get a new key',
        );
      }
    }
  }

  const config = structuredClone(input);
  config.projects = (config.projects ?? []).filter((p) => p.environment === 'development');
  const servedTarget = config.projects.find((p) => p.id === target!.id)!;
  const servedIntegration = firstApiKeyIntegration(servedTarget)!;
  servedIntegration.api_keys ??= [];
  if (!servedIntegration.api_keys.some((k) => k.sha256 === keySha256)) servedIntegration.api_keys.push({ sha256: keySha256, name: DEV_KEY_NAME });

  return {
    config,
    project: target!.id,
    integration: integration.id,
    tools: config.projects.reduce((n, p) => n + (p.tools?.length ?? 0), 0),
    skippedProduction: projects.filter((p) => p.environment !== 'development').map((p) => p.id),
    otherDevelopment: development.filter((p) => p !== target).map((p) => p.id),
  };
}

/** Every `base_url` the served tools call, to tell whether the demo upstream is needed. */
export function toolOrigins(config: TengineConfig): Set<string> {
  return new Set((config.projects ?? []).flatMap((p) => (p.tools ?? []).map((t) => t.base_url)));
}

function firstApiKeyIntegration(p: Project): ApiKeyIntegration | undefined {
  return (p.integrations ?? []).find((i): i is ApiKeyIntegration => i.kind === 'api_key');
}
