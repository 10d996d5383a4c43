import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The modules a source file loads when it is imported: its static value imports (not `import type`, not the
 * `import()` calls that load a module when a command runs), followed through the project's own files.
 */
function staticGraph(entry: string): { files: Set<string>; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const queue = [resolve(ROOT, entry)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const source = readFileSync(file, 'utf8');
    const specs = [
      ...source.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^;'"]*?\bfrom\s+'([^']+)'/gms),
      ...source.matchAll(/^\s*import\s+'([^']+)'/gm),
    ].map((m) => m[1]!);
    for (const spec of specs) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
        if (existsSync(target)) queue.push(target);
      } else if (!spec.startsWith('node:')) {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!packages.has(name)) packages.set(name, relative(ROOT, file));
      }
    }
  }
  return { files: new Set([...files].map((f) => relative(ROOT, f))), packages };
}

describe('CLI start-up loads only what the command needs', () => {
  it('starting the CLI (every command registered, --help, --version) loads commander and no other package', () => {
    const { files, packages } = staticGraph('cli/main.ts');
    expect(Object.fromEntries(packages)).toEqual({ commander: 'cli/program.ts' });
    // The runtime, the config loader and the bundle signer are loaded by the commands that run them.
    for (const heavy of ['runtime/start.ts', 'cli/config/load-config.ts', 'cli/bundle/sign-bundle.ts', 'schemas/bundle-verify.ts', 'cli/dev/start-dev.ts']) {
      expect(files.has(heavy), `${heavy} is imported statically from cli/main.ts`).toBe(false);
    }
  });

  it('tengine validate loads the config loader without the runtime, the signer, the Redis or MCP clients, or an Ajv compile of its own schemas', () => {
    const { files, packages } = staticGraph('cli/config/load-config.ts');
    // Nor the precise YAML parser, which only a file the fast path refuses needs (cli/config/yaml-lib.ts).
    for (const pkg of ['jose', 'redis', '@modelcontextprotocol/sdk', 'hono', 'undici', 'pino', 'prom-client', 'yaml']) expect(packages.has(pkg), `${pkg} via ${packages.get(pkg)}`).toBe(false);
    // A few small runtime modules hold rules the checks share (store key shapes, tool errors); the server does not come.
    expect([...files].filter((f) => /^runtime\/(start|app|main)\.ts$|^runtime\/(mcp|oauth|observability)\/|^runtime\/store\/redis/.test(f))).toEqual([]);
    // The config schemas are compiled ahead of time (schemas/generated/); OpenAPI sources load their reader on demand.
    expect(files.has('schemas/generated/tengine-validators.ts')).toBe(true);
    expect(files.has('cli/openapi/expand.ts')).toBe(false);
  });
});
