import type { TengineConfig } from '../../../schemas/config-types.js';
import { isLoopbackHost } from '../../config/rules/url-rules.js';
import { CliError } from '../../io.js';

/** What a running runtime reports about the bundle it serves. */
export interface RuntimeSnapshot {
  config: TengineConfig;
  digest: string;
}

/**
 * Fetches the active surface from a running runtime (`GET /api/v1/admin/surface`, admin token), so a plan shows what
 * a deploy would change in production rather than against a branch that may not be what is running.
 */
export async function snapshotFromRuntime(baseUrl: string, adminToken: string | undefined, fetchImpl: typeof fetch = fetch): Promise<RuntimeSnapshot> {
  if (!adminToken) throw new CliError('PLAN_ADMIN_TOKEN_MISSING', 'comparing against a runtime needs its admin token', 'set TENGINE_ADMIN_TOKEN (the value the runtime was started with)');
  let url: URL;
  try {
    // Relative to the base, so a runtime served under a path prefix behind a proxy keeps it.
    url = new URL('api/v1/admin/surface', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error();
  } catch {
    throw new CliError('PLAN_RUNTIME_URL_INVALID', `"${baseUrl}" is not a runtime URL`, 'pass --against runtime:https://mcp.example.com');
  }
  // The admin token reads the whole served config: it never travels in clear text beyond this machine.
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new CliError('PLAN_RUNTIME_URL_INVALID', `${url.origin} is plain http://: the admin token would cross the network in clear text`, 'use the https:// URL of the runtime (http:// only for localhost and 127.0.0.1)');
  }
  let res: Response;
  try {
    res = await fetchImpl(url, { headers: { Authorization: `Bearer ${adminToken}`, Accept: 'application/json' }, signal: AbortSignal.timeout(15_000), redirect: 'error' });
  } catch (e) {
    throw new CliError('PLAN_RUNTIME_UNREACHABLE', `cannot reach ${url.origin}: ${(e as Error).message}`, 'check the URL and that the runtime is up');
  }
  if (res.status === 401) throw new CliError('PLAN_RUNTIME_UNAUTHORIZED', 'the runtime refused the admin token', 'use the TENGINE_ADMIN_TOKEN the runtime was started with');
  if (res.status === 404) throw new CliError('PLAN_RUNTIME_NO_ADMIN', 'the runtime has no admin endpoint enabled', 'start the runtime with TENGINE_ADMIN_TOKEN set');
  if (!res.ok) throw new CliError('PLAN_RUNTIME_ERROR', `the runtime answered HTTP ${res.status}`, 'check the runtime logs');
  const body = (await res.json().catch(() => undefined)) as { format_version?: number; bundle_digest?: string; config?: TengineConfig } | undefined;
  if (body?.format_version !== 1 || typeof body.bundle_digest !== 'string' || typeof body.config !== 'object' || body.config === null) {
    throw new CliError('PLAN_RUNTIME_ERROR', 'the runtime answered with an unexpected document', 'upgrade tengine or the runtime so their versions match');
  }
  return { config: body.config, digest: body.bundle_digest };
}
