"""PyTorch peer of `measure forward` (scripts/gpu-check/measure.ts): the same EViT scoring forward.

    python3 torch_evit.py --models deit-small,deit-base --batches 64,256 --seconds 8 --out f.json [--device cuda]

DeiT (patch 16, 224, random weights) as plain PyTorch modules, fed [B, 196, 768] uint8 patches:
normalise (ImageNet mean/std), patch embedding (a Linear, what a stride-16 conv is), CLS + position
embedding, then blocks 0..9. At blocks 3, 6, 9 attention is computed explicitly (softmax
probabilities are needed), the head-averaged CLS attention scores the non-CLS tokens and the top
ceil(0.7 n) survive (block 9 stops there: later blocks do not change the ticket); other blocks use
scaled_dot_product_attention. Each call ends by copying every stage's kept indices and scores to
the host, as our scorer does. float32, TF32 off (TF.js on WebGPU computes in plain float32 too).
Warm-up timed apart; prints one line per row and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import time

import torch
import torch.nn.functional as F
from torch import nn

CONFIGS = {"deit-tiny": (192, 3), "deit-small": (384, 6), "deit-base": (768, 12)}
MEAN = torch.tensor([0.485, 0.456, 0.406])
STD = torch.tensor([0.229, 0.224, 0.225])
PRUNE = (3, 6, 9)
RATE = 0.7


class Block(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)

    def attention(self, x: torch.Tensor, probs: bool):
        b, n, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        if not probs:
            return F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, n, d), None
        attn = ((q * (d // self.heads) ** -0.5) @ k.transpose(-2, -1)).softmax(-1)
        return (attn @ v).transpose(1, 2).reshape(b, n, d), attn[:, :, 0, 1:].mean(1)

    def mlp(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class EvitScorer(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.embed = nn.Linear(768, dim)
        self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, 197, dim) * 0.02)
        self.blocks = nn.ModuleList(Block(dim, heads) for _ in range(PRUNE[-1] + 1))
        self.register_buffer("mean", MEAN.repeat(256), persistent=False)  # (row, col, channel) order
        self.register_buffer("std", STD.repeat(256), persistent=False)

    def forward(self, patches: torch.Tensor):
        x = self.embed((patches.float() / 255 - self.mean) / self.std)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1) + self.pos
        keep = torch.arange(196, device=x.device).expand(x.shape[0], -1)
        stages = []
        for i, blk in enumerate(self.blocks):
            a, cls_attn = blk.attention(x, i in PRUNE)
            if cls_attn is None:
                x = blk.mlp(x + blk.proj(a))
                continue
            n_keep = math.ceil(RATE * cls_attn.shape[1])
            scores, order = cls_attn.topk(n_keep, dim=1)
            keep = keep.gather(1, order)
            stages.append((keep, scores))
            if i == PRUNE[-1]:
                break
            x = x + blk.proj(a)
            x = torch.cat([x[:, :1], x[:, 1:].gather(1, order[..., None].expand(-1, -1, x.shape[2]))], 1)
            x = blk.mlp(x)
        return [(k.cpu(), s.cpu()) for k, s in stages]


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="deit-small,deit-base")
    ap.add_argument("--batches", default="64,256")
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(1)
    rows = []
    for name in args.models.split(","):
        model = EvitScorer(*CONFIGS[name]).to(args.device).eval()
        for batch in map(int, args.batches.split(",")):
            x = torch.randint(0, 256, (batch, 196, 768), dtype=torch.uint8, device=args.device)
            with torch.inference_mode():
                t0 = time.perf_counter()
                model(x)
                sync(args.device)
                warmup = (time.perf_counter() - t0) * 1000
                iters, t1 = 0, time.perf_counter()
                while iters < 2 or (time.perf_counter() - t1 < args.seconds and iters < 200):
                    model(x)
                    iters += 1
                sync(args.device)
                per = (time.perf_counter() - t1) * 1000 / iters
            row = {"model": f"{name}-patch16-224", "batch": batch, "warmupMs": warmup, "iters": iters,
                   "perIterMs": per, "imagesPerSec": batch * 1000 / per}
            print(f"torch {row['model']} batch {batch}: {row['imagesPerSec']:.1f} img/s (warm-up {warmup:.0f} ms)", flush=True)
            rows.append(row)
            device = torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu"
            with open(args.out, "w") as f:  # after every row: kept if a later one times out
                json.dump({"torch": torch.__version__, "device": device, "dtype": "float32 (TF32 off)", "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
