import { createHash } from 'node:crypto';
import type { CallerIdentity } from '../execute/types.js';
import type { LimitPer } from './compile-limits.js';

// Member ids are the customer's own (any string their backend signs): plain ones go into keys as they are, so an
// operator reading Redis recognises them; long or odd ones (colons, braces, spaces, non-ASCII) as a fixed-size hash,
// so keys stay bounded and a `{` can never move the Redis Cluster hash tag. The two forms cannot collide: `m.` vs `mh.`.
const PLAIN_MEMBER = /^[A-Za-z0-9_.@+-]{1,64}$/;

/** The counter subject of one caller for a limit counted `per` (member falls back to the integration without one). */
export function subjectOf(per: LimitPer, caller: CallerIdentity): string {
  if (per === 'project') return 'p';
  const member = caller.member;
  if (per === 'member' && member !== undefined) {
    const id = member.id;
    return PLAIN_MEMBER.test(id) ? `m.${id}` : `mh.${createHash('sha256').update(id, 'utf8').digest('base64url').slice(0, 22)}`;
  }
  return `i.${caller.integrationId}`;
}
