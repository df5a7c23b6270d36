#!/usr/bin/env python3
"""Extract what the tfjs-node binding needs from a tensorflow-cpu wheel into <deps>/{lib,include}.

usage: extract-wheel.py [--eigen] WHEEL DEPS_DIR

- lib/: libtensorflow_cc.so.2 and libtensorflow_framework.so.2 (the C API is exported by
  libtensorflow_cc), plus the link names binding.gyp uses (-ltensorflow -ltensorflow_framework):
  libtensorflow.so -> libtensorflow_cc.so.2, libtensorflow_framework.so -> libtensorflow_framework.so.2
- include/: the C API headers (tensorflow/c/**) and the few headers they include
  (ctstring from tensorflow/core/platform and tsl/platform, xla/tsl/c), and Eigen's headers
  (Eigen/, unsupported/Eigen/) for dlth's own kernels (scripts/native/build-ops.sh).
- With --eigen: only Eigen's headers (for a deps/ extracted before they were part of it).
Each file is written under a temporary name and renamed, so an interrupted run leaves no half file.
"""
import os
import shutil
import sys
import zipfile

LIBS = {
    "tensorflow/libtensorflow_cc.so.2": "libtensorflow_cc.so.2",
    "tensorflow/libtensorflow_framework.so.2": "libtensorflow_framework.so.2",
}
LINKS = {
    "libtensorflow.so": "libtensorflow_cc.so.2",
    "libtensorflow_framework.so": "libtensorflow_framework.so.2",
}
INCLUDE_ROOT = "tensorflow/include/"
HEADER_PREFIXES = (
    "tensorflow/include/tensorflow/c/",
    "tensorflow/include/tensorflow/core/platform/ctstring",
    "tensorflow/include/tsl/platform/ctstring",
    "tensorflow/include/xla/tsl/c/",
)
EIGEN_PREFIXES = (
    "tensorflow/include/Eigen/",
    "tensorflow/include/unsupported/Eigen/",
)


def write(zf: zipfile.ZipFile, name: str, dest: str) -> None:
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    tmp = dest + ".part"
    with zf.open(name) as src, open(tmp, "wb") as out:
        shutil.copyfileobj(src, out, 1 << 22)
    os.replace(tmp, dest)


def extract_headers(zf: zipfile.ZipFile, deps: str, prefixes: tuple) -> int:
    headers = [n for n in zf.namelist() if n.startswith(prefixes) and not n.endswith("/")]
    for name in headers:
        write(zf, name, os.path.join(deps, "include", name[len(INCLUDE_ROOT):]))
    return len(headers)


def main(wheel: str, deps: str) -> int:
    lib_dir = os.path.join(deps, "lib")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        missing = [n for n in LIBS if n not in names]
        if missing:
            print(f"wheel {wheel} lacks {', '.join(missing)}", file=sys.stderr)
            return 1
        for name, out in LIBS.items():
            write(zf, name, os.path.join(lib_dir, out))
        headers = extract_headers(zf, deps, HEADER_PREFIXES + EIGEN_PREFIXES)
    for link, target in LINKS.items():
        path = os.path.join(lib_dir, link)
        if os.path.lexists(path):
            os.remove(path)
        os.symlink(target, path)
    print(f"extracted {len(LIBS)} libraries and {headers} headers into {deps}")
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    eigen_only = args[:1] == ["--eigen"]
    if eigen_only:
        args = args[1:]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    if eigen_only:
        with zipfile.ZipFile(args[0]) as zf:
            count = extract_headers(zf, args[1], EIGEN_PREFIXES)
        print(f"extracted {count} Eigen headers into {args[1]}")
        sys.exit(0 if count > 0 else 1)
    sys.exit(main(args[0], args[1]))
