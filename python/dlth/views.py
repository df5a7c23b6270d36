"""Views: what a model receives for one sample. Each view is built once for a dataset's metadata
and maps a sparse sample (``patches`` uint8 [k, p, p, C], ``positions`` [k], ``label``, ``id``)
to a dict of numpy arrays, ready for ``torch.utils.data.default_collate``.

- ``sparse``: ``patches`` uint8 [k, p·p·C], ``positions`` int64 [k] (token dropping in a ViT);
- ``naflex``: ``patches`` uint8 [L, p·p·C], ``coords`` int64 [L, 2] (grid row, column), ``mask``
  bool [L] (True = a real patch); L = ``max_patches`` (≥ k, zero padding) or k;
- ``zero``: ``image`` float32 [C, H, W]: kept patches normalised with the dataset's mean/std
  (``(x/255 − mean[c]) / std[c]`` in float32, bit for bit what torchvision's ToTensor + Normalize
  give), dropped patches 0 — the paper's input for Swin and ResNet;
- ``packed``: ``image`` float32 [C, s·p, s·p] with s = √k: the kept patches, normalised, in raster
  order on an s×s grid (k must be a perfect square).

Every view also returns ``label`` (int64; −1 = none) and ``index`` (the global sample index)."""
from __future__ import annotations

import math
from typing import Any, Callable, Dict, Optional

import numpy as np

from .errors import ViewError

Sample = Dict[str, Any]
View = Callable[[Sample], Dict[str, Any]]


def normalise(patches_chw: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """uint8 [C, …] → float32 ``(x/255 − mean[c]) / std[c]``, each step in float32 (as torchvision)."""
    x = np.empty(patches_chw.shape, dtype=np.float32)
    x[...] = patches_chw
    x /= np.float32(255)
    shape = (-1,) + (1,) * (x.ndim - 1)
    x -= mean.reshape(shape)
    x /= std.reshape(shape)
    return x


def normalise_table(meta: Dict[str, Any]) -> np.ndarray:
    """float32 [C, 256]: the normalised value of every byte value per channel (same arithmetic)."""
    values = np.broadcast_to(np.arange(256, dtype=np.uint8), (meta["channels"], 256))
    return normalise(values, np.asarray(meta["mean"], np.float32), np.asarray(meta["std"], np.float32))


def _common(sample: Sample) -> Dict[str, Any]:
    return {"label": np.int64(sample["label"]), "index": np.int64(sample["index"])}


class SparseView:
    def __init__(self, meta: Dict[str, Any]):
        self.patch_bytes = meta["patchSize"] ** 2 * meta["channels"]

    def __call__(self, sample: Sample) -> Dict[str, Any]:
        k = sample["positions"].shape[0]
        return {"patches": sample["patches"].reshape(k, self.patch_bytes), "positions": sample["positions"].astype(np.int64), **_common(sample)}


class NaFlexView:
    def __init__(self, meta: Dict[str, Any], max_patches: Optional[int] = None):
        self.patch_bytes = meta["patchSize"] ** 2 * meta["channels"]
        self.grid_width = meta["grid"][1]
        self.max_patches = max_patches
        if max_patches is not None and max_patches < meta["k"]:
            raise ViewError(f"naflex max_patches = {max_patches} is smaller than the dataset's k = {meta['k']}")

    def __call__(self, sample: Sample) -> Dict[str, Any]:
        pos = sample["positions"].astype(np.int64)
        k = pos.shape[0]
        length = self.max_patches or k
        patches = sample["patches"].reshape(k, self.patch_bytes)
        coords = np.stack(np.divmod(pos, self.grid_width), axis=1)
        mask = np.ones(length, dtype=bool)
        if length > k:  # zero padding up to max_patches
            patches = np.concatenate([patches, np.zeros((length - k, self.patch_bytes), dtype=np.uint8)])
            coords = np.concatenate([coords, np.zeros((length - k, 2), dtype=np.int64)])
            mask[k:] = False
        return {"patches": patches, "coords": coords, "mask": mask, **_common(sample)}


class ZeroView:
    def __init__(self, meta: Dict[str, Any]):
        self.mean = np.asarray(meta["mean"], np.float32)
        self.std = np.asarray(meta["std"], np.float32)
        self.p, self.c = meta["patchSize"], meta["channels"]
        self.gh, self.gw = meta["grid"]

    def normalise(self, patches: np.ndarray) -> np.ndarray:
        """[k, p, p, C] uint8 → [C, k, p, p] float32."""
        return normalise(patches.transpose(3, 0, 1, 2), self.mean, self.std)

    def __call__(self, sample: Sample) -> Dict[str, Any]:
        p, c = self.p, self.c
        canvas = np.zeros((c, self.gh, p, self.gw, p), dtype=np.float32)
        rows, cols = np.divmod(sample["positions"].astype(np.intp), self.gw)
        canvas[:, rows, :, cols, :] = self.normalise(sample["patches"]).transpose(1, 0, 2, 3)  # [k, C, p, p]
        return {"image": canvas.reshape(c, self.gh * p, self.gw * p), **_common(sample)}


class PackedView(ZeroView):
    def __init__(self, meta: Dict[str, Any]):
        super().__init__(meta)
        k = meta["k"]
        self.side = math.isqrt(k)
        if self.side * self.side != k:
            raise ViewError(f"the packed view needs a square k, the dataset has k = {k} "
                            f"(nearest squares {self.side ** 2} and {(self.side + 1) ** 2}); use the zero view, or a subset of a square size")

    def __call__(self, sample: Sample) -> Dict[str, Any]:
        s, p, c = self.side, self.p, self.c
        image = np.ascontiguousarray(self.normalise(sample["patches"]).reshape(c, s, s, p, p).transpose(0, 1, 3, 2, 4))
        return {"image": image.reshape(c, s * p, s * p), **_common(sample)}


VIEWS = {"sparse": SparseView, "naflex": NaFlexView, "zero": ZeroView, "packed": PackedView}


def make_view(view: Any, meta: Dict[str, Any], **options: Any) -> View:
    """A view by name (``sparse``, ``naflex``, ``zero``, ``packed``) or any callable(sample) → dict."""
    if callable(view):
        return view
    if view not in VIEWS:
        raise ViewError(f"unknown view {view!r} (known: {', '.join(VIEWS)})")
    return VIEWS[view](meta, **options)
