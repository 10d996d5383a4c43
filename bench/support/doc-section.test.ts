import { describe, expect, it } from 'vitest';
import { replaceSection, sectionMarkers } from './doc-section.js';

const page = [
  '# Performance',
  '',
  'Hand-written prose.',
  '',
  '<!-- bench:boot:start -->',
  'boot table',
  '<!-- bench:boot:end -->',
  '',
  '<!-- bench:mcp:start -->',
  '| old | table |',
  '<!-- bench:mcp:end -->',
  '',
  'More prose after.',
  '',
].join('\n');

describe('replaceSection', () => {
  it('replaces the content between its own markers and leaves every other byte as it was', () => {
    const out = replaceSection(page, 'mcp', '| new | table |\n| - | - |');
    expect(out).toBe(page.replace('| old | table |', '| new | table |\n| - | - |'));
    expect(out).toContain('boot table');
    expect(out.startsWith('# Performance\n\nHand-written prose.\n')).toBe(true);
    expect(out.endsWith('<!-- bench:mcp:end -->\n\nMore prose after.\n')).toBe(true);
  });

  it("does not touch another bench's section with the same shape", () => {
    const out = replaceSection(page, 'boot', 'new boot');
    expect(out).toContain('| old | table |');
    expect(out).toContain('<!-- bench:boot:start -->\nnew boot\n<!-- bench:boot:end -->');
  });

  it('is idempotent: writing the same content twice gives the same page', () => {
    const once = replaceSection(page, 'mcp', 'x');
    expect(replaceSection(once, 'mcp', 'x')).toBe(once);
  });

  it('frames the content with exactly one newline on each side', () => {
    const out = replaceSection(page, 'mcp', '\n\nrow\n\n');
    expect(out).toContain(`${sectionMarkers('mcp').start}\nrow\n${sectionMarkers('mcp').end}`);
  });

  it('refuses a page without the section, with it twice, or with the markers reversed', () => {
    expect(() => replaceSection(page, 'build', 'x')).toThrow(/no <!-- bench:build:start -->/);
    expect(() => replaceSection(page + page, 'mcp', 'x')).toThrow(/more than once/);
    const reversed = '<!-- bench:mcp:end -->\n<!-- bench:mcp:start -->\n';
    expect(() => replaceSection(reversed, 'mcp', 'x')).toThrow(/before its start/);
  });
});
