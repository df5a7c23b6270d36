#!/usr/bin/env python3
"""The CUDA libraries of the `tensorflow` wheel, from NVIDIA's pip wheels, for the tfjs-node-gpu binding.

usage: cuda-wheels.py requirements TF_WHEEL      print the wheel's `and-cuda` requirements, one a line
       cuda-wheels.py unpack WHEEL... --into DIR unpack each wheel's nvidia/<pkg>/lib/*.so* into
                                                 DIR/<pkg>/lib (temporary name, then rename)
       cuda-wheels.py link DIR LIB_DIR           symlink every DIR/*/lib/*.so* into LIB_DIR (flat)

`tensorflow` 2.21 (CUDA 12.5, cuDNN 9) lists its CUDA libraries as the extra `and-cuda`
(nvidia-cublas-cu12, nvidia-cudnn-cu12, ...). Linked flat beside libtensorflow_cc.so.2 they are
found by soname at run time without LD_LIBRARY_PATH (see scripts/native/README.md).
"""
import os
import re
import shutil
import sys
import zipfile

# When the wheel's METADATA cannot be read: the and-cuda extra of tensorflow 2.21 (names only).
FALLBACK = [
    "nvidia-cublas-cu12", "nvidia-cuda-cupti-cu12", "nvidia-cuda-nvcc-cu12", "nvidia-cuda-nvrtc-cu12",
    "nvidia-cuda-runtime-cu12", "nvidia-cudnn-cu12", "nvidia-cufft-cu12", "nvidia-curand-cu12",
    "nvidia-cusolver-cu12", "nvidia-cusparse-cu12", "nvidia-nccl-cu12", "nvidia-nvjitlink-cu12",
]
EXTRA = re.compile(r"""^Requires-Dist:\s*(nvidia-[^;]+?)\s*;\s*.*extra\s*==\s*["']and-cuda["']""")
LIB = re.compile(r"^nvidia/([^/]+)/lib/([^/]+\.so[.0-9]*)$")


def requirements(wheel: str) -> list[str]:
    """`nvidia-…==x.y` strings of the `and-cuda` extra, from the wheel's METADATA."""
    with zipfile.ZipFile(wheel) as zf:
        meta = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        if not meta:
            return FALLBACK
        text = zf.read(meta[0]).decode("utf-8", "replace")
    reqs = [m.group(1).replace(" ", "").replace("(", "").replace(")", "") for m in map(EXTRA.match, text.splitlines()) if m]
    return reqs


def unpack(wheels: list[str], into: str) -> int:
    count = 0
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as zf:
            for name in zf.namelist():
                m = LIB.match(name)
                if not m:
                    continue
                dest = os.path.join(into, m.group(1), "lib", m.group(2))
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with zf.open(name) as src, open(dest + ".part", "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 22)
                os.replace(dest + ".part", dest)
                count += 1
    print(f"unpacked {count} libraries from {len(wheels)} wheels into {into}")
    return 0 if count > 0 else 1


def link(root: str, lib_dir: str) -> int:
    count = 0
    for pkg in sorted(os.listdir(root)):
        src_dir = os.path.join(root, pkg, "lib")
        if not os.path.isdir(src_dir):
            continue
        for name in sorted(os.listdir(src_dir)):
            if ".so" not in name or name.endswith(".part"):
                continue
            path = os.path.join(lib_dir, name)
            if os.path.lexists(path):
                os.remove(path)
            os.symlink(os.path.abspath(os.path.join(src_dir, name)), path)
            count += 1
    print(f"linked {count} CUDA libraries into {lib_dir}")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "requirements":
        print("\n".join(requirements(argv[1])))
        return 0
    if len(argv) >= 4 and argv[0] == "unpack" and argv[-2] == "--into":
        return unpack(argv[1:-2], argv[-1])
    if len(argv) == 3 and argv[0] == "link":
        return link(argv[1], argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
