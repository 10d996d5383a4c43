#!/usr/bin/env bash
# The official MCP conformance suite against the runtime (test/conformance/run-conformance.ts): installs the pinned
# suite releases and a Node 22 binary (the suite needs Node >= 22) into .cache/conformance, outside the project's
# dependencies, then runs the server scenarios. Two releases: the stable line (the 2025-06-18/2025-11-25 scenarios)
# and the prerelease whose requirement set for the 2026-07-28 revision is frozen. Pinned so a suite release cannot
# turn CI red; a new release is adopted by editing the pins and the expected-failures file together.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${TENGINE_CONFORMANCE_TOOLS:-.cache/conformance}"
WANT="node@22.23.3 conformance-stable@npm:@modelcontextprotocol/conformance@0.1.16 conformance-next@npm:@modelcontextprotocol/conformance@0.2.0-alpha.12"
if [ ! -f "$DIR/.installed" ] || [ "$(cat "$DIR/.installed")" != "$WANT" ]; then
  mkdir -p "$DIR"
  [ -f "$DIR/package.json" ] || echo '{"name":"tengine-conformance","private":true}' > "$DIR/package.json"
  # shellcheck disable=SC2086
  if ! npm install --prefix "$DIR" --no-audit --no-fund --loglevel=error $WANT; then
    echo "conformance: could not install the pinned suite ($WANT) into $DIR: is the npm registry reachable?" >&2
    exit 1
  fi
  "$DIR/node_modules/node/bin/node" --version >/dev/null
  echo "$WANT" > "$DIR/.installed"
fi
TENGINE_CONFORMANCE_TOOLS="$DIR" exec npx tsx test/conformance/run-conformance.ts "$@"
