"""Merges the parts of scripts/gpu-check.sh into one summary.json, with the issue's goals.

    python3 summary.py PARTS_DIR UTIL_CSV OUT_JSON DRY(0|1)

Goals (issue 18, on one H200): deit-small EViT scoring end to end >= 2,000 img/s, and the forward
>= 0.8x PyTorch's on the same GPU. Each is true, false, or null when its inputs are missing.
End-to-end rate = (images - warm-up images) / (full run - warm-up run): a run of one batch first
measures start-up and kernel compilation, which the full run pays too.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime


def load(path: str):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def steps(parts: str) -> list[dict]:
    out = []
    try:
        with open(os.path.join(parts, "steps.jsonl")) as f:
            out = [json.loads(line) for line in f if line.strip()]
    except OSError:
        pass
    return out


def marks(parts: str) -> dict[str, tuple[float, float]]:
    spans: dict[str, list[float]] = {}
    try:
        with open(os.path.join(parts, "marks")) as f:
            for line in f:
                name, t = line.split()
                spans.setdefault(name, []).append(float(t))
    except OSError:
        pass
    return {k: (v[0], v[-1]) for k, v in spans.items() if len(v) >= 2}


def utilisation(csv: str, spans: dict[str, tuple[float, float]]) -> dict:
    samples = []
    try:
        with open(csv) as f:
            for line in f:
                fields = [x.strip() for x in line.split(",")]
                if len(fields) != 3 or line.startswith("#"):
                    continue
                try:
                    t = datetime.strptime(fields[0], "%Y/%m/%d %H:%M:%S.%f").timestamp()
                    samples.append((t, float(fields[1]), float(fields[2])))
                except ValueError:
                    continue
    except OSError:
        pass
    out = {}
    for name, (t0, t1) in spans.items():
        inside = [s for s in samples if t0 <= s[0] <= t1]
        if inside:
            out[name] = {"samples": len(inside), "meanUtilPercent": sum(s[1] for s in inside) / len(inside),
                         "maxMemoryMiB": max(s[2] for s in inside)}
    return {"samples": len(samples), "perStep": out}


def end_to_end(score) -> list[dict]:
    rows = []
    for r in (score or {}).get("rows", []):
        extra = r["images"] - r["warmupRunImages"]
        dt = r["fullRunSeconds"] - r["warmupRunSeconds"]
        rows.append({**r, "imagesPerSec": extra / dt if dt > 0 else None,
                     "imagesPerSecWithWarmup": r["images"] / r["fullRunSeconds"]})
    return rows


def ratios(forward, torch) -> list[dict]:
    if not forward or not torch:
        return []
    peer = {(r["model"], r["batch"]): r["imagesPerSec"] for r in torch["rows"]}
    return [{"model": r["model"], "batch": r["batch"], "ours": r["imagesPerSec"], "torch": peer.get((r["model"], r["batch"])),
             "ratio": r["imagesPerSec"] / peer[(r["model"], r["batch"])] if peer.get((r["model"], r["batch"])) else None}
            for r in forward["rows"]]


def main(parts: str, util_csv: str, out: str, dry: bool) -> None:
    done = steps(parts)
    forward, torch, score = load(f"{parts}/forward.json"), load(f"{parts}/torch.json"), load(f"{parts}/score.json")
    e2e, ratio = end_to_end(score), ratios(forward, torch)
    small = [r["imagesPerSec"] for r in e2e if r["model"].startswith("deit-small") and r["imagesPerSec"]]
    small_ratio = [r["ratio"] for r in ratio if r["model"].startswith("deit-small") and r["ratio"]]
    want = {"survey", "runtime", "doctor", "parity", "forward", "score", "torch"}
    summary = {
        "dryRun": dry,
        "allStepsRan": want <= {s["step"] for s in done if s["rc"] == 0},
        "steps": done,
        "survey": open(f"{parts}/survey.txt").read() if os.path.exists(f"{parts}/survey.txt") else None,
        "doctor": {"webgpu": load(f"{parts}/doctor-webgpu.json"), "auto": load(f"{parts}/doctor-auto.json")},
        "parity": load(f"{parts}/parity.json"),
        "forward": forward,
        "torch": torch,
        "endToEnd": e2e,
        "forwardVsTorch": ratio,
        "utilisation": utilisation(util_csv, marks(parts)),
        "goals": {
            "deitSmallEndToEndImagesPerSec": max(small) if small else None,
            "endToEnd2000": (max(small) >= 2000) if small and not dry else None,
            "deitSmallForwardVsTorch": max(small_ratio) if small_ratio else None,
            "forward0.8xTorch": (max(small_ratio) >= 0.8) if small_ratio and not dry else None,
        },
    }
    with open(out, "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary["goals"]))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1")
