"""Token augmentations (dlth.token_augment, issue 27) against the TypeScript loader: the golden
cases of test/fixtures/augment/golden.json (real Fashion-MNIST and photo tickets, every
augmentation on, several (seed, epoch) pairs; test/loader/token-augment.test.ts checks the
TypeScript functions against the same file), and whole epochs of `TicketIterable(augment=…)` with
`augment.mix` equal to the TypeScript loader's batches byte for byte; bad options refused in one line."""
from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import NODE, ROOT
from dlth.datasets import TicketIterable
from dlth.errors import InputError
from dlth.token_augment import TokenAugment

GOLDEN = json.loads((ROOT / "test/fixtures/augment/golden.json").read_text())


def _bytes(s: str) -> bytes:
    return base64.b64decode(s)


@pytest.mark.parametrize("group", GOLDEN["groups"], ids=lambda g: g["name"])
def test_golden(group):
    meta = group["meta"]
    p, c = meta["patchSize"], meta["channels"]
    rows = [(np.frombuffer(_bytes(r["patches"]), np.uint8).reshape(-1, p, p, c), np.array(r["positions"], np.uint16), r["label"], r["id"]) for r in group["rows"]]
    for case in group["cases"]:
        where = f"{group['name']} seed {case['seed']} epoch {case['epoch']}"
        aug = TokenAugment(**case["options"])
        rowed = np.stack([aug.row(x, pos, sid, case["seed"], case["epoch"], meta) for x, pos, _, sid in rows])
        assert hashlib.sha256(rowed.tobytes()).hexdigest() == case["rowsSha256"], where
        batch = aug.mix({"patches": rowed, "positions": np.stack([r[1] for r in rows]), "label": np.array([r[2] for r in rows]), "id": [r[3] for r in rows]},
                        case["seed"], case["epoch"], meta)
        assert batch["patches"].tobytes() == _bytes(case["patches"]), where
        assert batch["target"].tobytes() == _bytes(case["targets"]), where
        assert batch["lam"].tolist() == case["lam"], where


OPTIONS = {"color_jitter": 0.4, "reprob": 0.6, "remode": "pixel", "recount": 2, "mixup_alpha": 0.8, "cutmix_alpha": 1.0, "label_smoothing": 0.1}
CAMEL = {"color_jitter": "colorJitter", "reprob": "reprob", "remode": "remode", "recount": "recount", "mixup_alpha": "mixupAlpha",
         "cutmix_alpha": "cutmixAlpha", "label_smoothing": "labelSmoothing"}


def test_loader_epochs_equal_typescript(ts_datasets):
    ds = ts_datasets["one"]
    aug = TokenAugment(**OPTIONS)
    it = TicketIterable([ds], "sparse", seed=4, flip=True, augment=aug)
    meta = it.meta
    for epoch in (0, 3):
        spec = {"locations": [ds], "epoch": epoch, "options": {"batchSize": 8, "seed": 4, "flip": True, "augment": {CAMEL[k]: v for k, v in OPTIONS.items()}}}
        proc = subprocess.run([NODE, "--import", "tsx", str(ROOT / "python/tests/support/loader_batches.ts"), json.dumps(spec)], cwd=ROOT, capture_output=True, timeout=120)
        assert proc.returncode == 0, proc.stderr.decode()
        ts = json.loads(proc.stdout)
        it.set_epoch(epoch)
        rows = list(it)
        assert sum(len(b["ids"]) for b in ts) == len(rows)
        for j, b in enumerate(ts):
            chunk = rows[j * 8:(j + 1) * 8]
            collated = {"patches": np.stack([r["patches"] for r in chunk]), "positions": np.stack([r["positions"] for r in chunk]),
                        "label": np.array([r["label"] for r in chunk]), "id": [r["id"] for r in chunk]}
            assert collated["id"] == b["ids"]
            mixed = aug.mix(collated, 4, epoch, meta)
            assert mixed["patches"].tobytes() == _bytes(b["patches"]), (epoch, j)
            assert mixed["target"].tobytes() == _bytes(b["targets"]), (epoch, j)


@pytest.mark.parametrize("options, message", [
    ({"mixup_alpha": -1}, "augmentation mixup_alpha = -1 is invalid"),
    ({"mix_prob": 1.5}, "mix_prob = 1.5 is invalid (want a probability in [0, 1])"),
    ({"switch_prob": -0.1}, "switch_prob = -0.1"),
    ({"reprob": 2}, "reprob = 2"),
    ({"color_jitter": -0.4}, "color_jitter = -0.4 is invalid"),
    ({"color_jitter": (0.4, 0.4, 0.4, 0.1)}, "hue is not supported"),
    ({"remode": "zero"}, "remode = 'zero' is invalid (want const, rand, pixel)"),
    ({"recount": 0}, "recount = 0"),
])
def test_bad_options(options, message):
    with pytest.raises(InputError) as e:
        TokenAugment(**options)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_off_by_default_and_grayscale_saturation():
    aug = TokenAugment()
    assert aug.jitter is None and aug.reprob == 0 and not aug.mixing
    meta = GOLDEN["groups"][0]["meta"]  # Fashion-MNIST: 1 channel
    x = np.frombuffer(_bytes(GOLDEN["groups"][0]["rows"][0]["patches"]), np.uint8).reshape(-1, 4, 4, 1)
    pos = np.array(GOLDEN["groups"][0]["rows"][0]["positions"], np.uint16)
    assert np.array_equal(aug.row(x, pos, "a", 0, 0, meta), x)
    assert np.array_equal(TokenAugment(color_jitter=(0, 0, 0.9)).row(x, pos, "a", 0, 0, meta), x)  # saturation: identity on gray
