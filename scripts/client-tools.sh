#!/usr/bin/env bash
# Installs the real MCP clients that need a newer Node than the project's (the MCP Inspector needs Node >= 22) into
# .cache/client-tools, outside the project's dependencies: they are ~300 MB and only the client tests use them.
# npm's node@22 package ships a real Node 22 binary. Versions are pinned so a client release cannot turn CI red.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${TENGINE_CLIENT_TOOLS:-.cache/client-tools}"
WANT="node@22.23.3 @modelcontextprotocol/inspector@2.12.0"
if [ -f "$DIR/.installed" ] && [ "$(cat "$DIR/.installed")" = "$WANT" ]; then exit 0; fi
mkdir -p "$DIR"
[ -f "$DIR/package.json" ] || echo '{"name":"tengine-client-tools","private":true}' > "$DIR/package.json"
# shellcheck disable=SC2086
npm install --prefix "$DIR" --no-audit --no-fund --loglevel=error $WANT
"$DIR/node_modules/node/bin/node" --version >/dev/null
echo "$WANT" > "$DIR/.installed"
