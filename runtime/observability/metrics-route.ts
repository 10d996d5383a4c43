import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import type { RuntimeMetrics } from './metrics.js';

/**
 * `GET /metrics` on the main port: the exposition for the admin token (TENGINE_ADMIN_TOKEN, compared by hash in
 * constant time, as the admin surface does) and 404 for anyone else, so a public port never shows it by accident.
 */
export function metricsHandler(metrics: RuntimeMetrics, adminTokenSha256: Buffer | undefined, onRefused?: (reason: string) => void) {
  return async (c: Context) => {
    if (!adminTokenSha256 || !adminTokenMatches(c.req.header('authorization'), adminTokenSha256)) {
      if (adminTokenSha256 && c.req.header('authorization') !== undefined) onRefused?.('INVALID_ADMIN_TOKEN');
      return c.json({ error: 'not_found', message: 'No such endpoint' }, 404);
    }
    const page = await metrics.render();
    return c.body(page.body, 200, { 'Content-Type': page.contentType, 'Cache-Control': 'no-store' });
  };
}

/** True when `authorization` is `Bearer <token>` whose SHA-256 equals `expected` (constant-time). */
export function adminTokenMatches(authorization: string | undefined, expected: Buffer): boolean {
  const m = /^Bearer[ \t]+(\S{1,512})$/i.exec(authorization ?? '');
  if (!m) return false;
  return timingSafeEqual(createHash('sha256').update(m[1]!).digest(), expected);
}
