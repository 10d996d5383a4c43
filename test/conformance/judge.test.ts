// The conformance job's verdict rules (test/conformance/judge.ts): a failure passes the job only when listed, and
// a listed failure that stopped failing fails it, so expected-failures.yaml cannot rot.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { checkExpectations, judge, type Expectation, type ScenarioResult } from './judge.js';

const ok = (id: string) => ({ id, status: 'SUCCESS' });
const bad = (id: string) => ({ id, status: 'FAILURE', message: `${id} failed` });
const run = (scenario: string, ...checks: ScenarioResult['checks']): ScenarioResult => ({ scenario, checks });

describe('judge', () => {
  it('passes a scenario without failing checks, warnings and info included', () => {
    const v = judge('stable', [run('ping', ok('ping'), { id: 'session', status: 'WARNING' }, { id: 'note', status: 'INFO' })], []);
    expect(v).toMatchObject({ passed: 1, expected: 0, unexpected: 0, stale: 0 });
    expect(v.lines[0]).toBe('pass     ping (1/3 checks passed, 1 warnings)');
  });

  it('fails on an unlisted failure and names the check with its message', () => {
    const v = judge('stable', [run('tools-call-image', bad('tools-call-image'))], []);
    expect(v).toMatchObject({ passed: 0, unexpected: 1, stale: 0 });
    expect(v.lines).toContain('           tools-call-image: tools-call-image failed');
  });

  it('accepts a listed scenario that fails, in the suites it is listed for only', () => {
    const list: Expectation[] = [{ scenario: 'prompts-list', suites: ['stable'], reason: 'no prompts' }];
    expect(judge('stable', [run('prompts-list', bad('prompts-list'))], list)).toMatchObject({ expected: 1, unexpected: 0, stale: 0 });
    expect(judge('next', [run('prompts-list', bad('prompts-list'))], list)).toMatchObject({ expected: 0, unexpected: 1 });
  });

  it('calls a listed scenario that passes stale', () => {
    const v = judge('next', [run('prompts-list', ok('prompts-list'))], [{ scenario: 'prompts-list', reason: 'no prompts' }]);
    expect(v).toMatchObject({ expected: 0, stale: 1 });
    expect(v.lines[0]).toMatch(/^STALE {4}prompts-list .*remove it/);
  });

  it('calls a listed scenario the suite did not run stale', () => {
    expect(judge('next', [], [{ scenario: 'gone', reason: 'r' }])).toMatchObject({ stale: 1 });
  });

  it('with per-check entries, excuses only the listed checks and calls a listed passing check stale', () => {
    const list: Expectation[] = [
      { scenario: 'server-stateless', check: 'undeclared-capability', reason: 'no tool needs a client capability' },
      { scenario: 'server-stateless', check: 'prompts-list-changed', reason: 'no prompts' },
    ];
    const expected = judge('next', [run('server-stateless', ok('discover'), bad('undeclared-capability'), bad('prompts-list-changed'))], list);
    expect(expected).toMatchObject({ expected: 1, unexpected: 0, stale: 0 });
    const other = judge('next', [run('server-stateless', bad('discover'), bad('undeclared-capability'))], list);
    expect(other).toMatchObject({ expected: 0, unexpected: 1, stale: 1 });
    expect(other.lines.join('\n')).toContain('discover: discover failed');
    expect(other.lines.join('\n')).toContain('STALE    server-stateless:prompts-list-changed');
  });

  it('counts a repeated failing check id once', () => {
    const v = judge('next', [run('s', bad('x'), bad('x'))], [{ scenario: 's', check: 'x', reason: 'r' }]);
    expect(v).toMatchObject({ expected: 1, unexpected: 0, stale: 0 });
  });

  it('refuses an entry without a reason, an unknown suite, and a scenario listed whole and per check', () => {
    expect(() => checkExpectations([{ scenario: 'a', reason: ' ' }])).toThrow(/needs a scenario and a reason/);
    expect(() => checkExpectations([{ scenario: 'a', suites: ['draft' as 'next'], reason: 'r' }])).toThrow(/unknown suite draft/);
    expect(() => checkExpectations([{ scenario: 'a', reason: 'r' }, { scenario: 'a', check: 'c', reason: 'r' }])).toThrow(/both as a whole and per check/);
    expect(() => checkExpectations([{ scenario: 'a', suites: ['stable'], reason: 'r' }, { scenario: 'a', check: 'c', suites: ['next'], reason: 'r' }])).not.toThrow();
  });

  it('the committed expected-failures.yaml is well formed', () => {
    const file = parse(readFileSync('test/conformance/expected-failures.yaml', 'utf8')) as { expected_failures: Expectation[] };
    expect(file.expected_failures.length).toBeGreaterThan(0);
    expect(() => checkExpectations(file.expected_failures)).not.toThrow();
  });
});
