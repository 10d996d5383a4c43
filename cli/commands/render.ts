import { Option, type Command } from 'commander';
import { canonicalJson } from '../../schemas/canonical-json.js';
import type { TengineConfig } from '../../schemas/config-types.js';
import { redactConfig } from '../../schemas/redact-config.js';
import { CliError, type CliIo } from '../io.js';
import { renderHuman } from '../output/render-diagnostics.js';
import { validateConfig } from './validate.js';

const FORMATS = ['yaml', 'json'] as const;

/**
 * The config exactly as `build` would sign it (includes merged, OpenAPI sources expanded, environment references
 * resolved, schema defaults applied), with secrets fingerprinted as the runtime's admin surface and `tengine plan`
 * show them. Canonical key order, so two renders of the same config compare with diff.
 */
export function normalizedForDisplay(config: TengineConfig): TengineConfig {
  const { include: _include, ...rest } = config;
  return JSON.parse(canonicalJson(redactConfig(rest as TengineConfig))) as TengineConfig;
}

/** `tengine render [path]`: print the normalized config that `build` would sign, secrets masked. */
export function registerRenderCommand(program: Command, io: CliIo): void {
  program
    .command('render')
    .description('Print the normalized config that build would sign: includes merged, OpenAPI sources expanded, defaults applied, secrets masked.')
    .argument('[path]', 'config file or directory', '.')
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('yaml'))
    .action(async (path: string, opts: { format: (typeof FORMATS)[number] }) => {
      const { loaded, report } = await validateConfig(path, io);
      if (!loaded.config) {
        io.err(renderHuman(report, io.errColor ?? false));
        throw new CliError('CONFIG_INVALID', `${report.root} is invalid; nothing to render`, `fix the problems listed above (tengine validate ${path})`);
      }
      const config = normalizedForDisplay(loaded.config);
      if (opts.format === 'json') io.out(`${JSON.stringify(config, null, 2)}\n`);
      // The YAML writer is loaded only here: `tengine status`, which imports this module, never needs it.
      else io.out((await import('yaml')).stringify(config, { lineWidth: 0, aliasDuplicateObjects: false }));
    });
}
