"""How much of each image's object its view crops hold (issue 27's diagnosis on patch soup).

For every random view (view >= 1) of a score dataset with views, made from an IDX source whose object
masks `make-cluttered` wrote: the share of the object's pixels inside the crop box, and the share of
the crop's area that is object. Prints one JSON object.

  .venv/bin/python scripts/view-object-share.py out/soup-views/scores/evit-r70-v4/train \
      .cache/soup/train-masks-idx3-ubyte.gz
"""
import glob
import gzip
import json
import sys

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc


def read_idx(path: str) -> np.ndarray:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[:2] != b"\0\0" or data[2] != 8:
        raise SystemExit(f"{path}: not an IDX file of unsigned bytes")
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def main(dataset: str, masks_path: str) -> None:
    masks = read_idx(masks_path).astype(bool)
    inside, of_crop = [], []
    for shard in sorted(glob.glob(f"{dataset}/shard-*.arrow")):
        table = ipc.open_stream(pa.memory_map(shard)).read_all().select(["id", "view", "box"])
        views = table.column("view").to_numpy()
        ids = table.column("id").to_pylist()
        boxes = np.asarray(table.column("box").combine_chunks().flatten()).reshape(-1, 4)
        for i in np.nonzero(views > 0)[0]:
            m = masks[int(ids[i].rsplit("/", 1)[1])]
            left, top, w, h = (int(v) for v in boxes[i])
            held = m[top:top + h, left:left + w].sum()
            inside.append(held / max(1, m.sum()))
            of_crop.append(held / (w * h))
    inside, of_crop = np.array(inside), np.array(of_crop)
    print(json.dumps({
        "dataset": dataset, "random_views": int(inside.size),
        "object_share_inside_crop_mean": round(float(inside.mean()) * 100, 1),
        "crops_with_at_least_half_the_object": round(float((inside >= 0.5).mean()) * 100, 1),
        "crops_with_under_a_quarter_of_the_object": round(float((inside < 0.25).mean()) * 100, 1),
        "object_share_of_crop_area_mean": round(float(of_crop.mean()) * 100, 1),
        "plain_image_object_share_of_area": round(float(masks.mean()) * 100, 1),
    }))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
