/** A tool description from an operation's summary and description, at most `max` characters. */
export function describeOperation(op: { summary?: unknown; description?: unknown }, method: string, path: string, max: number): { text: string; trimmed: boolean } {
  const summary = typeof op.summary === 'string' ? op.summary.trim() : '';
  const description = typeof op.description === 'string' ? op.description.trim() : '';
  const text = [summary, description].filter((s) => s !== '').join('\n\n') || `${method.toUpperCase()} ${path}`;
  if (text.length <= max) return { text, trimmed: false };
  // Cut at the last word boundary that leaves room for the ellipsis, so no word is split.
  const cut = text.slice(0, max - 1);
  const space = cut.search(/\s\S*$/);
  return { text: `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`, trimmed: true };
}
