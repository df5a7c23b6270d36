"""Datasets read together must have been preprocessed alike (the TypeScript loader's rule,
src/shards/preprocessing.ts); with allow_mixed_preprocessing each is normalised with its own
mean/std. meta.preprocessing is validated like the rest of the manifest."""
from __future__ import annotations

import numpy as np
import pytest

from dlth import InputError, ManifestError, TicketDataset, TicketIterable, TicketReader
from support.writer import cut_patches, make_meta, write_dataset

PRE = {"from": "hf-processor", "resize": "deit", "cropPct": 0.875, "interpolation": "cubic"}
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def dataset(path, seed: int, mean=MEAN, std=STD, pre=PRE):
    """Six random 16×16 images (4×4 patches, k = 9) written with this preprocessing record."""
    rng = np.random.default_rng(seed)
    meta = make_meta(16, 4, 3, 9, mean=list(mean), std=list(std))
    if pre is not None:
        meta["preprocessing"] = dict(pre) if isinstance(pre, dict) else pre
    images = rng.integers(0, 256, (6, 16, 16, 3), dtype=np.uint8)
    positions = np.sort(np.stack([rng.choice(16, 9, replace=False) for _ in range(6)]), axis=1).astype(np.uint16)
    write_dataset(path, meta, [f"s{seed}-{i}" for i in range(6)], [i % 10 for i in range(6)], cut_patches(images, positions, 4), positions)
    return str(path), meta, images, positions


DIFFERENT = {
    "mean": ({"mean": [0.5, 0.5, 0.5]}, r"mean \[0\.485,0\.456,0\.406\] vs \[0\.5,0\.5,0\.5\]"),
    "std": ({"std": [0.5, 0.5, 0.5]}, r"std \[0\.229,0\.224,0\.225\] vs \[0\.5,0\.5,0\.5\]"),
    "resize": ({"pre": {**PRE, "resize": "shorter"}}, r'resize "deit" vs "shorter"'),
    "crop of deit": ({"pre": {**PRE, "cropPct": 0.9}}, r"cropPct 0\.875 vs 0\.9"),
    "interpolation": ({"pre": {**PRE, "interpolation": "linear"}}, r'interpolation "cubic" vs "linear"'),
    "crop rounding": ({"pre": {**PRE, "cropRounding": "floor"}}, r'cropRounding "round" vs "floor"'),
    "PIL parity": ({"pre": {**PRE, "pilParity": True}}, r"pilParity false vs true"),
    "resize target": ({"pre": {**PRE, "resize": "fixed", "resizeTo": [20, 20]}}, r'resize "deit" vs "fixed"'),
}


@pytest.mark.parametrize("case", list(DIFFERENT))
def test_datasets_preprocessed_differently_are_not_read_together(tmp_path, case):
    change, message = DIFFERENT[case]
    a = dataset(tmp_path / "a", 1)[0]
    b = dataset(tmp_path / "b", 2, **change)[0]
    for read in (TicketReader, TicketDataset, TicketIterable):
        with pytest.raises(InputError, match=rf"b/manifest\.json: .*b and .*a were preprocessed differently \({message}\): .*allow_mixed_preprocessing=True") as err:
            read([a, b])
        assert a in str(err.value) and b in str(err.value)


SAME = {
    "where the settings came from": {"pre": {**PRE, "from": "default"}},
    "a crop fraction that a fixed resize ignores": ("fixed", {"pre": {**PRE, "resize": "fixed", "cropPct": 0.9}}),
    "defaults written out": {"pre": {**PRE, "cropRounding": "round", "pilParity": False}},
    "an older dataset without the record": {"pre": None},
}


@pytest.mark.parametrize("case", list(SAME))
def test_what_does_not_change_the_pixels_is_no_difference(tmp_path, case):
    change = SAME[case]
    first_pre = PRE
    if isinstance(change, tuple):
        first_pre, change = {**PRE, "resize": change[0]}, change[1]
    a = dataset(tmp_path / "a", 1, pre=first_pre)[0]
    b = dataset(tmp_path / "b", 2, **change)[0]
    assert len(TicketDataset([a, b])) == 12


def normalised(images, meta):
    x = images.astype(np.float32) / np.float32(255)
    return ((x - np.array(meta["mean"], np.float32)) / np.array(meta["std"], np.float32)).transpose(0, 3, 1, 2)


def test_allowed_mixed_datasets_are_each_normalised_with_their_own_statistics(tmp_path):
    parts = [dataset(tmp_path / "a", 1), dataset(tmp_path / "b", 2, mean=[0.5, 0.4, 0.3], std=[0.2, 0.3, 0.4], pre={**PRE, "resize": "shorter"})]
    with pytest.raises(InputError):
        TicketDataset([p[0] for p in parts], "zero")
    ds = TicketDataset([p[0] for p in parts], "zero", allow_mixed_preprocessing=True)
    it = TicketIterable([p[0] for p in parts], "packed", allow_mixed_preprocessing=True, shuffle="none")
    packed = {int(r["index"]): r["image"] for r in it}
    for g in range(12):
        _, meta, images, positions = parts[g // 6]
        i = g % 6
        kept = np.zeros(16, bool)
        kept[positions[i].astype(np.int64)] = True
        mask = kept.reshape(4, 4).repeat(4, 0).repeat(4, 1)
        assert np.array_equal(ds[g]["image"], normalised(images[i:i + 1], meta)[0] * mask), f"row {g}"
        assert ds.reader.dataset_of(g) == g // 6
        tiles = normalised(images[i:i + 1], meta)[0].reshape(3, 4, 4, 4, 4).transpose(1, 3, 0, 2, 4).reshape(16, 3, 4, 4)[positions[i].astype(np.int64)]
        assert np.array_equal(packed[g], tiles.reshape(3, 3, 3, 4, 4).transpose(2, 0, 3, 1, 4).reshape(3, 12, 12)), f"row {g}"


BAD = {
    "not an object": ("x", r"\$\.meta\.preprocessing: expected an object"),
    "interpolation missing": ({k: v for k, v in PRE.items() if k != "interpolation"}, r"\$\.meta\.preprocessing: missing interpolation"),
    "unknown key": ({**PRE, "gamma": 2}, r"\$\.meta\.preprocessing: unknown key\(s\) gamma"),
    "from": ({**PRE, "from": "somewhere"}, r"\$\.meta\.preprocessing\.from: expected one of"),
    "resize": ({**PRE, "resize": "stretch"}, r"\$\.meta\.preprocessing\.resize: expected one of deit, shorter, none, fixed"),
    "resizeTo": ({**PRE, "resizeTo": [224]}, r"\$\.meta\.preprocessing\.resizeTo: expected \[height, width\]"),
    "shortestEdge": ({**PRE, "shortestEdge": 0}, r"\$\.meta\.preprocessing\.shortestEdge: expected an integer"),
    "cropPct zero": ({**PRE, "cropPct": 0}, r"\$\.meta\.preprocessing\.cropPct: expected a number in \(0, 1\]"),
    "cropPct text": ({**PRE, "cropPct": "0.9"}, r"\$\.meta\.preprocessing\.cropPct"),
    "cropRounding": ({**PRE, "cropRounding": "ceil"}, r"\$\.meta\.preprocessing\.cropRounding: expected one of round, floor"),
    "pilParity": ({**PRE, "pilParity": "yes"}, r"\$\.meta\.preprocessing\.pilParity: expected true or false"),
    "interpolation": ({**PRE, "interpolation": 3}, r"\$\.meta\.preprocessing\.interpolation: expected a string"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_malformed_preprocessing_record_is_a_manifest_error(tmp_path, case):
    pre, message = BAD[case]
    d = dataset(tmp_path / "d", 1, pre=pre)[0]
    with pytest.raises(ManifestError, match=rf"manifest\.json: {message}"):
        TicketReader(d)
