// Generated sections of a document: the text between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->` is
// owned by the command that writes it (`npm run bench:mcp -- --write-docs`), everything else by people. Several
// benches share one page (docs/performance.md), so a writer must touch its own section and nothing else.

/** The start and end markers of section `name`. */
export function sectionMarkers(name: string): { start: string; end: string } {
  return { start: `<!-- bench:${name}:start -->`, end: `<!-- bench:${name}:end -->` };
}

/**
 * `doc` with the content of section `name` replaced by `content` (framed by newlines); the markers and all text
 * outside them stay byte for byte. Throws when the markers are missing, repeated or out of order: a section that
 * cannot be found is a mistake in the page, not something to append silently.
 */
export function replaceSection(doc: string, name: string, content: string): string {
  const { start, end } = sectionMarkers(name);
  const s = doc.indexOf(start);
  const e = doc.indexOf(end);
  if (s < 0 || e < 0) throw new Error(`the document has no ${start} … ${end} section`);
  if (doc.indexOf(start, s + 1) >= 0 || doc.indexOf(end, e + 1) >= 0) throw new Error(`the document has section ${name} more than once`);
  if (e < s) throw new Error(`the end marker of section ${name} comes before its start`);
  const body = content.replace(/^\n+|\n+$/g, '');
  return `${doc.slice(0, s + start.length)}\n${body}\n${doc.slice(e)}`;
}
