import type { Tool } from '../../schemas/config-types.js';

/** `_meta` key of a deprecated tool's `tools/list` entry: `{since?, sunset, message?}` for clients that show it. */
export const DEPRECATION_META_KEY = 'tengine.dev/deprecated';

/**
 * The sentence a deprecated tool's description starts with, as the model reads it in `tools/list`. Dates, not "in
 * 3 days": the list is built once per bundle, and a date stays true. First, so that clients which shorten
 * descriptions still show it, and so that a model choosing between two tools reads it before the rest.
 */
export function deprecationNote(d: NonNullable<Tool['deprecated']>): string {
  return `Deprecated${d.since ? ` since ${d.since}` : ''}: this tool will be removed on or after ${d.sunset}.${d.message ? ` ${d.message}` : ''}`;
}
