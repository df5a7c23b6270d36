"""examples/pytorch/train.py on the package: trains a CNN on dense views and a ViT on sparse
views, and a job restarted from its checkpoint continues with exactly the batches (hence the
losses) of an uninterrupted run."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT
from support.writer import image_dataset

pytest.importorskip("torch", reason="torch is not installed: pip install torch (CPU wheels suffice)")
EXAMPLE = ROOT / "examples" / "pytorch"


def train(*args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python"), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "train.py", *args], cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return {int(s): float(l) for s, l in re.findall(r"step (\d+) loss ([\d.]+)", proc.stdout)}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d, *_ = image_dataset(tmp_path_factory.mktemp("ex") / "ds", n=40, image=16, patch=4, channels=3, k=9, shard_rows=16)
    return str(d)


def test_a_restarted_job_continues_with_the_same_batches(data, tmp_path):
    common = ["--model", "cnn", "--batch", "8", "--flip"]
    straight = train(data, *common, "--steps", "7")
    ck = str(tmp_path / "ck.pt")
    first = train(data, *common, "--steps", "3", "--checkpoint", ck, "--save-every", "3")
    second = train(data, *common, "--steps", "7", "--checkpoint", ck, "--save-every", "3")
    assert sorted(straight) == list(range(1, 8))
    assert first == {s: straight[s] for s in (1, 2, 3)}
    assert second == {s: straight[s] for s in (4, 5, 6, 7)}, "steps 4–7 (across an epoch end) equal the uninterrupted run"


@pytest.mark.parametrize("args", [["--model", "vit"], ["--model", "cnn", "--view", "packed"]], ids=["vit-sparse", "cnn-packed"])
def test_other_models_and_views_train(data, args):
    losses = train(data, *args, "--steps", "2", "--batch", "8")
    assert sorted(losses) == [1, 2]
