import { createHash } from 'node:crypto';
import type { Idempotency, Tool } from '../../schemas/config-types.js';
import { canonicalJson } from '../../schemas/canonical-json.js';
import { parseDuration } from '../../schemas/duration.js';
import { cancellableSleep, type CancelSignal } from '../execute/cancel-signal.js';
import { toolError, type ToolResult } from '../execute/tool-errors.js';
import type { CallerIdentity } from '../execute/types.js';
import type { RequestTrace } from '../observability/request-trace.js';
import { StoreUnavailableError, type Store } from '../store/store.js';

/** How long a result is kept when neither the tool nor its project says (`window`). */
export const DEFAULT_IDEMPOTENCY_WINDOW = '60s';
/** Longest `window` `tengine validate` accepts (TNG227): results are customer data held in the store. */
export const MAX_IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;
/** Largest result kept when neither the tool nor its project says (`max_result_bytes`). */
export const DEFAULT_MAX_RESULT_BYTES = 64 * 1024;
/**
 * How much longer than the tool's timeout a claim lives. The call behind a claim also waits for its usage count
 * (up to 10 s on a busy Redis, docs/storage.md) before its timeout starts; past this, an instance that died
 * mid-call no longer blocks retries.
 */
export const PENDING_MARGIN_MS = 15_000;
/** The `_meta` key of a client-supplied idempotency key in `tools/call` params. */
export const IDEMPOTENCY_KEY_META = 'tengine.dev/idempotency_key';
/** The `_meta` key a replayed result carries, naming the request that produced it. */
export const REPLAY_META_KEY = 'tengine.dev/replay';

/** Idempotent retries of one tool, compiled at bundle load (present only when enabled). */
export interface CompiledIdempotency {
  windowMs: number;
  maxResultBytes: number;
  /** TTL of the claim of a call in progress: the tool's timeout plus PENDING_MARGIN_MS. */
  pendingMs: number;
}

/**
 * Whether a tool's retries are de-duplicated: its own `enabled`, else its project's, else on for POST, PUT, PATCH
 * and DELETE tools not annotated `idempotentHint: true`, off for GET and idempotent tools (safe to repeat).
 */
export function idempotencyEnabled(tool: Pick<Tool, 'http_method' | 'annotations' | 'idempotency'>, projectDefault: Idempotency | undefined): boolean {
  return tool.idempotency?.enabled ?? projectDefault?.enabled ?? (tool.http_method !== 'GET' && tool.annotations?.idempotentHint !== true);
}

/** Merges the tool's `idempotency` over its project's, field by field, with the defaults; undefined when off. */
export function compileIdempotency(tool: Tool, projectDefault: Idempotency | undefined, timeoutMs: number): CompiledIdempotency | undefined {
  if (!idempotencyEnabled(tool, projectDefault)) return undefined;
  const own = tool.idempotency;
  return {
    windowMs: Math.min(MAX_IDEMPOTENCY_WINDOW_MS, parseDuration(own?.window ?? projectDefault?.window ?? DEFAULT_IDEMPOTENCY_WINDOW)),
    maxResultBytes: own?.max_result_bytes ?? projectDefault?.max_result_bytes ?? DEFAULT_MAX_RESULT_BYTES,
    pendingMs: timeoutMs + PENDING_MARGIN_MS,
  };
}

/** What an idempotent call needs from the dispatcher (a DispatchContext with a store). */
export interface IdempotencyContext {
  caller: CallerIdentity;
  store: Store;
  signal?: CancelSignal;
  log?: (entry: Record<string, unknown>) => void;
  trace?: RequestTrace;
}

/** The tool an idempotent call is for: its name and compiled settings. */
export interface IdempotentTool {
  name: string;
  idempotency?: CompiledIdempotency;
}

/** A stored entry: a claim (`p`) while the first call runs, then its result (`d`) for the window. */
interface Entry {
  s: 'p' | 'd';
  /** SHA-256 of the canonical JSON of the arguments, so a client key reused with other arguments is refused. */
  h: string;
  /** The first call's request id (sent upstream as X-Tengine-Request-Id). */
  id: string;
  r?: ToolResult;
}

/** First and longest pause between two looks at a call in progress. */
const FIRST_POLL_MS = 10;
const MAX_POLL_MS = 200;
const PRINTABLE_ASCII = /^[\x20-\x7e]{1,255}$/;

/**
 * Runs `run` at most once per caller, tool and arguments (or client idempotency key) within the tool's window:
 * the first call claims the key with `setIfAbsent`; a duplicate finding a result gets it back (marked as a replay,
 * nothing sent upstream, no limit charged); one finding a claim waits for it. Error results and results above the
 * size cap are never kept, so their retries run again. Without the store an automatic key runs the call
 * unprotected (logged); a client key, which asked for at-most-once, is refused with IDEMPOTENCY_UNAVAILABLE.
 */
export async function idempotentCall(tool: IdempotentTool, args: unknown, meta: unknown, ctx: IdempotencyContext, run: () => Promise<ToolResult>): Promise<ToolResult> {
  const settings = tool.idempotency!;
  const clientKey = meta !== undefined && meta !== null && typeof meta === 'object' ? (meta as Record<string, unknown>)[IDEMPOTENCY_KEY_META] : undefined;
  if (clientKey !== undefined && (typeof clientKey !== 'string' || !PRINTABLE_ASCII.test(clientKey))) {
    return toolError('INVALID_ARGUMENTS', {
      detail: `_meta["${IDEMPOTENCY_KEY_META}"] must be a string of 1 to 255 printable ASCII characters (a UUID is a good choice)`,
    });
  }
  const argsHash = sha256(canonicalJson(args ?? {}));
  const key = storeKey(ctx.caller, tool.name, clientKey === undefined ? `a\0${argsHash}` : `k\0${clientKey}`);
  const requestId = ctx.trace?.id ?? '';
  const claim = JSON.stringify({ s: 'p', h: argsHash, id: requestId } satisfies Entry);
  const unavailable = (e: unknown): Promise<ToolResult> | ToolResult => {
    if (!(e instanceof StoreUnavailableError)) throw e;
    ctx.log?.({ level: 'warn', event: 'idempotency_store_unavailable', tool: tool.name, client_key: clientKey !== undefined, message: e.message });
    if (clientKey === undefined) return run();
    return toolError('IDEMPOTENCY_UNAVAILABLE', { detail: 'the store that remembers idempotency keys is unavailable, so at-most-once cannot be promised; retry shortly with the same key', retry_after_seconds: 1 });
  };

  // Bounded: a claim expires after pendingMs, after which this caller claims the key itself.
  const deadline = performance.now() + settings.pendingMs + 1000;
  let pause = FIRST_POLL_MS;
  for (;;) {
    let stored: string | undefined;
    try {
      if (await ctx.store.setIfAbsent(key, claim, settings.pendingMs)) return await runAndKeep(key, argsHash, requestId, tool, ctx, run);
      stored = await ctx.store.get(key);
    } catch (e) {
      return unavailable(e);
    }
    const entry = stored === undefined ? undefined : parseEntry(stored);
    if (entry && entry.h !== argsHash) {
      return toolError('IDEMPOTENCY_KEY_REUSED', { detail: `this idempotency key was first used with other arguments (request ${entry.id}); use a new key for a new call` });
    }
    if (entry?.s === 'd' && entry.r) return replay(entry.r, entry.id, ctx.trace);
    if (ctx.signal?.aborted) return toolError('CANCELLED', { detail: 'the client went away while an identical call was in progress' });
    if (performance.now() >= deadline) {
      return toolError('IDEMPOTENCY_UNAVAILABLE', { detail: 'an identical call is still in progress; retry shortly', retry_after_seconds: 1 });
    }
    // Absent between the claim and the read: the first call ended without a result to keep; claim again at once.
    if (stored === undefined) continue;
    // Aborted: the next turn answers CANCELLED.
    await cancellableSleep(pause, ctx.signal);
    pause = Math.min(pause * 2, MAX_POLL_MS);
  }
}

/** Runs the claimed call; keeps a successful result within the size cap for the window, else releases the claim. */
async function runAndKeep(key: string, argsHash: string, requestId: string, tool: IdempotentTool, ctx: IdempotencyContext, run: () => Promise<ToolResult>): Promise<ToolResult> {
  const settings = tool.idempotency!;
  let result: ToolResult;
  try {
    result = await run();
  } catch (e) {
    // run() never throws by contract; if it does, retries must not wait for a claim nobody will fill.
    await ctx.store.delete(key).catch(() => undefined);
    throw e;
  }
  try {
    if (result.isError === true) {
      await ctx.store.delete(key);
      return result;
    }
    const json = JSON.stringify(result);
    // UTF-8 bytes are at least the UTF-16 length, so a string longer than the cap is too large without measuring.
    if (json.length > settings.maxResultBytes || Buffer.byteLength(json) > settings.maxResultBytes) {
      ctx.log?.({ level: 'warn', event: 'idempotency_result_too_large', tool: tool.name, bytes: Buffer.byteLength(json), max_result_bytes: settings.maxResultBytes });
      await ctx.store.delete(key);
      return result;
    }
    // The result's JSON is spliced in as is, so it is serialized once.
    await ctx.store.set(key, `{"s":"d","h":"${argsHash}","id":${JSON.stringify(requestId)},"r":${json}}`, settings.windowMs);
  } catch (e) {
    if (!(e instanceof StoreUnavailableError)) throw e;
    // The call ran; its answer is the caller's whatever the store says. A claim left behind expires by itself.
    ctx.log?.({ level: 'warn', event: 'idempotency_store_unavailable', tool: tool.name, message: e.message });
  }
  return result;
}

/** The first call's result as it was, marked as a replay of it (in `_meta` and on the audit line). */
function replay(result: ToolResult, firstId: string, trace: RequestTrace | undefined): ToolResult {
  if (trace) {
    trace.fields.idempotent_replay = true;
    trace.fields.replay_of = firstId;
  }
  return { ...result, _meta: { ...result._meta, [REPLAY_META_KEY]: { request_id: firstId } } };
}

/**
 * The store key of one call: the project in clear (so an operator can find a project's entries), then a hash of
 * who calls, which tool and which arguments or client key. Only hashes: argument values and client keys never
 * appear in key names (docs/storage.md).
 */
function storeKey(caller: CallerIdentity, toolName: string, what: string): string {
  return `idem:${caller.projectId}:${sha256(`${subjectOf(caller)}\0${toolName}\0${what}`)}`;
}

/**
 * Whose results are shared: a member's own, else one OAuth sign-in's (its refresh family), else the integration's
 * (an API key acts for one backend). A member's results are shared only by calls the upstream would see as the same
 * caller: the integration, email and roles reach it (X-Tengine-Identity, template variables) and may decide what it
 * answers, so a call through another integration, or after the member's roles changed, is another call.
 */
function subjectOf(c: CallerIdentity): string {
  const m = c.member;
  if (m) return `m\0${JSON.stringify([c.integrationId, m.id, m.email ?? null, m.roles ?? null])}`;
  if (c.family !== undefined) return `f\0${c.family}`;
  return `i\0${c.integrationId}`;
}

function parseEntry(text: string): Entry | undefined {
  try {
    const v = JSON.parse(text) as Entry;
    return v && (v.s === 'p' || v.s === 'd') && typeof v.h === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
