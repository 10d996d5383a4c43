import { Option, type Command } from 'commander';
import { listConnections, revokeConnections, type Connection, type ConnectionFilter } from '../../runtime/oauth/connections.js';
import type { Store } from '../../runtime/store/store.js';
import { CliError, type CliIo } from '../io.js';
import { assertResourceId } from '../keys/mint-credential.js';
import { withSharedStore } from '../store/shared-store.js';

type Format = 'human' | 'json';
interface Options {
  project: string;
  integration?: string;
  member?: string;
  all?: boolean;
  format: Format;
}

/** Registers `tengine connections list|revoke`: OAuth sign-ins in the shared store, for operators. */
export function registerConnectionsCommand(program: Command, io: CliIo): void {
  const connections = program
    .command('connections')
    .description('List or revoke OAuth sign-ins (connections) in the shared Redis store of the runtimes (TENGINE_REDIS_URL or REDIS_URL).');
  const common = (cmd: Command) =>
    cmd
      .requiredOption('--project <id>', 'project id')
      .option('--integration <id>', 'only connections through this oauth integration')
      .option('--member <id>', 'only connections of this member')
      .addOption(new Option('-f, --format <format>', 'output format').choices(['human', 'json']).default('human'));
  common(connections.command('list').description('List the connections of a project, newest first.')).action(async (opts: Options) => {
    const filter = filterOf(opts);
    await withStore(io, async (store) => {
      const found = await listConnections(store, filter);
      if (opts.format === 'json') io.out(`${JSON.stringify({ format_version: 1, connections: found }, null, 2)}\n`);
      else io.out(renderList(found));
    });
  });
  common(connections.command('revoke').description('Revoke connections: refresh tokens stop at once, access tokens within 5 seconds on every runtime.'))
    .option('--all', 'revoke every connection of the project (needed when neither --integration nor --member is given)')
    .action(async (opts: Options) => {
      const filter = filterOf(opts);
      if (filter.integration === undefined && filter.member === undefined && !opts.all) {
        throw new CliError('BAD_ARGUMENT', `this would revoke every connection of project "${filter.project}"`, 'narrow it with --integration or --member, or confirm with --all');
      }
      await withStore(io, async (store) => {
        const revoked = await revokeConnections(store, filter, Date.now());
        if (opts.format === 'json') io.out(`${JSON.stringify({ format_version: 1, revoked }, null, 2)}\n`);
        else io.out(`revoked ${revoked.length} connection${revoked.length === 1 ? '' : 's'}\n${revoked.length ? renderList(revoked) : ''}`);
      });
    });
}

function filterOf(opts: Options): ConnectionFilter {
  const filter: ConnectionFilter = { project: assertResourceId(opts.project, '--project') };
  if (opts.integration !== undefined) filter.integration = assertResourceId(opts.integration, '--integration');
  if (opts.member !== undefined) {
    if (opts.member === '' || opts.member.length > 256) throw new CliError('BAD_ARGUMENT', '--member must be 1 to 256 characters', 'give the member id exactly as your login page or backend asserts it');
    filter.member = opts.member;
  }
  return filter;
}

/** Runs `fn` on the runtimes' shared store; refuses the in-memory one, which no other process can see. */
function withStore(io: CliIo, fn: (store: Store) => Promise<void>): Promise<void> {
  return withSharedStore(io, {
    message: 'connections live in the runtimes\' shared Redis store, and no Redis is configured',
    hint: 'set TENGINE_REDIS_URL (and TENGINE_REDIS_KEY_PREFIX if the runtimes use one) to the store the runtimes use; a runtime on the embedded store keeps its connections to itself',
  }, fn);
}

function renderList(found: readonly Connection[]): string {
  if (found.length === 0) return 'no connections\n';
  const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
  return found
    .map((c) => `${c.status.padEnd(7)}  ${c.integration}  ${c.member ?? '(project)'}  client ${c.client_id}  scopes ${c.scopes.join(' ') || '(none)'}  since ${iso(c.created_at)}  until ${iso(c.expires_at)}  id ${c.family}`)
    .join('\n')
    .concat('\n');
}
