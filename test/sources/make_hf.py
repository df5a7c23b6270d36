"""Builds the hf test fixtures with Hugging Face `datasets` from scikit-image's real photos (CC0).

Usage: make_hf.py OUT_DIR. Writes into OUT_DIR:
- folder/<cat|cup>/<row>.<ext>: the same photos as an imagefolder (row = 00000…);
- train.parquet (to_parquet, row groups of 2 rows), disk/ (save_to_disk, 2 Arrow files),
  dict/ (a DatasetDict with splits train and test, save_to_disk), all with an HF Image column and
  a ClassLabel label column (names cat, cup);
- bad.parquet: rows with a corrupt image, label -1 and a null image; garbage.parquet: not Parquet.
"""
import os
import sys

import skimage
from datasets import ClassLabel, Dataset, DatasetDict, Image

out = sys.argv[1]
data = os.path.join(os.path.dirname(skimage.__file__), "data")
photos = [("chelsea.png", 0), ("coffee.png", 1), ("rocket.jpg", 0), ("brick.png", 1), ("camera.png", 0)]
names = ["cat", "cup"]
images, labels = [], []
for i, (name, label) in enumerate(photos):
    with open(os.path.join(data, name), "rb") as f:
        raw = f.read()
    images.append({"bytes": raw, "path": None})
    labels.append(label)
    d = os.path.join(out, "folder", names[label])
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"{i:05d}{os.path.splitext(name)[1]}"), "wb") as f:
        f.write(raw)


def make(imgs, labs):
    ds = Dataset.from_dict({"image": imgs, "label": labs})
    return ds.cast_column("image", Image()).cast_column("label", ClassLabel(names=names))


ds = make(images, labels)
ds.to_parquet(os.path.join(out, "train.parquet"), batch_size=2)
ds.save_to_disk(os.path.join(out, "disk"), num_shards=2)
DatasetDict({"train": ds, "test": make(images[:2], labels[:2])}).save_to_disk(os.path.join(out, "dict"))
bad = Dataset.from_dict({"image": [images[0], {"bytes": b"\x89PNG not really", "path": None}, images[1], None], "label": [1, 0, -1, 0]})
bad.cast_column("image", Image()).to_parquet(os.path.join(out, "bad.parquet"))
with open(os.path.join(out, "garbage.parquet"), "wb") as f:
    f.write(b"PAR1" + os.urandom(3000) + b"PAR1")
