/** Escapes one JSON-pointer reference token (RFC 6901). */
export function escapePointer(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}
