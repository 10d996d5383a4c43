import { relative, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { CliIo } from '../io.js';
import { INIT_EXAMPLES, initRepo, type InitExample } from '../init/init-repo.js';
import { styler } from '../output/style.js';
import { formatOption } from './validate.js';

/** `tengine init [DIR] [--example notes|crm|multi-project]`: a ready config repository, never overwriting. */
export function registerInitCommand(program: Command, io: CliIo): void {
  program
    .command('init')
    .description('Create a ready config repository: tengine.config.yaml (with the editor schema modeline), .gitignore, a CI workflow, package.json and a README. Never overwrites: the folder must be new or empty.')
    .argument('[dir]', 'folder to create or fill', '.')
    .addOption(new Option('--example <name>', 'what the config starts from').choices(INIT_EXAMPLES).default('notes'))
    .addOption(formatOption(['human', 'json']))
    .action(async (dir: string, opts: { example: InitExample; format: 'human' | 'json' }) => {
      const abs = resolve(io.cwd, dir);
      const shown = relative(io.cwd, abs) || '.';
      const files = await initRepo(abs, opts.example, shown);
      if (opts.format === 'json') {
        io.out(`${JSON.stringify({ format_version: 1, dir: shown, example: opts.example, files }, null, 2)}\n`);
        return;
      }
      const s = styler(io.color);
      const cd = shown === '.' ? '' : `cd ${shown} && `;
      io.out(
        `${s.green('✓')} initialised ${shown} from the ${opts.example} example:\n${files.map((f) => `  ${f}\n`).join('')}` +
          `next: ${cd}npm install && npx tengine dev\n`,
      );
    });
}
