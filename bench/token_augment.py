"""Token augmentations of the Python package (dlth.token_augment) on the batches of
bench/token_augment.ts (64 rows of 224/16 RGB tickets at k = 98): ms of process CPU per batch
(jitter and erasing row by row as the datasets apply them, then mixing), median of 7 repetitions.
Usage: .venv/bin/python bench/token_augment.py"""
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from dlth.token_augment import TokenAugment  # noqa: E402
from machine import cpu  # noqa: E402

META = {"patchSize": 16, "channels": 3, "grid": [14, 14], "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "numClasses": 1000}
B, K = 64, 98
CONFIGS = [("colour jitter 0.4", {"color_jitter": 0.4}), ("erasing 0.25, pixel", {"reprob": 0.25}),
           ("mixup 0.8 + cutmix 1.0", {"mixup_alpha": 0.8, "cutmix_alpha": 1.0}),
           ("all of them", {"color_jitter": 0.4, "reprob": 0.25, "mixup_alpha": 0.8, "cutmix_alpha": 1.0})]


def main() -> None:
    rng = np.random.default_rng(1)
    patches = rng.integers(0, 256, (B, K, 16, 16, 3), dtype=np.uint8)
    positions = np.tile(np.arange(K, dtype=np.uint16) * 2, (B, 1))
    ids = [f"s{i}" for i in range(B)]
    print(f"{cpu()}, load {os.getloadavg()[0]:.2f}")
    for name, options in CONFIGS:
        aug = TokenAugment(**options)
        times = []
        for rep in range(8):
            t0 = time.process_time()
            rows = np.stack([aug.row(patches[i], positions[i], ids[i], 0, rep, META) for i in range(B)])
            if aug.mixing:
                aug.mix({"patches": rows, "positions": positions, "label": np.arange(B), "id": ids}, 0, rep, META)
            if rep > 0:
                times.append(time.process_time() - t0)
        print(f"{name:24} {np.median(times) * 1000:7.1f} ms per batch of {B}")


if __name__ == "__main__":
    main()
