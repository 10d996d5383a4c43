import { REDACTED } from './redact.js';

/** Largest serialized arguments an audit line carries; larger ones are cut (`tool_arguments_truncated`). */
export const MAX_LOGGED_ARGUMENT_BYTES = 2048;

/**
 * Keys whose values are never logged whatever `redact` says: an argument named like a credential holds one often
 * enough that the config author should not have to remember it.
 */
const SECRET_KEY = /pass(word|phrase)?|secret|token|api[-_]?key|auth|credential|cookie|session|private|signature|\bpin\b|cvv|cvc|ssn|otp/i;

/** What an opted-in tool adds to its audit line: the arguments with secrets masked, or why they are not all there. */
export interface LoggedArguments {
  tool_arguments: unknown;
  tool_arguments_truncated?: true;
}

/**
 * Compiles a tool's `log_arguments.redact` (JSON pointers) into a function that copies the arguments with those
 * values, and the values under secret-named keys, replaced by `[REDACTED]`; the copy is cut to 2 KiB of JSON (then
 * only `tool_arguments_truncated` and the top-level keys are kept). The arguments themselves are never changed.
 */
export function compileArgumentLog(redact: readonly string[]): (args: unknown) => LoggedArguments {
  const paths = redact.map((p) => p.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~')));
  return (args) => {
    const copy = mask(args, 0);
    for (const path of paths) maskPath(copy, path);
    const text = JSON.stringify(copy) ?? 'null';
    if (Buffer.byteLength(text) <= MAX_LOGGED_ARGUMENT_BYTES) return { tool_arguments: copy };
    const keys = copy !== null && typeof copy === 'object' && !Array.isArray(copy) ? Object.keys(copy).slice(0, 50) : [];
    return { tool_arguments: { _keys: keys }, tool_arguments_truncated: true };
  };
}

/** A deep copy with secret-named keys masked (depth-bounded: the dispatcher already refused deeper input). */
function mask(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > 64) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => mask(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? REDACTED : mask(v, depth + 1);
  return out;
}

function maskPath(root: unknown, path: readonly string[]): void {
  let node = root;
  for (let i = 0; i < path.length; i++) {
    if (node === null || typeof node !== 'object') return;
    const key = path[i]!;
    const container = node as Record<string, unknown>;
    if (!Object.prototype.hasOwnProperty.call(container, key)) return;
    if (i === path.length - 1) container[key] = REDACTED;
    else node = container[key];
  }
}
