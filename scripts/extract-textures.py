"""Extracts the texture photos dlth make-cluttered uses from scikit-image's bundled data.

Writes data/textures/<name>.pgm.gz (binary PGM, 8-bit grayscale, gzip with mtime 0, so the bytes
are reproducible) for brick, grass and gravel: 512x512 photos that scikit-image ships under the
Creative Commons CC0 licence (see data/textures/README.md). Run once; the files are committed.
    .venv/bin/python scripts/extract-textures.py
"""
import gzip
import hashlib
import pathlib

import skimage
import skimage.data

NAMES = ["brick", "grass", "gravel"]
OUT = pathlib.Path(__file__).resolve().parent.parent / "data" / "textures"


def pgm(img) -> bytes:
    h, w = img.shape
    return f"P5\n{w} {h}\n255\n".encode("ascii") + img.astype("uint8").tobytes()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        img = getattr(skimage.data, name)()
        assert img.ndim == 2 and img.dtype.name == "uint8", (name, img.shape, img.dtype)
        raw = pgm(img)
        (OUT / f"{name}.pgm.gz").write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
        print(f"{name}: {img.shape[1]}x{img.shape[0]} sha256(pgm)={hashlib.sha256(raw).hexdigest()} (scikit-image {skimage.__version__})")


if __name__ == "__main__":
    main()
