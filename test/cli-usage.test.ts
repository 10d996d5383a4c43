import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryIo, type CliIo } from '../cli/io.js';
import { runCli } from '../cli/program.js';
import { generateKeyFiles, writeKeyFiles } from '../cli/keys/generate-keys.js';
import { generatePemKeyPair, tempDir } from './fixtures/bundle-fixtures.js';

// How the CLI fails when it is used wrongly: every failure is `error CODE: message` plus `  hint: …` on stderr,
// nothing on stdout, the documented exit code, and never commander's bare "error: …" line or a stack trace.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CRM = path.join(ROOT, 'examples/crm');
const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: path.join(ROOT, 'does-not-exist.gitconfig'), GIT_TERMINAL_PROMPT: '0' };

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('tengine-cli-usage-'));
});
afterEach(async () => cleanup());

async function cli(argv: string[], opts: { env?: Record<string, string>; stdin?: string; stdinIsTTY?: boolean; io?: (io: CliIo) => CliIo } = {}) {
  const m = memoryIo({ cwd: dir, env: opts.env ?? {}, ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}), stdinIsTTY: opts.stdinIsTTY ?? false });
  const code = await runCli(argv, opts.io ? opts.io(m.io) : m.io);
  return { code, out: m.buf.out, err: m.buf.err };
}

/** The one shape of every CLI failure: a first line `error CODE: …`, a hint, and nothing else unexpected. */
function expectCliError(r: { err: string }, code: string): void {
  const lines = r.err.trimEnd().split('\n');
  expect(lines[0]).toMatch(new RegExp(`^error ${code}: \\S`));
  expect(lines.at(-1)).toMatch(/^ {2}hint: \S/);
  expect(r.err).not.toMatch(/^error: /m); // commander's own line
  expect(r.err).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/); // a stack frame
}

describe('usage errors from the command line parser', () => {
  it.each([
    [['bogus'], /unknown command 'bogus'/, /run tengine --help/],
    [['valdate'], /unknown command 'valdate'/, /did you mean validate\?/],
    [['validate', '--fromat', 'json'], /unknown option '--fromat'/, /did you mean --format\?/],
    [['validate', 'a', 'b'], /too many arguments/, /run tengine validate --help/],
    [['keys', 'bogus'], /unknown command 'bogus'/, /run tengine keys --help/],
    [['keys', 'api-key', '--project', 'demo'], /required option '--integration <id>' not specified/, /run tengine keys api-key --help/],
    [['verify'], /missing required argument 'bundle'/, /run tengine verify --help/],
    [['serve', '--port'], /option '--port <port>' argument missing/, /run tengine serve --help/],
    [['connect', 'emacs'], /'emacs' is invalid for argument 'client'/, /use one of: claude-code, cursor, vscode, anthropic-api, claude-desktop, codex, openai-api, json/],
  ])('%j: BAD_ARGUMENT, exit 1, a hint, nothing on stdout', async (argv, message, hint) => {
    const r = await cli(argv);
    expect(r.code).toBe(1);
    expectCliError(r, 'BAD_ARGUMENT');
    expect(r.err.split('\n')[0]).toMatch(message);
    expect(r.err).toMatch(hint);
    expect(r.out).toBe('');
  });

  it.each([
    [['validate'], 'human, json, github, sarif, junit'],
    [['build'], 'human, json'],
    [['plan'], 'human, json, markdown, github'],
    [['verify', 'b.json'], 'human, json'],
    [['connect', 'cursor'], 'human, json'],
    [['keys', 'generate'], 'human, json'],
    [['keys', 'api-key', '--project', 'p', '--integration', 'i'], 'human, json'],
    [['secret', 'encrypt'], 'human, json'],
    [['dev'], 'human, json'],
  ])('%j --format xml: the same BAD_ARGUMENT with the allowed formats as the hint, before any work', async (argv, allowed) => {
    const r = await cli([...argv, '--format', 'xml']);
    expect(r.code).toBe(1);
    expectCliError(r, 'BAD_ARGUMENT');
    expect(r.err).toContain(`hint: use one of: ${allowed}\n`);
    expect(r.out).toBe('');
  });

  it('--help of every command exits 0 on stdout, and lists no "(default: [])" noise', async () => {
    for (const argv of [[], ['validate'], ['build'], ['plan'], ['verify'], ['serve'], ['dev'], ['connect'], ['keys'], ['keys', 'generate'], ['keys', 'api-key'], ['keys', 'client-secret'], ['secret'], ['secret', 'encrypt']]) {
      const r = await cli([...argv, '--help']);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.out).toMatch(/^Usage: tengine/);
      expect(r.out).not.toContain('(default: [])');
      expect(r.err).toBe('');
    }
  });

  it('--version is the version of package.json (the constant in program.ts cannot drift), as pinned by examples/ci', async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`${pkg.version}\n`);
    const ci = JSON.parse(await readFile(path.join(ROOT, 'examples/ci/package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(ci.devDependencies[pkg.name]).toBe(pkg.version);
  });
});

describe('config errors of build and plan end with CONFIG_INVALID, like dev', () => {
  beforeEach(async () => {
    await writeFile(path.join(dir, 'tengine.config.yaml'), 'version: 1\nprojects:\n  - id: demo\n    nmae: x\n');
    await writeFile(path.join(dir, 'signing.key.pem'), generatePemKeyPair('ed25519').privatePem);
  });

  it('build: the diagnostics, then error CONFIG_INVALID (exit 1), and no bundle file', async () => {
    const r = await cli(['build', '--key', 'signing.key.pem']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/tengine\.config\.yaml:4:5: error TNG100/);
    expect(r.err).toMatch(/\nerror CONFIG_INVALID: tengine\.config\.yaml is invalid; the bundle was not written\n {2}hint: /);
    expect(r.out).toBe('');
    expect(await readdir(dir)).not.toContain('tengine.bundle.json');
    // JSON: the validation report is the result on stdout; the error line still goes to stderr.
    const json = await cli(['build', '--key', 'signing.key.pem', '-f', 'json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({ valid: false, summary: { errors: 1 } });
    expect(json.err).toMatch(/^error CONFIG_INVALID: /);
  });

  it('plan: an invalid working config is CONFIG_INVALID (exit 1), never a plan', async () => {
    execFileSync('git', ['init', '-q'], { cwd: dir, env: GIT_ENV });
    const r = await cli(['plan', '--detailed-exitcode']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/\nerror CONFIG_INVALID: the working config is invalid; plan not computed\n {2}hint: /);
    expect(r.out).toBe('');
  });
});

describe('tengine build --out', () => {
  it('a directory or a missing directory: OUTPUT_UNWRITABLE saying which, and no temporary file left behind', async () => {
    await writeFile(path.join(dir, 'tengine.config.yaml'), 'version: 1\nprojects:\n  - id: demo\n');
    await writeFile(path.join(dir, 'signing.key.pem'), generatePemKeyPair('ed25519').privatePem);
    await mkdir(path.join(dir, 'out'));
    const isDir = await cli(['build', '--key', 'signing.key.pem', '--out', 'out']);
    expect(isDir.code).toBe(1);
    expectCliError(isDir, 'OUTPUT_UNWRITABLE');
    expect(isDir.err).toContain('cannot write out: it is a directory\n  hint: name the bundle file, e.g. --out out/tengine.bundle.json\n');
    const noDir = await cli(['build', '--key', 'signing.key.pem', '--out', 'nope/b.json']);
    expect(noDir.code).toBe(1);
    expect(noDir.err).toContain('cannot write nope/b.json: the directory nope does not exist');
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(await readdir(path.join(dir, 'out'))).toEqual([]);
  });
});

describe('tengine validate on the wrong path', () => {
  it('a directory without a config: TNG001 says so, with a hint to pass the right path', async () => {
    await mkdir(path.join(dir, 'empty'));
    const r = await cli(['validate', 'empty', '-f', 'json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as { diagnostics: { code: string; message: string; hint: string }[] };
    expect(report.diagnostics).toEqual([
      expect.objectContaining({ code: 'TNG001', message: 'no tengine.config.yaml or tengine.config.yml in empty', hint: expect.stringMatching(/pass the config file or the directory/) }),
    ]);
  });

  it('an included fragment given as the config: one TNG015 that names the root config to validate instead', async () => {
    await cp(CRM, path.join(dir, 'crm'), { recursive: true });
    const r = await cli(['validate', 'crm/tools/contacts.yaml']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^crm\/tools\/contacts\.yaml:6:1: error TNG015 crm\/tools\/contacts\.yaml is an included fragment/);
    expect(r.out).toContain('  hint: validate the root config that includes it: tengine validate crm\n');
    expect(r.out.match(/ error /g)).toHaveLength(1);
  });

  it('a shell-style ${NAME} reference: TNG010 with the ${env:NAME} form as the hint', async () => {
    await writeFile(path.join(dir, 'tengine.config.yaml'), 'version: 1\nprojects:\n  - id: demo\n    name: "${REGION:-eu} demo"\n');
    const r = await cli(['validate', '-f', 'json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as { diagnostics: { code: string; hint: string }[] };
    expect(report.diagnostics).toEqual([expect.objectContaining({ code: 'TNG010', hint: 'write ${env:REGION:-eu}; write $${ for a literal ${' })]);
  });
});

describe('tengine plan: why it exits 1, and a repository without commits', () => {
  async function repo(): Promise<void> {
    await cp(CRM, dir, { recursive: true });
    for (const args of [['init', '-q'], ['add', '-A'], ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'base']]) {
      execFileSync('git', args, { cwd: dir, env: GIT_ENV });
    }
  }

  it('--fail-on hit: the plan on stdout, and PLAN_FAIL_ON on stderr naming the count and level (exit 1)', async () => {
    await repo();
    const tools = path.join(dir, 'tools/deals.yaml');
    const text = await readFile(tools, 'utf8');
    await writeFile(tools, text.replace(/ {2}- name: crm-deals-delete[\s\S]*?(?= {2}- name: )/, ''));
    const r = await cli(['plan', '--fail-on', 'breaking', '--fail-on', 'breaking,security']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('TOOL_REMOVED');
    expect(r.err).toBe(
      'error PLAN_FAIL_ON: 1 breaking change not accepted (--fail-on breaking,security)\n' +
        '  hint: review the plan; accept an intended change in .tengine-plan-ignore.yaml with a reason (docs/plan-rules.md#the-ignore-file)\n',
    );
  });

  it('an ignore file with several problems: the first on the error line, each other one on its own line', async () => {
    await repo();
    await writeFile(path.join(dir, 'ignore.yaml'), 'version: 1\naccept:\n  - rule: TOOL_REMOVD\n    project: crm\n    reason: gone\n  - rule: TOOL_REMOVED\n    project: crm\n    reason: x\n    expires: 2026-02-30\n');
    const r = await cli(['plan', '--ignore-file', 'ignore.yaml']);
    expect(r.code).toBe(1);
    expectCliError(r, 'PLAN_IGNORE_INVALID');
    expect(r.err.split('\n')).toEqual([
      'error PLAN_IGNORE_INVALID: ignore.yaml:3: accept[0]: rule "TOOL_REMOVD" is not a rule ID of docs/plan-rules.md (did you mean TOOL_REMOVED?)',
      '  ignore.yaml:6: accept[1]: expires 2026-02-30 is not a calendar date',
      expect.stringMatching(/^ {2}hint: every entry needs rule, project and a non-empty reason/),
      '',
    ]);
    expect(r.out).toBe('');
    const missing = await cli(['plan', '--ignore-file', 'nope.yaml']);
    expect(missing.code).toBe(1);
    expectCliError(missing, 'PLAN_IGNORE_UNREADABLE');
    expect(missing.err).toContain('hint: check the path given to --ignore-file');
  });

  it('--against runtime:http:// on a non-loopback host is refused before the admin token is sent anywhere', async () => {
    await writeFile(path.join(dir, 'tengine.config.yaml'), 'version: 1\nprojects:\n  - id: demo\n');
    const r = await cli(['plan', '--against', 'runtime:http://mcp.example.invalid'], { env: { TENGINE_ADMIN_TOKEN: 'adm_secret' } });
    expect(r.code).toBe(1);
    expectCliError(r, 'PLAN_RUNTIME_URL_INVALID');
    expect(r.err).toContain('clear text');
    expect(r.err).not.toContain('adm_secret');
    // Loopback http:// stays allowed (a local runtime); nothing listens on port 9 here, so it is unreachable.
    const local = await cli(['plan', '--against', 'runtime:http://127.0.0.1:9'], { env: { TENGINE_ADMIN_TOKEN: 'adm_secret' } });
    expect(local.code).toBe(1);
    expectCliError(local, 'PLAN_RUNTIME_UNREACHABLE');
  });

  it('a repository without commits: PLAN_REF_NOT_FOUND says so and says to commit first', async () => {
    await cp(CRM, dir, { recursive: true });
    execFileSync('git', ['init', '-q'], { cwd: dir, env: GIT_ENV });
    const r = await cli(['plan']);
    expect(r.code).toBe(1);
    expectCliError(r, 'PLAN_REF_NOT_FOUND');
    expect(r.err).toContain('the repository has no commits yet');
    expect(r.err).toContain('hint: commit the config first');
  });
});

describe('environment variables and flags that were silently misread', () => {
  it('verify: TENGINE_BUNDLE_PUBLIC_KEYS holds several comma-separated paths, as for serve and plan', async () => {
    const files = await generateKeyFiles();
    await writeKeyFiles(dir, files, { force: false });
    await writeFile(path.join(dir, 'tengine.config.yaml'), 'version: 1\nprojects:\n  - id: demo\n');
    const other = generatePemKeyPair('ed25519');
    await writeFile(path.join(dir, 'other.pub.pem'), other.publicPem);
    expect((await cli(['build', '--key', 'bundle-signing.key.pem'])).code).toBe(0);
    const r = await cli(['verify', 'tengine.bundle.json'], { env: { TENGINE_BUNDLE_PUBLIC_KEYS: 'other.pub.pem, bundle-signing.pub.pem' } });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('tengine.bundle.json: valid');
    const unknown = await cli(['verify', 'tengine.bundle.json'], { env: { TENGINE_BUNDLE_PUBLIC_KEYS: 'other.pub.pem' } });
    expect(unknown.code).toBe(1);
    expectCliError(unknown, 'BUNDLE_KEY_UNKNOWN');
  });

  it('serve: an unknown --log-level or TENGINE_LOG_LEVEL is USAGE with the boot exit code 2, not silently "info"', async () => {
    const flag = await cli(['serve', '--log-level', 'verbose']);
    expect(flag.code).toBe(2);
    expectCliError(flag, 'USAGE');
    expect(flag.err).toContain('hint: use one of: debug, info, warn, error');
    const env = await cli(['serve'], { env: { TENGINE_LOG_LEVEL: 'warning' } });
    expect(env.code).toBe(2);
    expect(env.err).toMatch(/^error USAGE: TENGINE_LOG_LEVEL "warning" is not a log level/);
    // A valid level reaches the runtime's own checks (here: no bundle given).
    const valid = await cli(['serve', '--log-level', 'warn']);
    expect(valid.code).toBe(2);
    expectCliError(valid, 'BUNDLE_MISSING');
  });

  it('serve: the Redis topology variables are in --help; two of them at once are USAGE (exit 2) naming both', async () => {
    const help = await cli(['serve', '--help']);
    expect(help.code).toBe(0);
    for (const name of ['TENGINE_REDIS_URL', 'TENGINE_REDIS_CLUSTER_NODES', 'TENGINE_REDIS_SENTINELS', 'TENGINE_REDIS_SENTINEL_NAME']) expect(help.out).toContain(name);
    const both = await cli(['serve'], { env: { TENGINE_REDIS_URL: 'redis://127.0.0.1:1', TENGINE_REDIS_SENTINELS: '127.0.0.1:2', TENGINE_REDIS_SENTINEL_NAME: 'mymaster' } });
    expect(both.code).toBe(2);
    expectCliError(both, 'USAGE');
    expect(both.err).toMatch(/^error USAGE: TENGINE_REDIS_URL and TENGINE_REDIS_SENTINELS are both set/);
  });

  it('secret encrypt with nothing piped in says what it waits for (on stderr); piped input gets no such note', async () => {
    const files = await generateKeyFiles();
    await writeKeyFiles(dir, files, { force: false });
    const tty = await cli(['secret', 'encrypt', '--key', 'runtime-keys.pub.json'], { stdin: 'typed-secret\n', stdinIsTTY: true });
    expect(tty.code).toBe(0);
    expect(tty.err).toMatch(/^Type or paste the secret, then press Enter and Ctrl\+D/);
    const piped = await cli(['secret', 'encrypt', '--key', 'runtime-keys.pub.json'], { stdin: 'piped-secret' });
    expect(piped.code).toBe(0);
    expect(piped.err).not.toContain('Type or paste');
  });

  it('keys generate: KEYS_EXIST names the folder as given and the file names, not absolute paths', async () => {
    expect((await cli(['keys', 'generate', '--out', 'k'])).code).toBe(0);
    const again = await cli(['keys', 'generate', '--out', 'k']);
    expect(again.code).toBe(1);
    expectCliError(again, 'KEYS_EXIST');
    expect(again.err.split('\n')[0]).toBe('error KEYS_EXIST: key files already exist in k: bundle-signing.key.pem, bundle-signing.pub.pem, runtime-keys.json, runtime-keys.pub.json');
  });
});

describe('tengine serve', () => {
  it('with a public URL, the ready line also names the local address it listens on; SIGINT stops it with exit 0', async () => {
    const files = await generateKeyFiles();
    await writeKeyFiles(dir, files, { force: false });
    await writeFile(path.join(dir, 'tengine.config.yaml'), 'version: 1\nruntime:\n  public_url: https://mcp.example.com\nprojects:\n  - id: demo\n');
    expect((await cli(['build', '--key', 'bundle-signing.key.pem'])).code).toBe(0);
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const m = memoryIo({ cwd: dir, env: {} });
    // Absolute paths: the runtime resolves them against the process's directory, not the test's io.cwd.
    const running = runCli(['serve', '--bundle', path.join(dir, 'tengine.bundle.json'), '--bundle-public-key', path.join(dir, 'bundle-signing.pub.pem'), '--port', String(port)], m.io);
    for (let i = 0; i < 100 && !m.buf.err.includes('tengine: serving'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(m.buf.err).toMatch(new RegExp(`tengine: serving https://mcp\\.example\\.com/mcp \\(bundle sha256:[0-9a-f]{64}\\), listening on http://127\\.0\\.0\\.1:${port}\\n`));
    process.emit('SIGINT');
    expect(await running).toBe(0);
  });

  it('a bundle with a development project: DEVELOPMENT_BUNDLE, exit 19; --allow-development serves it; the other overrides are parsed', async () => {
    const files = await generateKeyFiles();
    await writeKeyFiles(dir, files, { force: false });
    await writeFile(path.join(dir, 'tengine.config.yaml'), 'version: 1\nprojects:\n  - id: sandbox\n    environment: development\n');
    expect((await cli(['build', '--key', 'bundle-signing.key.pem'])).code).toBe(0);
    const args = ['serve', '--bundle', path.join(dir, 'tengine.bundle.json'), '--bundle-public-key', path.join(dir, 'bundle-signing.pub.pem'), '--port', '0'];
    const refused = await cli(args);
    expect(refused.code).toBe(19);
    expectCliError(refused, 'DEVELOPMENT_BUNDLE');
    expect(refused.err).toContain('"sandbox"');
    const badDigest = await cli([...args, '--allow-development', '--allow-rollback-to', 'v1.2']);
    expect(badDigest.code).toBe(2);
    expectCliError(badDigest, 'USAGE');

    const m = memoryIo({ cwd: dir, env: {} });
    const running = runCli([...args, '--allow-development', '--allow-evicting-store'], m.io);
    for (let i = 0; i < 100 && !m.buf.err.includes('tengine: serving'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(m.buf.err).toMatch(/"event":"development_projects"/);
    expect(m.buf.err).toContain('tengine: serving http://127.0.0.1:');
    process.emit('SIGINT');
    expect(await running).toBe(0);
  });
});

describe('the real process', () => {
  it('a reader that stops early (`tengine validate | head -1`) ends the output quietly: the exit code, no EPIPE stack trace', async () => {
    // Enough diagnostics to overflow a pipe buffer, so writes are still pending when the reader goes away.
    const tools = Array.from({ length: 1500 }, (_, i) => `      - {name: t${i}, description: x, input_schema: {type: object, properties: {}}, base_url: "http://api.example.com", http_method: GET, endpoint_path: /x}`);
    await writeFile(path.join(dir, 'tengine.config.yaml'), `version: 1\nprojects:\n  - id: demo\n    tools:\n${tools.join('\n')}\n`);
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const child = spawn(process.execPath, ['--import', tsx, path.join(ROOT, 'cli/main.ts'), 'validate'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(err).toBe('');
    expect(code).toBe(1);
  }, 30_000);
});

describe('colour', () => {
  it('diagnostics written to stderr are coloured only when stderr is a terminal, whatever stdout is', async () => {
    await writeFile(path.join(dir, 'tengine.config.yaml'), 'version: 1\nversion: 1\n');
    await writeFile(path.join(dir, 'signing.key.pem'), generatePemKeyPair('ed25519').privatePem);
    const stdoutTty = await cli(['build', '--key', 'signing.key.pem'], { io: (io) => ({ ...io, color: true, errColor: false }) });
    expect(stdoutTty.code).toBe(1);
    expect(stdoutTty.err).toContain('error TNG003');
    expect(stdoutTty.err).not.toContain('\u001b[');
    const stderrTty = await cli(['build', '--key', 'signing.key.pem'], { io: (io) => ({ ...io, color: false, errColor: true }) });
    expect(stderrTty.err).toContain('\u001b[31merror\u001b[0m');
  });
});

describe('JSON mode errors (one document on stdout)', () => {
  it('a command failing before its result prints {ok:false, error:{code, message, hint}} on stdout, and the human line on stderr', async () => {
    const { io, buf } = memoryIo({ cwd: process.cwd(), env: {} });
    const code = await runCli(['build', 'examples/crm', '-f', 'json'], io);
    expect(code).toBe(1);
    const doc = JSON.parse(buf.out) as { format_version: number; ok: boolean; error: { code: string; hint?: string } };
    expect(doc).toMatchObject({ format_version: 1, ok: false, error: { code: 'SIGNING_KEY_MISSING' } });
    expect(doc.error.hint).toBeTruthy();
    expect(buf.err).toMatch(/^error SIGNING_KEY_MISSING: /);
  });

  it('a command that already wrote its JSON report keeps it as the only document', async () => {
    const { io, buf } = memoryIo({ cwd: process.cwd(), env: { TENGINE_BUNDLE_SIGNING_KEY: generatePemKeyPair('ed25519').privatePem } });
    const code = await runCli(['build', 'test/fixtures/multi-error', '--format=json', '--out', '/tmp/never-written.bundle.json'], io);
    expect(code).toBe(1);
    const doc = JSON.parse(buf.out) as { valid: boolean; diagnostics: unknown[] };
    expect(doc.valid).toBe(false);
    expect(doc.diagnostics.length).toBeGreaterThan(0);
    expect(buf.err).toContain('error CONFIG_INVALID');
  });
});
