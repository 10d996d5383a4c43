#!/usr/bin/env node
import process from 'node:process';
import { parseArgs } from 'node:util';
import { RuntimeBootError, resolveRuntimeOptions, startRuntime } from './start.js';
import { BOOT_EXIT } from './load/boot-exit-codes.js';
import { handleSignals } from './lifecycle/signals.js';

// The runtime's process entry: reads flags and TENGINE_* variables, boots, drains on SIGTERM/SIGINT, reloads on SIGHUP.
// It is the only place in runtime/ that touches process.exit and the real environment.
const write = (line: string) => void process.stderr.write(line);
try {
  const { values } = parseArgs({
    options: {
      bundle: { type: 'string' },
      'bundle-public-key': { type: 'string', multiple: true },
      'runtime-keys': { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'public-url': { type: 'string' },
      'log-level': { type: 'string' },
      'allow-development': { type: 'boolean' },
      'allow-rollback-to': { type: 'string' },
      'allow-evicting-store': { type: 'boolean' },
      'drain-delay': { type: 'string' },
      'drain-timeout': { type: 'string' },
      'watch-bundle': { type: 'boolean' },
      'metrics-port': { type: 'string' },
      'metrics-host': { type: 'string' },
    },
    strict: true,
  });
  const opts = await resolveRuntimeOptions(
    {
      bundle: values.bundle,
      bundlePublicKey: values['bundle-public-key'],
      runtimeKeys: values['runtime-keys'],
      host: values.host,
      port: values.port,
      publicUrl: values['public-url'],
      logLevel: values['log-level'],
      allowDevelopment: values['allow-development'],
      allowRollbackTo: values['allow-rollback-to'],
      allowEvictingStore: values['allow-evicting-store'],
      drainDelay: values['drain-delay'],
      drainTimeout: values['drain-timeout'],
      watchBundle: values['watch-bundle'],
      metricsPort: values['metrics-port'],
      metricsHost: values['metrics-host'],
    },
    process.env,
    write,
    true,
  );
  const booting = startRuntime(opts);
  void handleSignals(booting, { on: (signal, handler) => process.on(signal, handler), off: (signal, handler) => process.off(signal, handler), exit: (code) => process.exit(code), log: opts.log });
  await booting;
} catch (e) {
  if (e instanceof RuntimeBootError) {
    write(`tengine runtime: error ${e.code}: ${e.message}\n  hint: ${e.hint}\n`);
    process.exit(e.exitCode);
  }
  const code = (e as { code?: string })?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    write(`tengine runtime: error USAGE: ${(e as Error).message}\n`);
    process.exit(BOOT_EXIT.USAGE);
  }
  write(`tengine runtime: error INTERNAL: ${(e as Error)?.message ?? String(e)}\n`);
  process.exit(BOOT_EXIT.INTERNAL);
}
