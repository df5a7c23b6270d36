"""A few training steps of a small CNN on dense `zero` views (the paper's path for Swin/ResNet)."""
from __future__ import annotations

import pytest

from dlth import TicketIterable
from support.writer import image_dataset

torch = pytest.importorskip("torch", reason="torch is not installed: pip install torch (CPU wheels suffice)")


def test_a_small_cnn_trains_on_zero_views(tmp_path):
    from torch import nn
    from torch.utils.data import DataLoader

    d, meta, *_ = image_dataset(tmp_path / "ds", n=40, image=16, patch=4, channels=3, k=9, shard_rows=16)
    ds = TicketIterable(str(d), "zero", seed=0, batch_size=8, flip=True)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, meta["numClasses"]))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    before = [p.detach().clone() for p in model.parameters()]
    losses = []
    for epoch in range(2):
        ds.set_epoch(epoch)
        for batch in DataLoader(ds, batch_size=8, num_workers=2):
            x, y = batch["image"], batch["label"]
            assert x.dtype == torch.float32 and tuple(x.shape[1:]) == (3, 16, 16)
            keep = y >= 0
            loss = nn.functional.cross_entropy(model(x[keep]), y[keep])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    assert len(losses) == 10 and all(torch.isfinite(torch.tensor(losses)))
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters())), "the weights moved"
