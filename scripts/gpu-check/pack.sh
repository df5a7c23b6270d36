#!/usr/bin/env bash
# Builds what scripts/gpu-check.sh needs on a machine that has no Node.js and no registry:
#   bash scripts/gpu-check/pack.sh [DIR]        (default .cache/gpucheck; git-ignored)
#   DIR/dlth.mjs, DIR/measure.mjs   esbuild bundles of the CLI and of measure.ts, TF.js included
#                                   (one tfjs-core instance); native packages left external;
#   DIR/node_modules.tar.xz         those native packages, linux-x64 only: sharp + libvips, Dawn;
#   DIR/node.xz                     this machine's node binary (used only where none is installed);
#   DIR/libvulkan1.deb              the Vulkan loader (Debian's), for a machine without one.
# Total about 45 MiB (the device tool carries at most 64 MiB per call, repository included).
# Idempotent: the node binary and the .deb are kept when present.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="$(mkdir -p "${1:-$REPO/.cache/gpucheck}" && cd "${1:-$REPO/.cache/gpucheck}" && pwd)"
cd "$REPO"
say() { printf '[gpu-check/pack] %s\n' "$*"; }

EXTERNAL=(--external:sharp --external:webgpu --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu
  --external:@tensorflow/tfjs-backend-wasm)
# ESM bundles that call require() (CommonJS parts of TF.js) need one.
BANNER="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
for entry in src/cli/main.ts:dlth.mjs scripts/gpu-check/measure.ts:measure.mjs; do
  node_modules/.bin/esbuild "${entry%%:*}" --bundle --platform=node --format=esm --target=node20 \
    --log-level=warning "${EXTERNAL[@]}" --banner:js="$BANNER" --outfile="$DIR/${entry##*:}"
done
say "bundles: $(du -h "$DIR/dlth.mjs" "$DIR/measure.mjs" | awk '{printf "%s %s  ", $2, $1}')"

# Native packages (and their runtime dependencies), linux-x64 only; redone when package-lock.json changes.
if [[ -f "$DIR/node_modules.tar.xz" && "$DIR/node_modules.tar.xz" -nt package-lock.json ]]; then
  say "native packages: $(du -h "$DIR/node_modules.tar.xz" | cut -f1) (kept)"
else
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/node_modules/webgpu/dist" "$STAGE/node_modules/@img"
for p in sharp detect-libc semver debug ms; do [[ -d node_modules/$p ]] && cp -r "node_modules/$p" "$STAGE/node_modules/"; done
cp -r node_modules/@img/colour node_modules/@img/sharp-linux-x64 node_modules/@img/sharp-libvips-linux-x64 "$STAGE/node_modules/@img/"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$STAGE/node_modules/webgpu/"
cp -r node_modules/webgpu/dist/linux-x64 "$STAGE/node_modules/webgpu/dist/"
tar -C "$STAGE" -cf - node_modules | xz -T0 -6 >"$DIR/node_modules.tar.xz"
say "native packages: $(du -h "$DIR/node_modules.tar.xz" | cut -f1)"
fi

NODE_BIN=$(readlink -f "$(command -v node)")
if [[ ! -f "$DIR/node.xz" || "$(cat "$DIR/node.version" 2>/dev/null)" != "$(node -v)" ]]; then
  xz -T0 -6 -c "$NODE_BIN" >"$DIR/node.xz.part" && mv "$DIR/node.xz.part" "$DIR/node.xz"
  node -v >"$DIR/node.version"
fi
say "node $(cat "$DIR/node.version"): $(du -h "$DIR/node.xz" | cut -f1)"

if ! ls "$DIR"/libvulkan1_*.deb >/dev/null 2>&1; then
  (cd "$DIR" && apt-get download libvulkan1 >/dev/null 2>&1) || say "warning: could not download libvulkan1 (apt-get download)"
fi
say "total: $(du -sh "$DIR" | cut -f1) in $DIR"
