import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { completionTree, SHELLS, type CompletionNode } from '../cli/completion/completion-script.js';
import { HELP_EXAMPLES } from '../cli/help-text.js';
import { memoryIo } from '../cli/io.js';
import { createProgram, runCli } from '../cli/program.js';

// `tengine completion SHELL` and the examples and exit codes of every command's --help.

async function cli(args: string[]) {
  const { io, buf } = memoryIo();
  const code = await runCli(args, io);
  return { code, out: buf.out, err: buf.err };
}

function allCommands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(allCommands)];
}

function pathOf(cmd: Command): string[] {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names;
}

const program = createProgram(memoryIo().io);
const tree = completionTree(program);
const nodes = (n: CompletionNode): CompletionNode[] => [n, ...n.subcommands.flatMap(nodes)];
const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

describe('tengine completion', () => {
  for (const shell of SHELLS) {
    it(`${shell}: names every command, sub-command, flag and choice of the program`, async () => {
      const r = await cli(['completion', shell]);
      expect(r.code, r.err).toBe(0);
      for (const n of nodes(tree)) {
        expect(r.out, n.path).toContain(n.name);
        for (const o of n.options) for (const f of o.flags) expect(r.out, `${n.path} ${f}`).toContain(shell === 'fish' ? (f.startsWith('--') ? `-l ${f.slice(2)}` : `-s ${f.slice(1)}`) : f);
        for (const c of n.argumentChoices) expect(r.out, `${n.path} ${c}`).toContain(c);
      }
      // Every visible option of every command is in the tree the scripts come from.
      for (const cmd of allCommands(program)) {
        const node = nodes(tree).find((n) => n.path === ['tengine', ...pathOf(cmd)].join(' '));
        expect(node, pathOf(cmd).join(' ')).toBeDefined();
        for (const o of cmd.options.filter((x) => !x.hidden)) expect(node!.options.some((x) => x.flags.includes(o.long!))).toBe(true);
      }
    });
  }

  it('bash: the script completes commands, sub-commands, flags and choices when bash runs it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tcompl-'));
    temps.push(dir);
    const script = path.join(dir, 'tengine.bash');
    await writeFile(script, (await cli(['completion', 'bash'])).out);
    const complete = (...words: string[]) =>
      execFileSync('bash', ['-c', `source "$1"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _tengine; printf '%s\\n' "\${COMPREPLY[@]}"`, 'x', script], { encoding: 'utf8' }).trim().split('\n');
    expect(complete('tengine', 'sta')).toEqual(['status']);
    expect(complete('tengine', 'keys', '')).toEqual(['generate', 'api-key', 'client-secret', 'connect-secret']);
    expect(complete('tengine', 'connect', 'co')).toEqual(['codex']);
    expect(complete('tengine', 'connect', 'cursor', '--wr')).toEqual(['--write']);
    expect(complete('tengine', 'plan', '-f', '')).toEqual(['human', 'json', 'markdown', 'github']);
    expect(complete('tengine', 'completion', '')).toEqual(['bash', 'zsh', 'fish']);
  });

  it('an unknown shell is BAD_ARGUMENT with the shells as the hint, nothing on stdout', async () => {
    const r = await cli(['completion', 'powershell']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^error BAD_ARGUMENT: .*'powershell'.*\n {2}hint: use one of: bash, zsh, fish\n$/);
  });
});

describe('--help of every command', () => {
  for (const cmd of allCommands(program)) {
    const name = ['tengine', ...pathOf(cmd)].join(' ');
    it(`${name} --help shows two examples and the exit codes`, async () => {
      const r = await cli([...pathOf(cmd), '--help']);
      expect(r.code).toBe(0);
      const examples = r.out.slice(r.out.indexOf('\nExamples:\n')).split('\n').filter((l) => l.startsWith('  $ '));
      expect(examples, name).toHaveLength(2);
      expect(r.out).toMatch(/\nExit codes:\n {2}0 {2}success\n {2}1 {2}failure/);
      // The examples are real: they run this command, and every flag they use is one of its flags.
      const flags = new Set(cmd.options.flatMap((o) => [o.long, o.short]).concat(['--help']));
      for (const ex of HELP_EXAMPLES[pathOf(cmd).join(' ')]!) {
        const words = ex.split(/\s+/);
        const at = words.indexOf('tengine');
        expect(at, ex).toBeGreaterThanOrEqual(0);
        const rest = words.slice(at + 1);
        const sub = rest.slice(0, pathOf(cmd).length);
        if (cmd.parent) expect(sub, ex).toEqual(pathOf(cmd));
        const target = cmd.commands.length ? allCommands(program).find((c) => pathOf(c).join(' ') === rest.filter((w) => !w.startsWith('-')).slice(0, 2).join(' ')) ?? allCommands(program).find((c) => pathOf(c).join(' ') === rest[0]) : cmd;
        const known = target ? new Set(target.options.flatMap((o) => [o.long, o.short]).concat(['--help'])) : flags;
        for (const w of rest) if (/^--?[a-z]/.test(w)) expect(known.has(w.split('=')[0]), `${ex}: ${w}`).toBe(true);
      }
    });
  }
  it('plan and status document exit 2', async () => {
    expect((await cli(['plan', '--help'])).out).toContain('2  --detailed-exitcode');
    expect((await cli(['status', '--help'])).out).toContain('2  drift');
  });
});
