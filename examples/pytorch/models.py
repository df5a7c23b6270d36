"""Two small models for the example: a ViT that drops tokens (sparse view) and a CNN that sees
the whole grid (dense `zero` or `packed` views: the paper's path for Swin-T and ResNet-50)."""
from __future__ import annotations

import torch
from torch import nn


class TinyViT(nn.Module):
    """Every kept patch is embedded and gets the position embedding of its own grid position; only
    the k kept tokens (plus CLS) enter the transformer."""

    def __init__(self, patch_bytes: int, grid_patches: int, classes: int, mean, std, dim: int = 64, depth: int = 2, heads: int = 4):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))
        self.embed = nn.Linear(patch_bytes, dim)
        self.pos = nn.Parameter(torch.zeros(grid_patches, dim))
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        layer = nn.TransformerEncoderLayer(dim, heads, dim * 4, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)
        nn.init.trunc_normal_(self.pos, std=0.02)
        nn.init.trunc_normal_(self.cls, std=0.02)

    def normalise(self, patches: torch.Tensor) -> torch.Tensor:
        """uint8 [B, k, p·p·C] (channel last) → float, per-channel (x/255 − mean)/std."""
        b, k, pb = patches.shape
        c = self.mean.numel()
        x = patches.view(b, k, pb // c, c).float().div_(255)
        return ((x - self.mean) / self.std).view(b, k, pb)

    def forward(self, batch: dict) -> torch.Tensor:
        x = self.embed(self.normalise(batch["patches"])) + self.pos[batch["positions"]]
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1)
        return self.head(self.norm(self.blocks(x))[:, 0])


class SmallCNN(nn.Module):
    """A ResNet-like stem and two stages on the dense image (dropped patches are 0 = the mean colour)."""

    def __init__(self, channels: int, classes: int, width: int = 32):
        super().__init__()

        def block(i: int, o: int, stride: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(i, o, 3, stride, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True))

        self.features = nn.Sequential(block(channels, width, 1), block(width, width, 1), block(width, 2 * width, 2), block(2 * width, 2 * width, 1))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2 * width, classes))

    def forward(self, batch: dict) -> torch.Tensor:
        return self.head(self.features(batch["image"]))
