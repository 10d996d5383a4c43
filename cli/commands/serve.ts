import type { Command } from 'commander';
import type { RuntimeFlags } from '../../runtime/start.js';
import { CliError, type CliIo } from '../io.js';

/** `tengine serve --bundle FILE`: starts the runtime through its public entry point and runs until a signal. */
export function registerServeCommand(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('Verify a bundle and serve it: MCP over Streamable HTTP (flags override TENGINE_* variables).')
    .option('--bundle <file>', 'bundle written by `tengine build` ($TENGINE_BUNDLE)')
    .option('--bundle-public-key <file...>', 'trusted bundle public key(s) ($TENGINE_BUNDLE_PUBLIC_KEYS, comma-separated)')
    .option('--runtime-keys <file>', 'runtime key set runtime-keys.json ($TENGINE_RUNTIME_KEYS)')
    .option('--host <host>', 'interface to listen on ($TENGINE_HOST, default 127.0.0.1)')
    .option('--port <port>', 'port ($TENGINE_PORT, default 8080)')
    .option('--public-url <url>', 'URL clients reach this runtime at ($TENGINE_PUBLIC_URL)')
    .option('--log-level <level>', 'debug, info, warn or error ($TENGINE_LOG_LEVEL, default info)')
    .option('--allow-development', 'serve a bundle holding environment: development projects ($TENGINE_ALLOW_DEVELOPMENT=true); never on a runtime real users reach')
    .option('--allow-rollback-to <digest>', 'serve this older bundle although a newer one was already served: its sha256:<hex> digest ($TENGINE_ALLOW_ROLLBACK_TO)')
    .option('--allow-evicting-store', 'boot although Redis may evict keys (maxmemory-policy other than noeviction) ($TENGINE_ALLOW_EVICTING_STORE=true)')
    .option('--drain-delay <duration>', 'after SIGTERM, keep serving this long with /readyz at 503 so load balancers move away ($TENGINE_DRAIN_DELAY, default 5s)')
    .option('--drain-timeout <duration>', 'then let calls in flight finish for up to this long ($TENGINE_DRAIN_TIMEOUT, default 30s)')
    .option('--watch-bundle', 'reload when the bundle file changes, as on SIGHUP ($TENGINE_WATCH_BUNDLE=true)')
    .option('--metrics-port <port>', 'serve /metrics on its own listener at this port ($TENGINE_METRICS_PORT); without it /metrics on the main port answers the admin token only')
    .option('--metrics-host <host>', 'interface of the metrics listener ($TENGINE_METRICS_HOST, default --host)')
    // Redis credentials live in URLs, so they are variables only: a flag would show them in the process list.
    .addHelpText(
      'after',
      [
        '',
        'Shared store (variables only; without one, the in-memory store serves a single instance):',
        '  TENGINE_REDIS_URL (or REDIS_URL)  one Redis: redis://[user:password@]host:port[/db], rediss:// for TLS',
        '  TENGINE_REDIS_CLUSTER_NODES       a Redis Cluster: comma-separated redis:// URLs of some of its nodes',
        '  TENGINE_REDIS_SENTINELS           a Sentinel group: comma-separated host:port (or redis://) of the sentinels,',
        '  TENGINE_REDIS_SENTINEL_NAME         with the master group name',
        '  TENGINE_REDIS_KEY_PREFIX          prefix of every key (default tengine:)',
        'Set one of TENGINE_REDIS_URL, TENGINE_REDIS_CLUSTER_NODES and TENGINE_REDIS_SENTINELS (docs/storage.md).',
      ].join('\n'),
    )
    .action(async (flags: RuntimeFlags) => {
      // Loaded here, not at the top: every other command would pay for loading the runtime (lazy-commands.test.ts).
      const [{ RuntimeBootError, resolveRuntimeOptions, startRuntime }, { handleSignals }] = await Promise.all([import('../../runtime/start.js'), import('../../runtime/lifecycle/signals.js')]);
      let running;
      let bind: { host: string; port: number };
      let stopped: Promise<void>;
      try {
        // The real stderr gets the buffered log destination, as `node dist/runtime/main.js` does; tests keep io.err.
        const options = await resolveRuntimeOptions(flags, io.env, io.err, io.errIsProcessStderr === true);
        bind = { host: options.host, port: options.port };
        const booting = startRuntime(options);
        // Handlers before the port opens; a drain ends with exit 0 through the CLI's own return, and only a second
        // signal ends the process at once.
        stopped = handleSignals(booting, { on: (signal, handler) => process.on(signal, handler), off: (signal, handler) => process.off(signal, handler), exit: (code) => (code === 0 ? undefined : process.exit(code)), log: options.log });
        running = await booting;
      } catch (e) {
        if (e instanceof RuntimeBootError) throw new CliError(e.code, e.message, e.hint, e.exitCode);
        throw e;
      }
      // With a public URL (runtime.public_url, --public-url) the URL is where clients reach the runtime, e.g. through
      // a proxy; say where this process itself listens too, so a local check does not go to the public host.
      const local = `http://${bind.host.includes(':') ? `[${bind.host}]` : bind.host}:${bind.port}`;
      const listening = bind.port !== 0 && !running.url.startsWith(local) ? `, listening on ${local}` : '';
      io.err(`tengine: serving ${running.mcpUrl} (bundle ${running.bundleDigest})${listening}\n`);
      await stopped;
    });
}
