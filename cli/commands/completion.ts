import { Argument, type Command } from 'commander';
import { completionScript, completionTree, SHELLS, type Shell } from '../completion/completion-script.js';
import type { CliIo } from '../io.js';

/** `tengine completion SHELL`: print the shell completion script, generated from this very program. */
export function registerCompletionCommand(program: Command, io: CliIo): void {
  program
    .command('completion')
    .description('Print the completion script for bash, zsh or fish (generated from the CLI itself, so it lists every command and flag).')
    .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
    .action((shell: Shell) => {
      io.out(completionScript(shell, completionTree(program)));
    });
}
