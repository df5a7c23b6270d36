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


def test_zero_view_equals_torchvision_style_normalisation_bit_for_bit(tmp_path):
    """ToTensor (x.float() / 255) then Normalize ((x − mean) / std), in torch float32, on kept pixels."""
    from dlth import TicketDataset

    d, meta, images, positions = image_dataset(tmp_path / "ds", n=6, image=16, patch=4, channels=3, k=9)
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float().div(255)
    x = x.sub(torch.tensor(meta["mean"]).view(1, 3, 1, 1)).div(torch.tensor(meta["std"]).view(1, 3, 1, 1))
    ds = TicketDataset(str(d), "zero")
    for i in range(len(ds)):
        got = torch.from_numpy(ds[i]["image"])
        kept = got != 0
        assert torch.equal(got[kept], x[i][kept]) and int(kept.sum()) >= 9 * 16 * 3 - 3
