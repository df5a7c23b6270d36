"""JPEG-encoded ticket datasets (meta.patchEncoding): made by the real `dlth materialize
--patch-encoding jpeg` on real photos, the Python reader's rows (Pillow) are byte-identical to what
the TypeScript loader serves (`dlth stream`, sharp), flipped alike; bad stored JPEGs
are one ShardError naming the shard and the row."""
from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT, cli, dlth_stream
from dlth import ShardError, TicketIterable, TicketReader
from dlth.patch_jpeg import Mosaic, decode_row

PHOTOS = ["astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg", "motorcycle_left.png", "hubble_deep_field.jpg"]


@pytest.fixture(scope="module")
def photo_datasets(tmp_path_factory):
    """An ImageFolder of 12 real photo crops (scikit-image's samples) and its 224/16 random tickets at
    keep 0.5, raw and JPEG (quality 90), both by the CLI."""
    import skimage.data
    base = tmp_path_factory.mktemp("jpeg")
    for n, name in enumerate(PHOTOS):
        im = Image.open(os.path.join(skimage.data.data_dir, name)).convert("RGB")
        w, h = im.size
        for i, (x, y) in enumerate([(0, 0), (w // 5, h // 5)]):
            d = base / "photos" / f"c{(n + i) % 2}"
            d.mkdir(parents=True, exist_ok=True)
            im.crop((x, y, x + int(w * 0.8), y + int(h * 0.8))).save(d / f"{name.split('.')[0]}-{i}.jpg", quality=90)
    out = {}
    for enc in ("raw", "jpeg"):
        out[enc] = str(base / enc)
        proc = subprocess.run([*cli(), "materialize", "--source", "imagefolder", "--root", str(base / "photos"), "--image-size", "224", "--patch-size", "16",
                               "--policy", "random", "--keep", "0.5", "--patch-encoding", enc, "--shard-mb", "0.3", "-o", out[enc], "-q"],
                              cwd=ROOT, capture_output=True, timeout=300)
        assert proc.returncode == 0, proc.stderr.decode()
    return out


def test_python_rows_equal_the_typescript_loaders_byte_for_byte(photo_datasets):
    jpeg = photo_datasets["jpeg"]
    for flip in (False, True):
        batches = dlth_stream([jpeg], "--seed", "3", "--epoch", "1", "--batch", "5", *(["--flip"] if flip else []))
        k = 98
        want = np.concatenate([b.column("patches").flatten().flatten().to_numpy().reshape(-1, k, 16 * 16 * 3) for b in batches])
        ds = TicketIterable([jpeg], seed=3, flip=flip)
        ds.set_epoch(1)
        rows = list(ds)
        assert [r["id"] for r in rows] == [i for b in batches for i in b.column("id").to_pylist()]
        got = np.stack([r["patches"] for r in rows])
        assert np.array_equal(got, want), "Pillow's and sharp's decodes differ"


def test_jpeg_rows_are_close_to_the_raw_ones_and_several_times_smaller(photo_datasets):
    raw, jpeg = TicketReader(photo_datasets["raw"]), TicketReader(photo_datasets["jpeg"])
    assert raw.rows == jpeg.rows == 12
    for g in range(raw.rows):
        (a, i), (b, j) = raw.row(g), jpeg.row(g)
        assert a.ids[i] == b.ids[j]
        np.testing.assert_array_equal(a.positions[i], b.positions[j])
        mse = np.mean((a.patches[i].astype(np.float64) - b.patches[j]) ** 2)
        assert 10 * np.log10(255 ** 2 / mse) > 33, a.ids[i]
    size = lambda d: sum(f.stat().st_size for f in Path(d).glob("*.arrow"))  # noqa: E731
    assert size(photo_datasets["jpeg"]) < 0.3 * size(photo_datasets["raw"])


def mosaic(k=4, p=8, c=3):
    return Mosaic({"patchSize": p, "channels": c, "k": k, "patchEncoding": {"codec": "jpeg", "quality": 90, "subsampling": "4:4:4", "cell": 8, "columns": 2}})


def jpeg_bytes(w, h, mode="RGB", **save):
    buf = io.BytesIO()
    noise = np.random.default_rng(0).integers(0, 256, (h, w) if mode == "L" else (h, w, 3), dtype=np.uint8)
    Image.fromarray(noise, mode).save(buf, "JPEG", **save)
    return buf.getvalue()


@pytest.mark.parametrize("data, message", [
    (jpeg_bytes(24, 16), r"row 3's JPEG is 24×16, the layout needs 16×16"),
    (jpeg_bytes(16, 16, "L"), r"row 3's JPEG has mode L"),
    (jpeg_bytes(16, 16)[:-60], r"row 3's JPEG does not decode"),
    (b"not a jpeg", r"row 3's JPEG cannot be opened"),
], ids=["other-size", "grayscale", "truncated", "not-jpeg"])
def test_a_bad_stored_jpeg_is_one_shard_error_naming_the_row(data, message):
    with pytest.raises(ShardError, match=message) as err:
        decode_row(mosaic(), data, "shard-00000.arrow", 3)
    assert "shard-00000.arrow" in str(err.value) and "\n" not in str(err.value)


def test_a_rotated_jpeg_is_refused():
    exif = Image.Exif()
    exif[0x0112] = 6
    with pytest.raises(ShardError, match="EXIF orientation 6"):
        decode_row(mosaic(), jpeg_bytes(16, 16, exif=exif), "s.arrow", 0)


@pytest.mark.parametrize("rows", [[b"\xff\xd8", b"", b"\xff\xd8"], [b"\xff\xd8", None]], ids=["empty", "null"])
def test_an_empty_or_null_stored_jpeg_is_refused_when_the_batch_is_read(rows):
    import pyarrow as pa
    from dlth.patch_jpeg import JpegPatches
    meta = {"patchSize": 8, "channels": 3, "k": 4, "patchEncoding": {"codec": "jpeg", "quality": 90, "subsampling": "4:4:4", "cell": 8, "columns": 2}}
    with pytest.raises(ShardError, match="row 1's JPEG is empty"):
        JpegPatches(pa.array(rows, pa.binary()), meta, "s.arrow")
