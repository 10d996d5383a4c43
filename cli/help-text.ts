import type { Command } from 'commander';

/**
 * Two real examples per command, shown by `--help` under "Examples:". Keyed by the command path without `tengine`.
 * A command missing here fails test/cli-help.test.ts, so a new command cannot ship without them.
 */
export const HELP_EXAMPLES: Readonly<Record<string, readonly [string, string]>> = {
  '': ['tengine validate examples/crm', 'tengine build --key .tengine/keys/bundle-signing.key.pem'],
  validate: ['tengine validate examples/crm', 'tengine validate tengine.config.yaml -f github'],
  build: ['tengine build --key .tengine/keys/bundle-signing.key.pem', 'TENGINE_BUNDLE_SIGNING_KEY="$(cat signing.pem)" tengine build gateway/ -o dist/tengine.bundle.json -f json'],
  plan: ['tengine plan --against git:origin/main --fail-on breaking', 'TENGINE_ADMIN_TOKEN=… tengine plan --against runtime:https://mcp.example.com -f markdown'],
  serve: ['tengine serve --bundle tengine.bundle.json --bundle-public-key .tengine/keys/bundle-signing.pub.pem --runtime-keys .tengine/keys/runtime-keys.json', 'TENGINE_BUNDLE=tengine.bundle.json TENGINE_PORT=8080 tengine serve --watch-bundle'],
  keys: ['tengine keys generate', 'tengine keys api-key --project crm --integration sales-assistant'],
  'keys generate': ['tengine keys generate', 'tengine keys generate --out secrets/keys -f json'],
  'keys api-key': ['tengine keys api-key --project crm --integration sales-assistant', 'tengine keys api-key --project crm --integration sales-assistant --name backend-2026-01 -f json'],
  'keys client-secret': ['tengine keys client-secret --project support --integration claude', 'tengine keys client-secret --project support --integration claude -f json'],
  'keys connect-secret': ['tengine keys connect-secret --project support --integration cli-agents', 'tengine keys connect-secret --project support --integration cli-agents -f json'],
  secret: ['printf %s "$TOKEN" | tengine secret encrypt --key .tengine/keys/runtime-keys.pub.json', 'tengine secret encrypt --key runtime-keys.pub.json -f json < token.txt'],
  'secret encrypt': ['printf %s "$TOKEN" | tengine secret encrypt --key .tengine/keys/runtime-keys.pub.json', 'tengine secret encrypt --key runtime-keys.pub.json -f json < token.txt'],
  verify: ['tengine verify tengine.bundle.json --key .tengine/keys/bundle-signing.pub.pem', 'tengine verify dist/tengine.bundle.json --key keys/bundle-signing.pub.pem -f json'],
  init: ['tengine init my-gateway', 'tengine init gateway --example crm'],
  dev: ['tengine dev', 'tengine dev examples/crm --port 8081 --no-upstream'],
  connect: ['tengine connect cursor --write', 'TENGINE_API_KEY=tengine_… tengine connect codex --url https://mcp.example.com/mcp --write --check'],
  connections: ['tengine connections list --project support', 'tengine connections revoke --project support --member alice'],
  'connections list': ['tengine connections list --project support', 'tengine connections list --project support --integration claude -f json'],
  'connections revoke': ['tengine connections revoke --project support --member alice', 'tengine connections revoke --project support --all -f json'],
  usage: ['tengine usage --project crm --since 24h --by hour', 'tengine usage erase --project crm --member alice'],
  import: ['tengine import openapi petstore.yaml --project shop', 'tengine import openapi api.json --project shop --base-url https://api.example.com -f json'],
  'import openapi': ['tengine import openapi petstore.yaml --project shop', 'tengine import openapi api.json --project shop -o tools/ --name-prefix shop_'],
  render: ['tengine render examples/crm', 'tengine render -f json | jq ".projects[].tools[].name"'],
  status: ['tengine status --runtime https://mcp.example.com --bundle tengine.bundle.json', 'TENGINE_ADMIN_TOKEN=… tengine status --runtime https://mcp.example.com --config gateway/'],
  completion: ['tengine completion bash > /etc/bash_completion.d/tengine', 'tengine completion fish > ~/.config/fish/completions/tengine.fish'],
};

/** Commands with an exit code besides 0 and 1 (docs/cli.md#exit-codes). */
const EXTRA_EXIT_CODES: Readonly<Record<string, string>> = {
  plan: '  2  --detailed-exitcode: the plan has changes',
  status: '  2  drift: the runtime serves another bundle or config',
  serve: '  2-70  the runtime refused to start (docs/operations.md#boot-checks-and-exit-codes)',
  dev: '  2-70  the runtime refused to start (docs/operations.md#boot-checks-and-exit-codes)',
};

function key(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The text `--help` shows after the options: the examples and the exit codes. */
export function helpFooter(cmd: Command): string {
  const k = key(cmd);
  const examples = HELP_EXAMPLES[k] ?? [];
  const lines = ['', 'Examples:', ...examples.map((e) => `  $ ${e}`), '', 'Exit codes:', '  0  success', '  1  failure: invalid input or config, a refused request, an error (error CODE: message + hint on stderr)'];
  if (EXTRA_EXIT_CODES[k]) lines.push(EXTRA_EXIT_CODES[k]!);
  return `${lines.join('\n')}\n`;
}

/** Adds the examples and exit codes to the help of the program and every sub-command. */
export function addHelpFooters(cmd: Command): void {
  cmd.addHelpText('after', () => helpFooter(cmd));
  for (const sub of cmd.commands) addHelpFooters(sub);
}
