#!/usr/bin/env bash
# Runs the test suite on Node 22 and 24 besides the machine's own Node (the project supports 20.18.1 and later).
# npm's `node` package ships real Node binaries; they go to .cache/node-versions, outside the project's
# dependencies, pinned so a Node release cannot turn CI red. Arguments are passed to `vitest run`, so a subset works:
#   bash scripts/test-node-versions.sh test/packaging.test.ts
#   TENGINE_NODE_VERSIONS=22.23.3 bash scripts/test-node-versions.sh     # one version only
# .ci/run calls it when TENGINE_CI_NODE_VERSIONS=1: the suite takes a while, and this runs it twice more.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${TENGINE_NODE_VERSIONS_DIR:-.cache/node-versions}"
VERSIONS="${TENGINE_NODE_VERSIONS:-22.23.3 24.21.0}"
for v in $VERSIONS; do
  dest="$DIR/node-$v"
  if [ ! -x "$dest/node_modules/node/bin/node" ] || [ "$(cat "$dest/.installed" 2>/dev/null)" != "$v" ]; then
    mkdir -p "$dest"
    [ -f "$dest/package.json" ] || echo '{"name":"tengine-node-versions","private":true}' > "$dest/package.json"
    npm install --prefix "$dest" --no-audit --no-fund --loglevel=error "node@$v"
    echo "$v" > "$dest/.installed"
  fi
  bin="$(cd "$dest/node_modules/node/bin" && pwd)"
  got="$("$bin/node" --version)"
  if [ "$got" != "v$v" ]; then
    echo "scripts/test-node-versions.sh: $dest holds Node $got, not v$v" >&2
    exit 1
  fi
  echo "== tests on Node $got"
  # First on PATH: vitest's workers, and every `node`/`npm` a test spawns, run on this version too.
  PATH="$bin:$PATH" "$bin/node" node_modules/vitest/vitest.mjs run "$@"
done
