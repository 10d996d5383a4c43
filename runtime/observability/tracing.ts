import { randomBytes } from 'node:crypto';
import { context as otelContext, isSpanContextValid, propagation, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';

/** The W3C trace context of one incoming request (https://www.w3.org/TR/trace-context/), validated. */
export interface TraceContext {
  traceId: string;
  /** The caller's span: the parent of ours. */
  parentId: string;
  /** Two hex digits; bit 0 is "sampled". */
  flags: string;
  /** `tracestate`, passed on unchanged (vendor data we do not interpret). */
  state?: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
/** The spec's limit on tracestate is 32 list members; 512 characters keeps it to what real vendors send. */
const MAX_TRACESTATE = 512;

/**
 * Parses `traceparent` (and `tracestate`) as the W3C spec says a receiver must: version `ff` and all-zero ids are
 * invalid; a future version is read by its first four fields; version 00 must have exactly four. Anything invalid
 * is ignored (the request is served, only without the caller's trace), never an error.
 */
export function parseTraceContext(traceparent: string | undefined, tracestate: string | undefined): TraceContext | undefined {
  if (traceparent === undefined || traceparent.length > 256) return undefined;
  const m = TRACEPARENT.exec(traceparent.trim());
  if (!m) return undefined;
  const [, version, traceId, parentId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined) || traceId === ZERO_TRACE || parentId === ZERO_SPAN) return undefined;
  const ctx: TraceContext = { traceId, parentId, flags };
  // tracestate: printable ASCII only (it is forwarded in a header), bounded; otherwise dropped, as the spec allows.
  if (tracestate !== undefined && tracestate.length <= MAX_TRACESTATE && /^[\x20-\x7e]*$/.test(tracestate) && tracestate.trim() !== '') ctx.state = tracestate.trim();
  return ctx;
}

/**
 * The trace headers of one upstream request: the gateway is a hop of the caller's trace, so the upstream sees the
 * same trace id with a new parent id (the span of this attempt when an OpenTelemetry SDK records one, else a fresh
 * random id), the caller's flags and its tracestate. Without an incoming trace and without an SDK span: none.
 */
export function outboundTraceHeaders(incoming: TraceContext | undefined, span: Span | undefined): Record<string, string> {
  const sc = span?.spanContext();
  if (sc && isSpanContextValid(sc)) {
    const out: Record<string, string> = { traceparent: `00-${sc.traceId}-${sc.spanId}-${sc.traceFlags.toString(16).padStart(2, '0')}` };
    if (incoming?.state !== undefined) out.tracestate = incoming.state;
    return out;
  }
  if (!incoming) return {};
  const out: Record<string, string> = { traceparent: `00-${incoming.traceId}-${randomBytes(8).toString('hex')}-${incoming.flags}` };
  if (incoming.state !== undefined) out.tracestate = incoming.state;
  return out;
}

const tracer = trace.getTracer('tengine');

/**
 * True when an OpenTelemetry SDK is registered (a probe span has a real context). Checked once at boot: without an
 * SDK no span is even started, so tracing costs nothing; an SDK must be loaded before the runtime (`node --import`).
 */
export function tracingEnabled(): boolean {
  const probe = tracer.startSpan('tengine.probe');
  const on = isSpanContextValid(probe.spanContext());
  probe.end();
  return on;
}

/** The OpenTelemetry context of an incoming request: its W3C headers through the registered propagator. */
export function incomingContext(headers: { traceparent?: string; tracestate?: string }): Context {
  const carrier: Record<string, string> = {};
  if (headers.traceparent !== undefined) carrier.traceparent = headers.traceparent;
  if (headers.tracestate !== undefined) carrier.tracestate = headers.tracestate;
  return propagation.extract(otelContext.active(), carrier);
}

/**
 * Runs `fn` inside a span named `name` (child of `parent`), ending it when `fn` settles and marking errors; when
 * tracing is off `fn` runs with no span at all.
 */
export async function inSpan<T>(enabled: boolean, name: string, kind: 'server' | 'client' | 'internal', parent: Context | undefined, attributes: Record<string, string | number | boolean>, fn: (span: Span | undefined) => Promise<T>): Promise<T> {
  if (!enabled) return fn(undefined);
  const span = tracer.startSpan(name, { kind: kind === 'server' ? SpanKind.SERVER : kind === 'client' ? SpanKind.CLIENT : SpanKind.INTERNAL, attributes }, parent ?? otelContext.active());
  try {
    return await otelContext.with(trace.setSpan(parent ?? otelContext.active(), span), () => fn(span));
  } catch (e) {
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw e;
  } finally {
    span.end();
  }
}

/** A synchronous step as an internal span (tracing on only; callers check). */
export function inSpanSync<T>(name: string, parent: Context | undefined, fn: (span: Span) => T): T {
  const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL }, parent ?? otelContext.active());
  try {
    return fn(span);
  } finally {
    span.end();
  }
}

/** The store operations worth a span: each is one round trip to Redis. */
const TRACED_STORE_OPS = ['get', 'set', 'setIfAbsent', 'take', 'delete', 'keysWithPrefix', 'chargeLimits', 'advance', 'incrementFields', 'readFields', 'deleteFields', 'ping'] as const;

/**
 * The store with a client span around each round trip (`store <op>`, with the store kind; never keys or values,
 * which hold token digests and member ids). Used only when tracing is enabled.
 */
export function tracedStore<S extends { kind: string }>(store: S): S {
  const wrapped = Object.create(store) as S;
  for (const op of TRACED_STORE_OPS) {
    const fn = (store as Record<string, unknown>)[op];
    if (typeof fn !== 'function') continue;
    (wrapped as Record<string, unknown>)[op] = (...args: unknown[]) =>
      inSpan(true, `store ${op}`, 'client', undefined, { 'db.system': store.kind === 'redis' ? 'redis' : 'memory', 'db.operation.name': op }, () => (fn as (...a: unknown[]) => Promise<unknown>).apply(store, args));
  }
  return wrapped;
}
