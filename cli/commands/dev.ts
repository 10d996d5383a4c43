import { stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import process from 'node:process';
import { Option, type Command } from 'commander';
import { CliError, type CliIo } from '../io.js';
import { discoverConfig } from '../config/discover-config.js';

/** Parses a `--port`-style value: a whole number from 0 to 65535 (0 = any free port). */
export function parsePort(value: string, flag: string): number {
  const n = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 0 && n <= 65535)) throw new CliError('BAD_ARGUMENT', `${flag} ${JSON.stringify(value)} is not a port number`, `use a number from 1 to 65535 (0 picks a free port)`);
  return n;
}

/** `tengine dev [path]`: the quick start. Serves the development projects of a config locally until Ctrl+C. */
export function registerDevCommand(program: Command, io: CliIo): void {
  program
    .command('dev')
    .description('Run the quick start: build the development projects with local keys and serve them on 127.0.0.1, with the demo notes API.')
    .argument('[path]', 'config file or directory (default: --config, $TENGINE_CONFIG, or the nearest tengine.config.yaml up to the repository root)')
    .option('--config <path>', 'config file or directory (the same as the path argument)')
    .option('--port <port>', 'port of the MCP runtime on 127.0.0.1', '8080')
    .option('--upstream-port <port>', 'port of the demo notes API on 127.0.0.1', '4010')
    .option('--no-upstream', 'do not start the demo notes API')
    .option('--project <id>', 'development project that gets the development API key (default: the first with an api_key integration)')
    .addOption(new Option('--log-format <format>', 'runtime log lines on stderr').choices(['pretty', 'json']).default('pretty'))
    .addOption(new Option('-f, --format <format>', 'output format of the ready message').choices(['human', 'json']).default('human'))
    .action(async (pathArg: string | undefined, opts: { config?: string; port: string; upstreamPort: string; upstream: boolean; project?: string; logFormat: 'pretty' | 'json'; format: 'human' | 'json' }) => {
      const path = await discoverConfig(io, pathArg, opts.config);
      // Before any key is generated: a folder without a config is the first-run slip `tengine init` answers.
      await requireConfigIn(io, path);
      const { startDev } = await import('../dev/start-dev.js'); // the runtime and the demo API: loaded only here
      const session = await startDev(
        {
          path,
          port: parsePort(opts.port, '--port'),
          upstreamPort: parsePort(opts.upstreamPort, '--upstream-port'),
          upstream: opts.upstream,
          project: opts.project,
          format: opts.format,
          logFormat: opts.logFormat,
        },
        io,
      );
      io.err('Press Ctrl+C to stop.\n');
      const signal = await nextStopSignal();
      io.err(`\n${signal}: stopping (press Ctrl+C again to force)\n`);
      await session.close();
      io.err('stopped\n');
    });
}

/**
 * Resolves on the first SIGINT or SIGTERM. Both handlers are removed then, so a second signal gets Node's default
 * behaviour and ends the process even if a connection keeps the shutdown waiting.
 */
function nextStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** Refuses a directory without a root config with CONFIG_NOT_FOUND, pointing at `tengine init`. */
async function requireConfigIn(io: CliIo, target: string): Promise<void> {
  if (target === '-') throw new CliError('BAD_ARGUMENT', 'tengine dev cannot read the config from stdin', 'pass the config file or its directory');
  const abs = resolve(io.cwd, target);
  const isDir = await stat(abs).then((s) => s.isDirectory(), () => false);
  if (!isDir) return; // a file path: a missing one is reported with its diagnostic by validate
  for (const name of ['tengine.config.yaml', 'tengine.config.yml']) if (await stat(join(abs, name)).then(() => true, () => false)) return;
  throw new CliError('CONFIG_NOT_FOUND', `no tengine.config.yaml in ${relative(io.cwd, abs) || '.'}`, 'run tengine init to create a ready config repository here, then tengine dev');
}
