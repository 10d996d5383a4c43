import type { ToolResult } from '../execute/tool-errors.js';
import type { RuntimeModel } from '../load/runtime-model.js';
import { META_SERVER_INFO } from './modern-request.js';
import { ALL_PROTOCOL_VERSIONS } from './protocol.js';

/** The server's version as reported in `initialize`, `server/discover` and every modern result's `_meta`. */
export const SERVER_VERSION = '0.1.0';
/** Who this server is, in `initialize` and in the `_meta` of modern results. */
export const SERVER_INFO = { name: 'tengine', title: 'Tengine', version: SERVER_VERSION } as const;
/** What `initialize` and `server/discover` tell the model about this server. */
export const SERVER_INSTRUCTIONS = 'Tools call the HTTP APIs this project exposes. Call mcp_whoami to see which project and identity this connection uses.';
/** `_meta` key of the digest of the bundle served: it changes exactly when the tool list can have changed. */
export const META_BUNDLE = 'tengine.dev/bundle';
/**
 * Freshness of `tools/list` (and `server/discover`) in a client cache (SEP-2549 `ttlMs`). The list changes only when
 * a new bundle is loaded: a minute bounds how long a client keeps a stale list after a reload, and the bundle digest
 * in every modern result's `_meta` lets it notice sooner.
 */
export const LIST_TTL_MS = 60_000;

/** The per-bundle pieces of modern results, built once per loaded model (a reload swaps the model, hence the cache). */
interface ModelResults {
  meta: Record<string, unknown>;
  discover: Record<string, unknown>;
}
const perModel = new WeakMap<RuntimeModel, ModelResults>();

function resultsOf(model: RuntimeModel): ModelResults {
  let r = perModel.get(model);
  if (r === undefined) {
    const meta = { [META_SERVER_INFO]: SERVER_INFO, [META_BUNDLE]: model.bundleDigest };
    r = {
      meta,
      discover: {
        resultType: 'complete',
        supportedVersions: [...ALL_PROTOCOL_VERSIONS],
        capabilities: { tools: { listChanged: false } },
        instructions: SERVER_INSTRUCTIONS,
        // The same for every caller: nothing in it depends on who asks.
        ttlMs: LIST_TTL_MS,
        cacheScope: 'public',
        _meta: meta,
      },
    };
    perModel.set(model, r);
  }
  return r;
}

/** The `server/discover` result (2026-07-28): versions, capabilities, instructions, cache hints and identity. */
export function discoverResult(model: RuntimeModel): Record<string, unknown> {
  return resultsOf(model).discover;
}

/**
 * Cache hints of a `tools/list` page (SEP-2549), on every protocol version (older clients ignore the fields): the list
 * depends on the credential (project, OAuth scopes), so it is `private`.
 */
export function addListCacheHints(result: Record<string, unknown>): void {
  result.ttlMs = LIST_TTL_MS;
  result.cacheScope = 'private';
}

/** Marks a list result modern: `resultType` and the server's identity and bundle digest in `_meta`. */
export function completeList(result: Record<string, unknown>, model: RuntimeModel): void {
  result.resultType = 'complete';
  result._meta = resultsOf(model).meta;
}

/** A tools/call result as a modern client expects it (`resultType`, identity in `_meta`); a new object, the input untouched. */
export function completeToolResult(result: ToolResult, model: RuntimeModel): ToolResult & { resultType: 'complete' } {
  const meta = resultsOf(model).meta;
  return { ...result, resultType: 'complete', _meta: result._meta === undefined ? meta : { ...result._meta, ...meta } };
}
