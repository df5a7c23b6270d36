"""PyTorch CPU peer of bench/model.ts: the same configs, printed as one JSON line.

    .venv/bin/python bench/model_torch.py [--iters 2]

- forward img/s of DeiT-small (224, patch 16, dim 384, depth 12, heads 6), batch 32, random weights:
  HF DeiTForImageClassification with SDPA attention, and with eager attention + output_attentions=True
  (what a scorer needs: every layer's attention probabilities);
- training samples/s of a ViT on 28x28x1 (patch 4, dim 64, depth 4, heads 4, mlp 256, 10 classes),
  batch 128, one Adam step (forward, cross entropy, backward, update);
- ms per product of the matrix products of a DeiT-small block at batch 32 (qkv, proj, fc1, fc2, q·kᵀ, attn·v).
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from transformers import DeiTConfig, DeiTForImageClassification, ViTConfig, ViTForImageClassification


def timed(fn, iters: int) -> float:
    fn()  # warm-up
    t0 = time.perf_counter()
    for _ in range(iters):
        fn()
    return (time.perf_counter() - t0) / iters


def forward_bench(iters: int) -> dict:
    cfg = dict(image_size=224, patch_size=16, hidden_size=384, num_hidden_layers=12, num_attention_heads=6,
               intermediate_size=1536, num_labels=1000, layer_norm_eps=1e-6)
    x = torch.randn(32, 3, 224, 224)
    out = {}
    for name, impl, attn in (("forward", "sdpa", False), ("forwardAttn", "eager", True)):
        model = DeiTForImageClassification(DeiTConfig(**cfg, attn_implementation=impl)).eval()

        def run() -> None:
            with torch.inference_mode():
                r = model(pixel_values=x, output_attentions=attn)
                if attn:
                    [a[:, :, 0, 1:].mean(1) for a in r.attentions]

        out[name] = 32 / timed(run, iters)
    return out


def train_bench(iters: int) -> float:
    cfg = ViTConfig(image_size=28, patch_size=4, num_channels=1, hidden_size=64, num_hidden_layers=4,
                    num_attention_heads=4, intermediate_size=256, num_labels=10, layer_norm_eps=1e-6,
                    attn_implementation="sdpa")
    model = ViTForImageClassification(cfg).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(128, 1, 28, 28)
    y = torch.randint(0, 10, (128,))

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(pixel_values=x).logits, y)
        loss.backward()
        opt.step()

    return 128 / timed(step, iters * 3)


GEMMS = [(1, 6304, 384, 1152), (1, 6304, 384, 384), (1, 6304, 384, 1536), (1, 6304, 1536, 384), (192, 197, 64, 197), (192, 197, 197, 64)]


def gemm_bench() -> list[float]:
    """Best-of-5 ms per product for the matrix products of a DeiT-small block at batch 32 (as bench/model.ts)."""
    out = []
    with torch.inference_mode():
        for batch, m, k, n in GEMMS:
            a, b = torch.randn(batch, m, k), torch.randn(batch, k, n)
            best = float("inf")
            for i in range(6):
                t0 = time.perf_counter()
                torch.bmm(a, b)
                if i > 0:
                    best = min(best, (time.perf_counter() - t0) * 1000)
            out.append(best)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--iters", type=int, default=2)
    args = ap.parse_args()
    res = {"torch": torch.__version__, "threads": torch.get_num_threads(), **forward_bench(args.iters), "train": train_bench(args.iters), "gemm": gemm_bench()}
    print(json.dumps(res))


if __name__ == "__main__":
    main()
