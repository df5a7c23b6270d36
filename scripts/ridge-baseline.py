#!/usr/bin/env python3
"""Ridge regression on raw pixels: the floor a vision model on the same images should clear.

One-vs-all least squares on one-hot targets, in closed form (numpy only): pixels scaled to [0, 1],
an unpenalised bias (fitted by centring), weights W = (XᵀX + λI)⁻¹ XᵀY on the centred data, and the
predicted class the argmax of the ten scores.

λ is chosen on a validation split taken from the training file, never from the test set:
- by default the last --val-fraction of the training images used (the first --train-count of the
  training file) is held out; λ is the grid value with the best validation accuracy, and the model
  is then refitted on all --train-count images with that λ;
- with --val-offset/--val-count the validation split is that range of the training file instead
  (e.g. soup-lth's split: train = images 0..53999, validation = 54000..59999); the model is fitted
  on the --train-count images, which is already the whole training set of that pipeline, so no
  refit is needed.
Test accuracy is computed once, for the chosen λ only.

Reads IDX files (gzipped or not) named as Fashion-MNIST's: train-images-idx3-ubyte[.gz],
train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz].

    .venv/bin/python scripts/ridge-baseline.py --data /usr/share/datasets/fashion-mnist \\
        --train-count 7000 --test-count 2000 --json ridge.json
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time

import numpy as np

CLASSES = 10
CHUNK = 4096


def idx_path(data: str, stem: str) -> str:
    for name in (stem + ".gz", stem):
        p = os.path.join(data, name)
        if os.path.exists(p):
            return p
    raise SystemExit(f"ridge-baseline: {stem}[.gz] not found in {data}")


def read_idx(path: str) -> np.ndarray:
    """An IDX file as an array: magic 0x0000 <type 0x08 = uint8> <ndim>, then ndim big-endian uint32 sizes."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise SystemExit(f"ridge-baseline: {path}: not an IDX file")
    if raw[2] != 0x08:
        raise SystemExit(f"ridge-baseline: {path}: element type 0x{raw[2]:02x}, expected 0x08 (uint8)")
    ndim = raw[3]
    shape = tuple(int(v) for v in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    body = np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise SystemExit(f"ridge-baseline: {path}: {body.size} bytes of data for shape {shape}")
    return body.reshape(shape)


def load_split(data: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    images = read_idx(idx_path(data, f"{split}-images-idx3-ubyte"))
    labels = read_idx(idx_path(data, f"{split}-labels-idx1-ubyte"))
    if images.shape[0] != labels.shape[0]:
        raise SystemExit(f"ridge-baseline: {split}: {images.shape[0]} images but {labels.shape[0]} labels")
    return images.reshape(images.shape[0], -1), labels.astype(np.int64)


class Ridge:
    """Sufficient statistics of a training set, and the ridge solution for any λ from one eigendecomposition."""

    def __init__(self, images: np.ndarray, labels: np.ndarray):
        n, d = images.shape
        self.n = n
        gram = np.zeros((d, d))
        xty = np.zeros((d, CLASSES))
        xsum = np.zeros(d)
        for s in range(0, n, CHUNK):
            x = images[s:s + CHUNK].astype(np.float64) / 255.0
            y = np.eye(CLASSES)[labels[s:s + CHUNK]]
            gram += x.T @ x
            xty += x.T @ y
            xsum += x.sum(axis=0)
        self.xmean = xsum / n
        self.ymean = np.bincount(labels, minlength=CLASSES) / n
        # centred statistics: Σ(x − x̄)(x − x̄)ᵀ and Σ(x − x̄)(y − ȳ)ᵀ
        gram -= n * np.outer(self.xmean, self.xmean)
        xty -= n * np.outer(self.xmean, self.ymean)
        self.evals, self.evecs = np.linalg.eigh(gram)
        self.proj = self.evecs.T @ xty

    def weights(self, lam: float) -> tuple[np.ndarray, np.ndarray]:
        w = self.evecs @ (self.proj / (np.maximum(self.evals, 0.0) + lam)[:, None])
        b = self.ymean - self.xmean @ w
        return w, b


def accuracy(w: np.ndarray, b: np.ndarray, images: np.ndarray, labels: np.ndarray) -> float:
    right = 0
    for s in range(0, images.shape[0], CHUNK):
        x = images[s:s + CHUNK].astype(np.float64) / 255.0
        right += int(np.sum(np.argmax(x @ w + b, axis=1) == labels[s:s + CHUNK]))
    return right / images.shape[0]


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="directory of IDX files (Fashion-MNIST names)")
    ap.add_argument("--train-count", type=int, default=None, help="use the first N images of the training file (default: all)")
    ap.add_argument("--test-count", type=int, default=None, help="use the first N images of the test file (default: all)")
    ap.add_argument("--val-fraction", type=float, default=0.1,
                    help="validation split for choosing λ: this fraction of the training images used, from their end (default 0.1)")
    ap.add_argument("--val-offset", type=int, default=None,
                    help="instead: validation = training-file images [OFFSET, OFFSET + --val-count), disjoint from the first --train-count")
    ap.add_argument("--val-count", type=int, default=None, help="with --val-offset: number of validation images (default: to the end of the file)")
    ap.add_argument("--lambdas", default="1e-2:1e5:15", help="λ grid, LO:HI:COUNT log-spaced (default 1e-2:1e5:15, i.e. half decades)")
    ap.add_argument("--json", default=None, help="write the figures here as JSON")
    a = ap.parse_args(argv)

    t0 = time.time()
    train_x, train_y = load_split(a.data, "train")
    test_x, test_y = load_split(a.data, "t10k")
    file_train = train_x.shape[0]
    n = file_train if a.train_count is None else a.train_count
    if not 0 < n <= file_train:
        raise SystemExit(f"ridge-baseline: --train-count {n}: the training file has {file_train} images")
    m = test_x.shape[0] if a.test_count is None else a.test_count
    if not 0 < m <= test_x.shape[0]:
        raise SystemExit(f"ridge-baseline: --test-count {m}: the test file has {test_x.shape[0]} images")
    test_x, test_y = test_x[:m], test_y[:m]

    lo, hi, count = a.lambdas.split(":")
    grid = np.logspace(np.log10(float(lo)), np.log10(float(hi)), int(count))

    if a.val_offset is not None:
        vc = file_train - a.val_offset if a.val_count is None else a.val_count
        if a.val_offset < n or vc <= 0 or a.val_offset + vc > file_train:
            raise SystemExit(f"ridge-baseline: validation [{a.val_offset}, {a.val_offset + vc}) must lie in [{n}, {file_train})")
        fit_range, val_range = (0, n), (a.val_offset, a.val_offset + vc)
        refit = False
    else:
        if not 0 < a.val_fraction < 1:
            raise SystemExit("ridge-baseline: --val-fraction must be in (0, 1)")
        nv = int(round(n * a.val_fraction))
        fit_range, val_range = (0, n - nv), (n - nv, n)
        refit = True

    sel = Ridge(train_x[fit_range[0]:fit_range[1]], train_y[fit_range[0]:fit_range[1]])
    val_x, val_y = train_x[val_range[0]:val_range[1]], train_y[val_range[0]:val_range[1]]
    val_accs = [accuracy(*sel.weights(lam), val_x, val_y) for lam in grid]
    best = int(np.argmax(val_accs))  # first (smallest λ) among ties
    lam = float(grid[best])
    if best in (0, len(grid) - 1):
        print(f"ridge-baseline: warning: the chosen λ {lam:g} is at the edge of the grid", file=sys.stderr)

    final = Ridge(train_x[:n], train_y[:n]) if refit else sel
    test_acc = accuracy(*final.weights(lam), test_x, test_y)

    out = {
        "data": os.path.abspath(a.data),
        "features": int(train_x.shape[1]),
        "train": {"file_range": [0, n], "count": n},
        "lambda_fit": {"file_range": list(fit_range), "count": fit_range[1] - fit_range[0]},
        "validation": {"file_range": list(val_range), "count": val_range[1] - val_range[0]},
        "refit_on_train": refit,
        "test": {"file_range": [0, m], "count": m},
        "grid": [float(g) for g in grid],
        "val_accuracy_by_lambda": [float(v) for v in val_accs],
        "lambda": lam,
        "val_accuracy": float(val_accs[best]),
        "test_accuracy": float(test_acc),
        "seconds": round(time.time() - t0, 1),
    }
    for g, v in zip(grid, val_accs):
        print(f"λ = {g:10.4g}  validation {100 * v:6.2f}%{'  ← chosen' if g == lam else ''}")
    print(f"train {n} (λ fitted on {out['lambda_fit']['count']}, validation {out['validation']['count']}"
          f"{', refitted on all ' + str(n) if refit else ''}), test {m}: λ = {lam:g}, "
          f"validation {100 * out['val_accuracy']:.2f}%, test {100 * test_acc:.2f}%  ({out['seconds']} s)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
