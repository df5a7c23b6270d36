"""Views, checked pixel for pixel against a numpy reconstruction from the source images."""
from __future__ import annotations

import numpy as np
import pytest

from dlth import TicketDataset, TicketIterable, ViewError
from dlth.augment import subset_indices
from support.writer import cut_patches, image_dataset, make_meta, write_dataset


def normalised(images: np.ndarray, meta) -> np.ndarray:
    """[n, H, W, C] uint8 → [n, C, H, W] float32: torchvision's ToTensor then Normalize, in float32."""
    x = images.astype(np.float32) / np.float32(255)
    x = (x - np.array(meta["mean"], np.float32)) / np.array(meta["std"], np.float32)
    return x.transpose(0, 3, 1, 2)


def kept_mask(positions: np.ndarray, meta) -> np.ndarray:
    """[n, H, W] bool: pixels of kept patches."""
    (gh, gw), p = meta["grid"], meta["patchSize"]
    grid = np.zeros((positions.shape[0], gh * gw), dtype=bool)
    np.put_along_axis(grid, positions.astype(np.int64), True, axis=1)
    return grid.reshape(-1, gh, gw).repeat(p, axis=1).repeat(p, axis=2)


@pytest.fixture(scope="module", params=[3, 1], ids=["rgb", "grey"])
def images(tmp_path_factory, request):
    return image_dataset(tmp_path_factory.mktemp("views") / "ds", n=12, image=16, patch=4, channels=request.param, k=9)


def test_zero_view_is_the_normalised_image_with_dropped_patches_zero(images):
    d, meta, imgs, positions = images
    want = normalised(imgs, meta) * kept_mask(positions, meta)[:, None]
    ds = TicketDataset(str(d), "zero")
    got = np.stack([ds[i]["image"] for i in range(len(ds))])
    assert got.dtype == np.float32 and got.shape == want.shape
    assert np.array_equal(got, want)


def test_packed_view_is_the_kept_patches_on_a_square_grid(images):
    d, meta, imgs, positions = images
    p, (gh, gw) = meta["patchSize"], meta["grid"]
    full = normalised(imgs, meta)
    ds = TicketDataset(str(d), "packed")
    for i in range(len(ds)):
        want = np.zeros((meta["channels"], 3 * p, 3 * p), dtype=np.float32)
        for j, pos in enumerate(positions[i]):
            r, c = divmod(int(pos), gw)
            want[:, (j // 3) * p:(j // 3 + 1) * p, (j % 3) * p:(j % 3 + 1) * p] = full[i, :, r * p:(r + 1) * p, c * p:(c + 1) * p]
        assert np.array_equal(ds[i]["image"], want)


def test_sparse_and_naflex_views(images):
    d, meta, imgs, positions = images
    p, gw, c = meta["patchSize"], meta["grid"][1], meta["channels"]
    patches = cut_patches(imgs, positions, p)
    sparse = TicketDataset(str(d), "sparse")
    naflex = TicketDataset(str(d), "naflex", view_options={"max_patches": 12})
    for i in range(len(sparse)):
        s, n = sparse[i], naflex[i]
        assert np.array_equal(s["patches"], patches[i]) and s["patches"].shape == (9, p * p * c)
        assert np.array_equal(s["positions"], positions[i])
        assert np.array_equal(n["patches"][:9], patches[i]) and not n["patches"][9:].any()
        assert np.array_equal(n["coords"][:9], np.stack([positions[i] // gw, positions[i] % gw], axis=1))
        assert n["mask"].tolist() == [True] * 9 + [False] * 3
        assert s["label"] == (-1 if i % 5 == 4 else i % 10)


def test_packed_needs_a_square_k(tmp_path):
    d, *_ = image_dataset(tmp_path / "k8", n=3, k=8)
    with pytest.raises(ViewError, match="square k.*k = 8"):
        TicketDataset(str(d), "packed")
    with pytest.raises(ViewError, match="max_patches"):
        TicketDataset(str(d), "naflex", view_options={"max_patches": 4})


def test_random_subsets_of_a_full_dataset_change_every_epoch(tmp_path):
    rng = np.random.default_rng(1)
    imgs = rng.integers(0, 256, (10, 16, 16, 3), dtype=np.uint8)
    positions = np.tile(np.arange(16, dtype=np.uint16), (10, 1))
    meta = make_meta(16, 4, 3, 16, policy="full")
    ids = [f"f{i:03d}" for i in range(10)]
    d = write_dataset(tmp_path / "full", meta, ids, [i % 10 for i in range(10)], cut_patches(imgs, positions, 4), positions)
    ds = TicketIterable(str(d), "zero", subset=4, seed=3, shuffle="none")
    per_epoch = []
    for epoch in range(3):
        ds.set_epoch(epoch)
        rows = list(ds)
        chosen = np.stack([subset_indices(3, epoch, i, 16, 4) for i in ids])
        want = normalised(imgs, meta) * kept_mask(chosen, meta)[:, None]
        assert np.array_equal(np.stack([r["image"] for r in rows]), want)
        per_epoch.append(chosen)
    assert not np.array_equal(per_epoch[0], per_epoch[1]), "a fresh subset every epoch"
    packed = TicketDataset(str(d), "packed", subset=4, seed=3)
    assert packed[0]["image"].shape == (3, 8, 8)
    sparse = TicketDataset(str(d), "sparse", subset=4, seed=3)
    sparse.set_epoch(2)
    assert sparse[5]["positions"].tolist() == per_epoch[2][5].tolist()
