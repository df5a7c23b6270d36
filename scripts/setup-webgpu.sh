#!/usr/bin/env bash
# A software Vulkan device for the webgpu backend (Dawn for Node), so CI and CPU-only machines can
# run the WebGPU code path: Mesa's lavapipe from Debian bookworm-backports, unpacked into
# .cache/vulkan/ with a private apt state (no root, no change to the system's apt sources).
#
#   bash scripts/setup-webgpu.sh            # idempotent; prints what it did, exits 0 when unavailable
#
# Why backports: Debian 12's own lavapipe (mesa 22.3.6) lacks shaderUniform*ArrayDynamicIndexing,
# which Dawn requires ("Warning: Vulkan shaderUniform*ArrayDynamicIndexing required", no adapter);
# mesa 25.0.7 from bookworm-backports has it. Only the Vulkan loader (libvulkan1) comes from the
# system: installed here when running as root, else `sudo apt-get install -y libvulkan1`.
#
# Result: .cache/vulkan/lvp_icd.json, an ICD file naming the unpacked libvulkan_lvp.so. The webgpu
# backend never picks it by itself: set VK_ICD_FILENAMES to it (the tests do, when it exists).
# On a machine with a GPU, the GPU's own Vulkan driver (e.g. NVIDIA's) is used instead.
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${DLTH_VULKAN_CACHE:-$REPO/.cache/vulkan}"
SUITE="${DLTH_VULKAN_SUITE:-bookworm-backports}"
MIRROR="${DLTH_VULKAN_MIRROR:-http://deb.debian.org/debian}"
ICD="$DIR/lvp_icd.json"
LIB="$DIR/root/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so"
START=$SECONDS
say() { printf '[setup-webgpu %3ds] %s\n' "$((SECONDS - START))" "$*"; }
give_up() { say "software Vulkan unavailable: $*"; say "the webgpu backend then needs a GPU's Vulkan driver"; exit 0; }

[[ "$(uname -s)-$(uname -m)" == Linux-x86_64 ]] || give_up "only linux x86_64 is handled here"
# (grep without -q: with pipefail, grep -q quitting early makes ldconfig's SIGPIPE the status)
if ! ldconfig -p 2>/dev/null | grep 'libvulkan.so.1 ' >/dev/null; then
  if [[ "$(id -u)" == 0 ]]; then
    say "installing the Vulkan loader (apt-get install libvulkan1)"
    timeout 300 apt-get install -y -q --no-install-recommends libvulkan1 >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null 2>&1 && timeout 300 apt-get install -y -q --no-install-recommends libvulkan1 >/dev/null 2>&1; } ||
      say "warning: could not install libvulkan1"
  else
    say "warning: the Vulkan loader libvulkan.so.1 is missing: sudo apt-get install -y libvulkan1"
  fi
fi
if [[ -f "$ICD" && -f "$LIB" ]]; then say "nothing to do: $ICD"; exit 0; fi
command -v apt-get >/dev/null || give_up "apt-get not found (Debian/Ubuntu only)"
command -v dpkg-deb >/dev/null || give_up "dpkg-deb not found"

# A private apt state: its own sources list, lists and archives under $DIR/apt.
APT="$DIR/apt"
mkdir -p "$APT/lists/partial" "$APT/archives/partial" "$APT/etc"
echo "deb $MIRROR $SUITE main" >"$APT/etc/sources.list"
OPTS=(-o Dir::Etc::sourcelist="$APT/etc/sources.list" -o Dir::Etc::sourceparts=- \
  -o Dir::State::Lists="$APT/lists" -o Dir::Cache="$APT" -o Dir::Cache::archives="$APT/archives" \
  -o Debug::NoLocking=1 -o APT::Sandbox::User="$(id -un)" -q)
say "apt-get update ($SUITE, private state in $APT)"
timeout 180 apt-get "${OPTS[@]}" update >"$DIR/apt.log" 2>&1 || give_up "apt-get update failed: $(tail -n1 "$DIR/apt.log")"
say "apt-get download mesa-vulkan-drivers mesa-libgallium ($SUITE)"
(cd "$APT/archives" && timeout 300 apt-get "${OPTS[@]}" download -t "$SUITE" mesa-vulkan-drivers mesa-libgallium) \
  >>"$DIR/apt.log" 2>&1 || give_up "apt-get download failed: $(tail -n1 "$DIR/apt.log")"

rm -rf "$DIR/root.part"
for deb in "$APT"/archives/mesa-vulkan-drivers_*.deb "$APT"/archives/mesa-libgallium_*.deb; do
  dpkg-deb -x "$deb" "$DIR/root.part" || give_up "could not unpack $deb"
done
rm -rf "$DIR/root" && mv "$DIR/root.part" "$DIR/root"
[[ -f "$LIB" ]] || give_up "no libvulkan_lvp.so in the unpacked packages"
missing=$(ldd "$LIB" | grep 'not found' || true)
[[ -z "$missing" ]] || give_up "libvulkan_lvp.so lacks system libraries: $missing"
printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.4.305"}}\n' "$LIB" >"$ICD.part"
mv "$ICD.part" "$ICD"
say "lavapipe $(basename "$APT"/archives/mesa-vulkan-drivers_*.deb .deb) ready: VK_ICD_FILENAMES=$ICD"
