import type { Command } from 'commander';
import type { CliIo } from '../io.js';

/** Registers every `tengine` sub-command on the program. */
export function registerCommands(program: Command, io: CliIo): void {
  void program;
  void io;
}
