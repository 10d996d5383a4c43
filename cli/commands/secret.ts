import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { CliError, type CliIo } from '../io.js';
import { assertStdinOnce, STDIO } from '../streams.js';

/** Registers `tengine secret encrypt`. */
export function registerSecretCommand(program: Command, io: CliIo): void {
  const secret = program.command('secret').description('Encrypt upstream secrets for `encrypted_auth_secret`.');
  secret
    .command('encrypt')
    .description('Encrypt a secret read from stdin to the runtime public key; prints a compact JWE.')
    .option('--key <file>', 'runtime public key set (runtime-keys.pub.json); default $TENGINE_RUNTIME_PUBLIC_KEYS')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['human', 'json']).default('human'))
    .action(async (opts: { key?: string; format: 'human' | 'json' }) => {
      // The secret is always read from stdin, so the key cannot be.
      assertStdinOnce([['the secret', true], ['--key', opts.key === STDIO]]);
      const keyPath = opts.key ?? io.env.TENGINE_RUNTIME_PUBLIC_KEYS;
      if (!keyPath) {
        throw new CliError('BAD_ARGUMENT', 'no runtime public key given', 'pass --key .tengine/keys/runtime-keys.pub.json or set TENGINE_RUNTIME_PUBLIC_KEYS');
      }
      let text: string;
      try {
        text = await readFile(path.resolve(io.cwd, keyPath), 'utf8');
      } catch (e) {
        throw new CliError('KEY_FILE_UNREADABLE', `cannot read ${keyPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'check the path to runtime-keys.pub.json');
      }
      const { encryptSecret, loadEncryptionKey, prepareSecret } = await import('../keys/encrypt-secret.js'); // jose: only here
      const key = await loadEncryptionKey(text);
      if (key.fromPrivateFile) {
        io.err(`note: ${keyPath} holds private keys; only its public encryption key was used. Pass runtime-keys.pub.json instead.\n`);
      }
      // Nothing piped in: say what the command waits for instead of appearing to hang.
      if (io.stdinIsTTY) io.err('Type or paste the secret, then press Enter and Ctrl+D (or pipe it in: printf %s "$TOKEN" | tengine secret encrypt ...)\n');
      const plaintext = prepareSecret(await io.readStdin());
      const jwe = await encryptSecret(plaintext, key);
      const yaml = `encrypted_auth_secret: ${jwe}`;
      if (opts.format === 'json') {
        io.out(`${JSON.stringify({ format_version: 1, jwe, kid: key.kid, bytes: plaintext.length, yaml }, null, 2)}\n`);
        return;
      }
      io.out(`${jwe}\n`);
      io.err(`Encrypted ${plaintext.length} byte${plaintext.length === 1 ? '' : 's'} to runtime key ${key.kid}. Put this in the tool's config:\n  ${yaml}\n`);
    });
}
