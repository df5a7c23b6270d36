"""PyTorch CPU peer of bench/train.ts: the same ViT (pre-norm blocks, CLS token, learned position
embedding, kept tokens gathered by position), AdamW, label smoothing, global-norm clipping; one
training step timed per batch. Prints one JSON line per config.

  .venv/bin/python bench/train_torch.py --variant micro --k 49 --batch 128 --steps 10
  .venv/bin/python bench/train_torch.py --fmnist 120   # learning sanity check on the embedded subset
  .venv/bin/python bench/train_torch.py --serve         # one JSON request per stdin line (bench/train.ts)

--serve keeps one process for a whole benchmark: bench/train.ts starts it once, before its own
models exist, because every process it forks later costs its own next training step about a second
(the fork write-protects its memory and each page then faults once on this machine).
"""
import argparse
import gzip
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

VARIANTS = {"micro": (64, 4, 4), "mini": (128, 6, 4)}  # dim, depth, heads (src/model/configs.ts)


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        qkv = self.qkv(self.norm1(x)).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        a = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])
        x = x + self.proj(a.transpose(1, 2).reshape(b, n, d))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class ViT(nn.Module):
    def __init__(self, dim, depth, heads, patch_dim=16, num_patches=49, classes=10):
        super().__init__()
        self.patch_embed = nn.Linear(patch_dim, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, 1 + num_patches, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)

    def forward(self, patches, positions):
        # patches [B, k, P] uint8, positions [B, k] int64: each kept token keeps its own position embedding.
        x = self.patch_embed((patches.float() / 255 - 0.5) / 0.5)
        pos = self.pos_embed[0, 1:][positions]
        x = torch.cat([(self.cls_token + self.pos_embed[:, :1]).expand(x.shape[0], -1, -1), x + pos], 1)
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.norm(x)[:, 0])


def optimizer(model, lr, wd=0.05):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim <= 1 or name.endswith(".bias") or name in ("pos_embed", "cls_token") else decay).append(p)
    return torch.optim.AdamW([{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}], lr=lr)


def step(model, opt, patches, positions, labels):
    loss = F.cross_entropy(model(patches, positions), labels, label_smoothing=0.1)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return loss.item()


def bench(variant, k, batch, steps, warmup=2):
    torch.manual_seed(0)
    model = ViT(*VARIANTS[variant])
    opt = optimizer(model, 1e-3)
    patches = torch.randint(0, 256, (batch, k, 16), dtype=torch.uint8)
    positions = torch.stack([torch.randperm(49)[:k].sort().values for _ in range(batch)])
    labels = torch.randint(0, 10, (batch,))
    for _ in range(warmup):
        step(model, opt, patches, positions, labels)
    t0 = time.perf_counter()
    for _ in range(steps):
        step(model, opt, patches, positions, labels)
    dt = (time.perf_counter() - t0) / steps
    return {"peer": "pytorch", "variant": f"vit-{variant}-p4-28", "k": k, "batch": batch, "ms_per_step": dt * 1000,
            "samples_per_sec": batch / dt, "threads": torch.get_num_threads(), "torch": torch.__version__}


def fmnist(steps, batch=32, lr=1e-3):
    def idx(path, offset):
        with gzip.open(path) as f:
            return torch.frombuffer(bytearray(f.read()[offset:]), dtype=torch.uint8)
    x = idx("data/fashion-mnist-mini/train-images-idx3-ubyte.gz", 16).reshape(-1, 7, 4, 7, 4).permute(0, 1, 3, 2, 4).reshape(-1, 49, 16)
    y = idx("data/fashion-mnist-mini/train-labels-idx1-ubyte.gz", 8).long()
    torch.manual_seed(0)
    model = ViT(32, 2, 2)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    pos = torch.arange(49).expand(batch, -1)
    run = 0.0
    for s in range(steps):
        i = (s * batch) % (len(x) - batch)
        loss = F.cross_entropy(model(x[i:i + batch], pos), y[i:i + batch])
        opt.zero_grad()
        loss.backward()
        opt.step()
        run += loss.item()
        if s % 20 == 19:
            print(json.dumps({"step": s + 1, "loss": run / 20}))
            run = 0.0


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", choices=sorted(VARIANTS), action="append")
    ap.add_argument("--k", type=int, action="append")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--fmnist", type=int, default=0, help="train this many steps on the embedded subset and print losses")
    ap.add_argument("--serve", action="store_true", help="answer {variant, k, batch, steps, threads} JSON lines on stdin")
    a = ap.parse_args()
    if a.serve:
        import sys
        for line in sys.stdin:
            r = json.loads(line)
            torch.set_num_threads(r["threads"])
            print(json.dumps(bench(r["variant"], r["k"], r["batch"], r["steps"])), flush=True)
        sys.exit(0)
    if a.threads:
        torch.set_num_threads(a.threads)
    if a.fmnist:
        fmnist(a.fmnist)
    else:
        for v in a.variant or ["micro", "mini"]:
            for k in a.k or [49, 25]:
                print(json.dumps(bench(v, k, a.batch, a.steps)), flush=True)
