import { describe, expect, it } from 'vitest';
import { generateKeyFiles, KEY_FILE_NAMES } from '../cli/keys/generate-keys.js';
import { RuntimeBootError } from '../runtime/boot-types.js';
import { resolveRuntimeOptions } from '../runtime/options.js';
import { loadModel } from '../runtime/start.js';
import { deploy } from './fixtures/runtime-harness.js';

describe('boot refuses settings that would weaken key custody or hide mistakes', () => {
  it('KEY_FILE_INVALID (exit 4) when the runtime token key is also trusted as a bundle key', async () => {
    const files = await generateKeyFiles();
    const runtimeKeys = files.find((f) => f.name === KEY_FILE_NAMES.runtimeKeys)!.contents;
    const runtimePub = files.find((f) => f.name === KEY_FILE_NAMES.runtimePub)!.contents;
    const d = await deploy({ version: 1, projects: [{ id: 'alpha', environment: 'production', integrations: [{ id: 'backend', kind: 'api_key' }] }] });
    const err = await loadModel({ bundle: d.bundle, bundlePublicKeys: [d.publicPem, runtimePub], runtimeKeys, env: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RuntimeBootError);
    expect((err as RuntimeBootError).code).toBe('KEY_FILE_INVALID');
    expect((err as RuntimeBootError).exitCode).toBe(4);
    // The same bundle boots with the proper bundle key only.
    const ok = await loadModel({ bundle: d.bundle, bundlePublicKeys: [d.publicPem], runtimeKeys, env: {} });
    await ok.close();
  });

  it('USAGE (exit 2) for an unknown log level, from a flag or TENGINE_LOG_LEVEL', async () => {
    for (const [flags, env] of [[{ logLevel: 'verbose' }, {}], [{}, { TENGINE_LOG_LEVEL: 'warning' }]] as const) {
      const err = await resolveRuntimeOptions({ bundle: 'x', bundlePublicKey: ['y'], ...flags }, { ...env }, () => {}).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((err as RuntimeBootError).code).toBe('USAGE');
      expect((err as RuntimeBootError).exitCode).toBe(2);
    }
  });
});
