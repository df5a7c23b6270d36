"""Train a tiny ViT on a dlth ticket dataset for a few steps (plain PyTorch, CPU is fine).

Token dropping as in the method: every kept patch is embedded, gets the position embedding of
its own grid position, and only the k kept tokens (plus CLS) enter the transformer.

  python train_tiny_vit.py /path/to/tickets --steps 20 --batch 32
"""
from __future__ import annotations

import argparse
import math

import torch
from torch import nn
from torch.utils.data import DataLoader

from dlth_dataset import DlthTickets


class TinyViT(nn.Module):
    def __init__(self, patch_bytes: int, grid_patches: int, classes: int, dim: int = 64, depth: int = 2, heads: int = 4):
        super().__init__()
        self.embed = nn.Linear(patch_bytes, dim)
        self.pos = nn.Parameter(torch.zeros(grid_patches, dim))
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.cls_pos = nn.Parameter(torch.zeros(1, 1, dim))
        layer = nn.TransformerEncoderLayer(dim, heads, dim * 4, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)
        nn.init.trunc_normal_(self.pos, std=0.02)
        nn.init.trunc_normal_(self.cls, std=0.02)

    def forward_features(self, patches: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        x = self.embed(patches) + self.pos[positions]          # [B, k, D]: each token keeps its own position
        cls = (self.cls + self.cls_pos).expand(x.shape[0], -1, -1)
        return self.norm(self.blocks(torch.cat([cls, x], dim=1)))

    def forward(self, patches: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        return self.head(self.forward_features(patches, positions)[:, 0])


def normalise(patches: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """uint8 [B, k, p*p*C] (channel last) → float, per-channel (x/255 − mean)/std."""
    b, k, pb = patches.shape
    c = mean.numel()
    x = patches.view(b, k, pb // c, c).float().div_(255)
    return ((x - mean) / std).view(b, k, pb)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dataset", nargs="+", help="ticket dataset directories")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.manual_seed(args.seed)

    data = DlthTickets(args.dataset, seed=args.seed)
    meta = data.meta
    classes = meta["numClasses"]
    if not classes:
        raise SystemExit("the dataset has no numClasses (an unlabelled source): nothing to train a classifier on")
    model = TinyViT(data.patch_bytes, meta["grid"][0] * meta["grid"][1], classes)
    mean, std = torch.tensor(meta["mean"]), torch.tensor(meta["std"])
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    loss_fn = nn.CrossEntropyLoss(ignore_index=-1, label_smoothing=0.1)

    step, epoch = 0, 0
    while step < args.steps:
        data.set_epoch(epoch)
        for patches, positions, labels in DataLoader(data, batch_size=args.batch, num_workers=args.workers):
            loss = loss_fn(model(normalise(patches, mean, std), positions), labels)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            if not math.isfinite(loss.item()):
                raise SystemExit(f"step {step}: loss is {loss.item()}")
            print(f"epoch {epoch} step {step} loss {loss.item():.4f}", flush=True)
            if step >= args.steps:
                break
        epoch += 1


if __name__ == "__main__":
    main()
