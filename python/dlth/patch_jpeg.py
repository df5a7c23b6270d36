"""The JPEG patch encoding (``meta.patchEncoding``, schemas/README.md section 2b): each row's k kept
patches stored as one baseline JPEG, a mosaic of ``columns`` cells per line, each ``cell`` pixels
square (the patch size rounded up to a multiple of 8, chroma not subsampled), patch j at cell
(j // columns, j % columns), its p×p pixels at the cell's top-left. Decoded with Pillow (libjpeg-turbo's
integer IDCT, as sharp decodes in the TypeScript loader: the same bytes, tested across languages).
Rows are decoded when first asked for and kept. Every JPEG is untrusted: its size, components and
orientation are checked before its pixels are decoded, and a JPEG Pillow cannot decode completely is
refused, naming the shard and the row."""
from __future__ import annotations

import io
from typing import Any, Dict, List, Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .errors import ShardError


class Mosaic:
    """The row image's geometry (mirror of src/shards/patch-jpeg.ts ``mosaicOf``)."""

    def __init__(self, meta: Dict[str, Any]):
        enc = meta["patchEncoding"]
        self.p, self.c, self.k = meta["patchSize"], meta["channels"], meta["k"]
        self.cell, self.columns = enc["cell"], enc["columns"]
        self.lines = -(-self.k // self.columns)
        self.width, self.height = self.columns * self.cell, self.lines * self.cell

    def cut(self, pixels: np.ndarray) -> np.ndarray:
        """The k patches [k, p, p, C] of a decoded mosaic [height, width, C]."""
        p, cell = self.p, self.cell
        grid = pixels.reshape(self.lines, cell, self.columns, cell, self.c)[:, :p, :, :p]
        return np.ascontiguousarray(grid.transpose(0, 2, 1, 3, 4).reshape(self.lines * self.columns, p, p, self.c)[: self.k])


def _pil():
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - exercised only without Pillow
        raise ShardError("reading a JPEG-encoded dataset (meta.patchEncoding) needs Pillow: pip install 'dlth[jpeg]'", "dlth.patch_jpeg") from None
    return Image


def decode_row(m: Mosaic, data: bytes, where: str, row: int) -> np.ndarray:
    """One stored JPEG's k patches, uint8 [k, p, p, C]."""
    image = _pil()
    mode = "L" if m.c == 1 else "RGB"
    try:
        im = image.open(io.BytesIO(data), formats=["JPEG"])
    except Exception as err:  # noqa: BLE001 - Pillow raises several types for a bad header
        raise ShardError(f"column patches: row {row}'s JPEG cannot be opened ({_line(err)})", where) from None
    with im:
        if im.size != (m.width, m.height):
            raise ShardError(f"column patches: row {row}'s JPEG is {im.size[0]}×{im.size[1]}, the layout needs {m.width}×{m.height}", where)
        if im.mode != mode:
            raise ShardError(f"column patches: row {row}'s JPEG has mode {im.mode}, the dataset's {m.c} channel(s) need {mode}", where)
        orientation = im.getexif().get(0x0112, 1)
        if orientation != 1:
            raise ShardError(f"column patches: row {row}'s JPEG carries EXIF orientation {orientation} (stored patches are never rotated)", where)
        try:
            im.load()
        except Exception as err:  # noqa: BLE001 - truncated or corrupt entropy data
            raise ShardError(f"column patches: row {row}'s JPEG does not decode ({_line(err)})", where) from None
        pixels = np.asarray(im, dtype=np.uint8).reshape(m.height, m.width, m.c)
    return m.cut(pixels)


def _line(err: BaseException) -> str:
    return " ".join(str(err).split())[:160] or type(err).__name__


class JpegPatches:
    """A record batch's patches column of a JPEG-encoded dataset, indexable like the raw datasets'
    uint8 array [n, k, p, p, C]: ``patches[i]`` decodes row i (once; kept), ``np.asarray(patches)``
    every row."""

    def __init__(self, column: pa.Array, meta: Dict[str, Any], where: str):
        self._column, self._where = column, where
        self._m = Mosaic(meta)
        self._rows: List[Optional[np.ndarray]] = [None] * len(column)
        # One vectorised check per batch (not a Python call per row): no nulls, no empty JPEG.
        lengths = pc.binary_length(column).fill_null(0).to_numpy(zero_copy_only=False)
        empty = np.flatnonzero(lengths <= 0)
        if empty.size:
            raise ShardError(f"column patches: row {int(empty[0])}'s JPEG is empty", where)

    @property
    def shape(self):
        m = self._m
        return (len(self._rows), m.k, m.p, m.p, m.c)

    def __len__(self) -> int:
        return len(self._rows)

    def encoded(self, i: int) -> bytes:
        """Row i's JPEG, as stored."""
        return self._column[i].as_py()

    def __getitem__(self, i):
        if isinstance(i, (int, np.integer)):
            i = int(i)
            if i < 0:
                i += len(self._rows)
            got = self._rows[i]
            if got is None:
                got = decode_row(self._m, self._column[i].as_buffer(), self._where, i)
                got.setflags(write=False)
                self._rows[i] = got
            return got
        return np.asarray(self)[i]

    def __array__(self, dtype=None, copy=None):
        out = np.stack([self[i] for i in range(len(self._rows))]) if self._rows else np.zeros(self.shape, np.uint8)
        return out if dtype is None else out.astype(dtype)


def max_jpeg_allowance(meta: Dict[str, Any]) -> int:
    """Bytes a row's JPEG may take in a compressed batch's bound (src/shards/compression.ts jpegAllowance)."""
    enc = meta.get("patchEncoding")
    if not enc:
        return 0
    lines = -(-meta["k"] // max(1, enc["columns"]))
    return 4 * enc["columns"] * enc["cell"] * lines * enc["cell"] * meta["channels"] + 4096 + 4
