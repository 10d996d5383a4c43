/** Encodes a `tools/list` position as an opaque cursor. */
export function encodeCursor(offset: number): string {
  return Buffer.from(`o:${offset}`, 'utf8').toString('base64url');
}

/** Decodes a cursor to an offset, or undefined when it was not issued by this server. */
export function decodeCursor(cursor: unknown): number | undefined {
  if (typeof cursor !== 'string' || cursor.length > 64) return undefined;
  const m = /^o:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return m ? Number(m[1]) : undefined;
}
