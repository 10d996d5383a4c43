import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CliError } from '../io.js';
import { INIT_TEMPLATES } from './templates.js';

/** The examples `tengine init --example` offers. */
export const INIT_EXAMPLES = ['notes', 'crm', 'multi-project'] as const;
export type InitExample = (typeof INIT_EXAMPLES)[number];

/**
 * Entries a folder may already hold for `init` to go ahead: a fresh `git init`, editor settings, OS litter and a
 * licence. None of them is a file init writes, so nothing can be overwritten.
 */
export const IGNORABLE_ENTRIES = ['.git', '.DS_Store', 'Thumbs.db', '.idea', '.vscode', 'LICENSE', 'LICENSE.md', 'LICENSE.txt'];

/** Keys, bundles and local state never belong in a config repository. */
const GITIGNORE = `# Written by tengine init. Private keys, built bundles and local state stay out of git.
node_modules/
.tengine/
*.bundle.json
*.key.pem
runtime-keys.json
dist/
`;

function readme(example: InitExample): string {
  return `# Tengine config

The tools this repository serves through [Tengine](https://github.com/tengine-dev/tengine), as YAML
(started from \`tengine init --example ${example}\`).

    npm install                # tengine, pinned in package.json
    npx tengine dev            # try the development projects locally
    npx tengine validate       # check the config
    npx tengine plan           # what a change does to the tools, against git HEAD

\`.github/workflows/tengine.yml\` validates and plans pull requests and builds, signs and deploys the bundle from
main; read its header for the secrets it needs. The command line: docs/cli.md; the config: docs/config.md
(in the Tengine repository).
`;
}

/** The files `init` writes for an example: relative path → contents. */
export function initFiles(example: InitExample): Record<string, string> {
  return {
    ...INIT_TEMPLATES.examples[example],
    '.gitignore': GITIGNORE,
    '.github/workflows/tengine.yml': INIT_TEMPLATES.workflow,
    'package.json': INIT_TEMPLATES.packageJson,
    'README.md': readme(example),
  };
}

/**
 * Writes a ready config repository into `dir` (created when missing). Refuses a folder holding anything but
 * IGNORABLE_ENTRIES with INIT_DIR_NOT_EMPTY, and writes every file with O_EXCL, so a file that appears meanwhile
 * is never overwritten either. Returns the paths written, in order.
 */
export async function initRepo(dir: string, example: InitExample, shownDir: string): Promise<string[]> {
  let entries: string[] = [];
  try {
    entries = await readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new CliError('INIT_DIR_NOT_EMPTY', `${shownDir} is a file, not a folder`, 'name a new or empty folder: tengine init DIR');
    if (code !== 'ENOENT') throw new CliError('OUTPUT_UNWRITABLE', `cannot read ${shownDir}: ${code ?? (e as Error).message}`, 'check the folder and its permissions');
  }
  const blocking = entries.filter((e) => !IGNORABLE_ENTRIES.includes(e)).sort();
  if (blocking.length > 0) {
    const shown = blocking.slice(0, 5).join(', ') + (blocking.length > 5 ? `, … (${blocking.length} entries)` : '');
    throw new CliError('INIT_DIR_NOT_EMPTY', `${shownDir} is not empty (${shown}); init never overwrites files`, 'run it in a new or empty folder (tengine init DIR), or add the files it writes by hand: see docs/cli.md#tengine-init-dir');
  }
  const written: string[] = [];
  for (const [rel, text] of Object.entries(initFiles(example))) {
    const abs = join(dir, rel);
    try {
      await mkdir(dirname(abs), { recursive: true });
      await writeFile(abs, text, { flag: 'wx' });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new CliError('INIT_DIR_NOT_EMPTY', `${join(shownDir, rel)} appeared while init was writing; it was left as it is`, 'run init again in an empty folder');
      throw new CliError('OUTPUT_UNWRITABLE', `cannot write ${join(shownDir, rel)}: ${code ?? (e as Error).message}`, 'check the folder and its permissions');
    }
    written.push(rel);
  }
  return written;
}
