"""PyTorch peer of bench/ops.ts: µs per call of the same kernels at one intra-op thread.
Prints one JSON line {case name: µs}.  .venv/bin/python bench/ops_torch.py [--iters 50]"""
import argparse
import json
import time

import torch

p = argparse.ArgumentParser()
p.add_argument("--iters", type=int, default=50)
a = p.parse_args()
torch.set_num_threads(1)
g = torch.Generator().manual_seed(1)
T = 128 * 50


def r(*shape):
    return torch.randn(*shape, generator=g)


def cases():
    x64, y64 = r(T, 64), r(T, 64)
    x256, y256 = r(T, 256), r(T, 256)
    s = r(512, 50, 50)
    w = r(64, 192)
    q, k = r(512, 50, 16), r(512, 16, 50)
    return {
        "add [6400,64]": lambda: x64 + y64,
        "mul [6400,256]": lambda: x256 * y256,
        "erf [6400,256]": lambda: torch.erf(x256),
        "softmax [512,50,50]": lambda: torch.softmax(s, -1),
        "sum axis 0 [6400,256]": lambda: x256.sum(0),
        "matmul [6400,64]x[64,192]": lambda: x64 @ w,
        "batchMatMul [512,50,16]x[512,16,50]": lambda: torch.bmm(q, k),
    }


out = {}
with torch.no_grad():
    for name, f in cases().items():
        for _ in range(5):
            f()
        t0 = time.perf_counter()
        for _ in range(a.iters):
            f()
        out[name] = (time.perf_counter() - t0) * 1e6 / a.iters
print(json.dumps(out))
