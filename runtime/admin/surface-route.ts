import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import type { TengineConfig } from '../../schemas/config-types.js';
import { redactConfig } from '../../schemas/redact-config.js';
import type { RuntimeModel } from '../load/runtime-model.js';

/** What the admin surface endpoint serves. */
export interface AdminSurfaceDeps {
  model: RuntimeModel;
  /** The served config (from the verified bundle). */
  config: TengineConfig;
  /** SHA-256 of the admin token; the endpoint answers 404 when undefined (admin access disabled). */
  adminTokenSha256?: Buffer;
}

/** Version of the admin surface document. */
export const ADMIN_SURFACE_FORMAT_VERSION = 1;

/**
 * `GET /api/v1/admin/surface`: the active bundle digest and a redacted copy of the served configuration, for
 * `tengine plan --against runtime:<url>`. Authenticated by the admin token (TENGINE_ADMIN_TOKEN), compared by hash
 * in constant time; disabled (404) unless a token is configured, so it never exists by accident.
 */
export function adminSurfaceHandler(deps: AdminSurfaceDeps) {
  // Redacted once, at the first authorized request: the bundle never changes while the process runs, and a boot
  // (or a runtime without an admin token) need not pay for a copy of the whole config (0.1 s with 10,000 tools).
  let body: string | undefined;
  const surface = () =>
    (body ??= JSON.stringify({
      format_version: ADMIN_SURFACE_FORMAT_VERSION,
      bundle_digest: deps.model.bundleDigest,
      created_at: deps.model.createdAt,
      ...(deps.model.revision ? { revision: deps.model.revision } : {}),
      config: redactConfig(deps.config),
    }));
  return (c: Context) => {
    if (!deps.adminTokenSha256) return c.json({ error: 'not_found', message: 'No such endpoint' }, 404);
    const m = /^Bearer[ \t]+(\S{1,512})$/i.exec(c.req.header('authorization') ?? '');
    const presented = m ? createHash('sha256').update(m[1]!).digest() : undefined;
    if (!presented || !timingSafeEqual(presented, deps.adminTokenSha256)) {
      c.header('WWW-Authenticate', 'Bearer realm="tengine-admin"');
      return c.json({ error: 'unauthorized', message: 'A valid admin token is required' }, 401);
    }
    return c.body(surface(), 200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  };
}
