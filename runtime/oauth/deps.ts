import type { RuntimeModel } from '../load/runtime-model.js';
import type { Store } from '../store/store.js';
import type { ClientDirectory } from './clients.js';
import type { EndpointLimiter } from '../usage/endpoint-limits.js';

/** What the OAuth endpoints need. */
export interface OAuthDeps {
  model: RuntimeModel;
  store: Store;
  /** Configured and dynamically registered clients. */
  clients: ClientDirectory;
  /** The issuer: the public URL without a trailing slash. */
  base: string;
  /** The protected resource (audience of access tokens): `${base}/mcp`. */
  resource: string;
  /** Wall clock in milliseconds. */
  now: () => number;
  log?: (entry: Record<string, unknown>) => void;
  /** Per-client and per-IP limits (`runtime.endpoint_limits`); none in tests of an endpoint alone. */
  limiter?: EndpointLimiter;
}
