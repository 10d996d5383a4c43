// A fresh `npm install` must not rewrite package-lock.json (issue 8, defect 11: its root `engines` disagreed with
// package.json, so every new clone started with a modified lock file). npm copies these fields of package.json into
// the lock's root package; any drift between them is what a fresh install "fixes".
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { name: string; version: string; packages: Record<string, Record<string, unknown>> };

describe('package-lock.json agrees with package.json', () => {
  it.each(['name', 'version', 'license', 'engines', 'bin', 'dependencies', 'devDependencies'])('root package field %s', (field) => {
    expect(lock.packages['']![field]).toEqual(pkg[field]);
  });

  it('the lock names the same package and version', () => {
    expect({ name: lock.name, version: lock.version }).toEqual({ name: pkg.name, version: pkg.version });
  });
});
