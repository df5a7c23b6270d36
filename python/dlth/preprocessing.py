"""Whether two datasets' pixels were made the same way, the rule every reader applies before it
reads datasets together (mirrors src/shards/preprocessing.ts): the same image size, channels,
mean and std, and, when both record ``meta.preprocessing``, the same resize, resize target,
shortest edge, crop fraction (for ``deit`` only), crop rounding, PIL parity and interpolation
(``from`` only says where the settings were read). A dataset written before the record existed is
compared on image size, channels and mean/std only."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from .manifest import canonical_json


def pixel_fields(p: Dict[str, Any]) -> Dict[str, Any]:
    """The preprocessing fields that decide the pixels, defaults filled in."""
    return {
        "resize": p["resize"],
        "resizeTo": p.get("resizeTo"),
        "shortestEdge": p.get("shortestEdge"),
        "cropPct": p["cropPct"] if p["resize"] == "deit" else None,  # the others crop to the image size
        "cropRounding": p.get("cropRounding", "round"),
        "pilParity": p.get("pilParity", False),
        "interpolation": p["interpolation"],
    }


def preprocessing_difference(a: Dict[str, Any], b: Dict[str, Any]) -> Optional[str]:
    """The first difference between two datasets' metadata, as ``"field a vs b"``, or None."""
    pairs: List[Tuple[str, Any, Any]] = [(k, a[k], b[k]) for k in ("imageSize", "channels", "mean", "std")]
    if a.get("preprocessing") and b.get("preprocessing"):
        fa, fb = pixel_fields(a["preprocessing"]), pixel_fields(b["preprocessing"])
        pairs += [(k, fa[k], fb[k]) for k in fa]
    for field, x, y in pairs:
        sx, sy = canonical_json(x), canonical_json(y)
        if sx != sy:
            return f"{field} {sx} vs {sy}"
    return None
