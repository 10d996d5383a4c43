import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** True when a path pattern uses glob syntax (`*`, `?`, `[...]`, `{a,b}`). */
export function isGlob(pattern: string): boolean {
  return /[*?[\]{}]/.test(pattern);
}

/** Converts one path segment of a glob to a regular expression. */
function segmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        const body = seg.slice(i + 1, end).replace(/\\/g, '\\\\');
        re += `[${body.startsWith('!') ? '^' + body.slice(1) : body}]`;
        i = end;
      }
    } else if (c === '{') {
      const end = seg.indexOf('}', i + 1);
      if (end < 0) re += '\\{';
      else {
        re += `(?:${seg.slice(i + 1, end).split(',').map(escapeRe).join('|')})`;
        i = end;
      }
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * Expands a relative glob (`*`, `?`, `[abc]`, `{a,b}` within a segment, `**` across directories) under `baseDir`,
 * returning sorted relative paths of regular files. Hidden entries match only when the segment starts with `.`.
 */
export async function expandGlob(baseDir: string, pattern: string): Promise<string[]> {
  const segments = pattern.split('/').filter((s) => s !== '' && s !== '.');
  const found = new Set<string>();
  const walk = async (dir: string, rel: string, idx: number, depth: number): Promise<void> => {
    if (depth > 32) return;
    if (idx === segments.length) return;
    const seg = segments[idx]!;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (seg === '**') {
      await walk(dir, rel, idx + 1, depth + 1);
      for (const e of entries) {
        if (e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules') {
          await walk(join(dir, e.name), rel ? `${rel}/${e.name}` : e.name, idx, depth + 1);
        }
      }
      return;
    }
    const re = segmentRegex(seg);
    const last = idx === segments.length - 1;
    for (const e of entries) {
      if (e.name.startsWith('.') && !seg.startsWith('.')) continue;
      if (!re.test(e.name)) continue;
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      if (last) {
        if (e.isFile()) found.add(childRel);
      } else if (e.isDirectory()) {
        await walk(join(dir, e.name), childRel, idx + 1, depth + 1);
      }
    }
  };
  await walk(baseDir, '', 0, 0);
  return [...found].sort();
}
