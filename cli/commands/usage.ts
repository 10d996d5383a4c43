import { Option, type Command } from 'commander';
import type { BucketKind } from '../../runtime/usage/record-keys.js';
import { eraseMember, readUsage, type UsageGroupBy, type UsageQuery } from '../../runtime/usage/usage-report.js';
import { CliError, type CliIo } from '../io.js';
import { assertResourceId } from '../keys/mint-credential.js';
import { withSharedStore } from '../store/shared-store.js';
import { renderUsageCsv, renderUsageJson, renderUsageTable } from '../usage/render-usage.js';

type Format = 'table' | 'json' | 'csv';
interface Options {
  project?: string;
  integration?: string;
  member?: string;
  tool?: string;
  since: string;
  by: UsageGroupBy;
  format: Format;
  top?: string;
  now?: string;
}

// The longest ranges read: the longest retention each kind of bucket may have (docs/config.md).
const MAX_HOURS = 400 * 24;
const MAX_DAYS = 3660;
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Registers `tengine usage` (read usage records) and `tengine usage erase` (delete one member's). */
export function registerUsageCommand(program: Command, io: CliIo): void {
  program
    .command('usage')
    .description("Show the usage records the runtimes keep in their shared Redis store (TENGINE_REDIS_URL or REDIS_URL); `tengine usage erase` deletes one member's.")
    .argument('[action]', 'erase: delete every record of --member in --project (an erasure request)')
    .option('--project <id>', 'project id (required)')
    .option('--integration <id>', 'only calls through this integration')
    .option('--member <id>', "only calls of this member (the customer's own member id)")
    .option('--tool <name>', 'only calls of this tool')
    .option('--since <range>', 'the last N hours or days, the current one included: 36h, 7d', '7d')
    .addOption(new Option('--by <group>', 'one row per').choices(['day', 'hour', 'tool', 'member']).default('day'))
    .option('--top <n>', 'only the N tools or members with the most calls (with --by tool or member)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    // Golden tests pin the clock; never needed in use.
    .addOption(new Option('--now <iso>', 'the time the range ends in').hideHelp())
    .action(async (action: string | undefined, opts: Options) => {
      const project = assertResourceId(requireProject(opts.project), '--project');
      if (action === 'erase') return erase(io, project, opts);
      if (action !== undefined) throw new CliError('BAD_ARGUMENT', `unknown action "${action.slice(0, 40)}"`, 'the only action is erase (tengine usage erase --project P --member M); without one, usage is shown');
      const query = queryOf(project, opts);
      const report = await withSharedStore(io, STORE_NEED, (store) => readUsage(store, query));
      io.out(opts.format === 'json' ? renderUsageJson(report) : opts.format === 'csv' ? renderUsageCsv(report) : renderUsageTable(report, io.color));
    });
}

const STORE_NEED = {
  message: "usage records live in the runtimes' shared Redis store, and no Redis is configured",
  hint: 'set TENGINE_REDIS_URL (and TENGINE_REDIS_KEY_PREFIX if the runtimes use one) to the store the runtimes use; a runtime on the embedded (in-memory) store is one process whose memory nothing else can read, so it keeps no usage records',
};

function requireProject(project: string | undefined): string {
  if (project === undefined) throw new CliError('BAD_ARGUMENT', '--project is required', 'name the project whose usage to show: tengine usage --project P');
  return project;
}

/** The query the flags describe; bad flags are BAD_ARGUMENT with a hint. */
function queryOf(project: string, opts: Options): UsageQuery {
  const q: UsageQuery = { project, by: opts.by, now: nowOf(opts.now), ...rangeOf(opts.since, opts.by) };
  if (opts.integration !== undefined) q.integration = assertResourceId(opts.integration, '--integration');
  if (opts.member !== undefined) q.member = memberOf(opts.member);
  if (opts.tool !== undefined) {
    if (!TOOL_NAME.test(opts.tool)) throw new CliError('BAD_ARGUMENT', `--tool ${JSON.stringify(opts.tool.slice(0, 80))} is not a tool name`, 'tool names are 1-64 of A-Z a-z 0-9 _ . -, exactly as in tengine.config.yaml');
    q.tool = opts.tool;
  }
  if (opts.top !== undefined) {
    if (!/^[1-9][0-9]{0,5}$/.test(opts.top)) throw new CliError('BAD_ARGUMENT', `--top ${JSON.stringify(opts.top.slice(0, 20))} is not a positive whole number`, 'give how many of the heaviest tools or members to show, e.g. --top 10');
    if (opts.by !== 'tool' && opts.by !== 'member') throw new CliError('BAD_ARGUMENT', `--top ranks tools or members, not ${opts.by}s`, 'add --by member or --by tool');
    q.top = Number(opts.top);
  }
  return q;
}

/** `--since` as buckets: days read daily buckets, hours (or any range `--by hour`) hourly ones. */
function rangeOf(since: string, by: UsageGroupBy): { bucket: BucketKind; buckets: number } {
  const m = /^([1-9][0-9]{0,5})([hd])$/.exec(since);
  const hint = `give the last N hours or days, the current one included: 36h or 7d (at most ${MAX_HOURS}h of hourly or ${MAX_DAYS}d of daily buckets)`;
  if (!m) throw new CliError('BAD_ARGUMENT', `--since ${JSON.stringify(since.slice(0, 20))} is not a range`, hint);
  const n = Number(m[1]);
  const range = by === 'hour' || m[2] === 'h' ? { bucket: 'h' as const, buckets: m[2] === 'd' ? n * 24 : n } : { bucket: 'd' as const, buckets: n };
  if (range.buckets > (range.bucket === 'h' ? MAX_HOURS : MAX_DAYS)) throw new CliError('BAD_ARGUMENT', `--since ${since} ${by === 'hour' ? 'by hour ' : ''}is longer than any retention`, hint);
  return range;
}

function memberOf(member: string): string {
  if (member === '' || member.length > 256) throw new CliError('BAD_ARGUMENT', '--member must be 1 to 256 characters', 'give the member id exactly as your login page or backend asserts it');
  return member;
}

function nowOf(now: string | undefined): number {
  if (now === undefined) return Date.now();
  const t = Date.parse(now);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(now) || !Number.isFinite(t)) throw new CliError('BAD_ARGUMENT', `--now ${JSON.stringify(now.slice(0, 40))} is not an ISO 8601 time`, 'e.g. --now 2026-12-07T08:30:00Z');
  return t;
}

/** `tengine usage erase`: one member's counters out of every bucket of the project. */
async function erase(io: CliIo, project: string, opts: Options): Promise<void> {
  if (opts.member === undefined) throw new CliError('BAD_ARGUMENT', 'erase needs --member', "name the member whose records to delete: tengine usage erase --project P --member M");
  const member = memberOf(opts.member);
  if (opts.integration !== undefined || opts.tool !== undefined || opts.top !== undefined) {
    throw new CliError('BAD_ARGUMENT', 'erase deletes every record of the member; --integration, --tool and --top do not apply', 'run tengine usage erase --project P --member M');
  }
  const result = await withSharedStore(io, STORE_NEED, (store) => eraseMember(store, project, member));
  if (opts.format === 'json') io.out(`${JSON.stringify({ format_version: 1, project, member, erased: result }, null, 2)}\n`);
  else io.out(`erased ${result.fields} counter${result.fields === 1 ? '' : 's'} of member ${JSON.stringify(member)} from ${result.buckets} bucket${result.buckets === 1 ? '' : 's'} of project ${project}\n`);
}
