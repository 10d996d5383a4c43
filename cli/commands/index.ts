import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { registerBuildCommand } from './build.js';
import { registerCompletionCommand } from './completion.js';
import { registerConnectCommand } from './connect.js';
import { registerConnectionsCommand } from './connections.js';
import { registerDevCommand } from './dev.js';
import { registerImportCommand } from './import.js';
import { registerInitCommand } from './init.js';
import { registerPlanCommand } from './plan.js';
import { registerKeysCommand } from './keys.js';
import { registerRenderCommand } from './render.js';
import { registerServeCommand } from './serve.js';
import { registerStatusCommand } from './status.js';
import { registerSecretCommand } from './secret.js';
import { registerUsageCommand } from './usage.js';
import { registerValidateCommand } from './validate.js';
import { registerVerifyCommand } from './verify.js';

/** Registers every `tengine` sub-command on the program. */
export function registerCommands(program: Command, io: CliIo): void {
  registerInitCommand(program, io);
  registerValidateCommand(program, io);
  registerBuildCommand(program, io);
  registerPlanCommand(program, io);
  registerServeCommand(program, io);
  registerKeysCommand(program, io);
  registerSecretCommand(program, io);
  registerVerifyCommand(program, io);
  registerDevCommand(program, io);
  registerConnectCommand(program, io);
  registerConnectionsCommand(program, io);
  registerUsageCommand(program, io);
  registerImportCommand(program, io);
  registerRenderCommand(program, io);
  registerStatusCommand(program, io);
  // Last: the script lists every command registered before it.
  registerCompletionCommand(program, io);
}
