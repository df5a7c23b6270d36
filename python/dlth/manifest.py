"""manifest.json from untrusted bytes: size bound, UTF-8 JSON, keys, version, safe shard names,
consistent counts and geometry, and the fingerprint (schemas/README.md, sections 4, 5 and 10)."""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from .errors import ManifestError

MANIFEST_FILE = "manifest.json"
FORMAT_NAME = "dlth"
FORMAT_VERSION = 1
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_SHARDS = 100_000
MAX_ROWS = 2**31 - 1
MAX_SHARD_BYTES = 2**40
SHARD_FILE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,200}\.arrow$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
FINGERPRINT = re.compile(r"^sha256:[0-9a-f]{64}$")
TOP_KEYS = {"format", "version", "kind", "fingerprint", "rows", "meta", "shards"}
OPTIONAL_KEYS = {"rowsPerShard"}
PREPROCESSING_FROM = ("hf-processor", "timm-pretrained-cfg", "model-config", "default")
RESIZE_MODES = ("deit", "shorter", "none", "fixed")
PREPROCESSING_KEYS = {"from", "resize", "resizeTo", "shortestEdge", "cropPct", "cropRounding", "pilParity", "interpolation"}


@dataclass(frozen=True)
class ShardEntry:
    file: str
    rows: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    kind: str
    fingerprint: str
    rows: int
    meta: Dict[str, Any]
    shards: Tuple[ShardEntry, ...]

    @property
    def k(self) -> int:
        return self.meta["k"]

    @property
    def grid(self) -> Tuple[int, int]:
        return tuple(self.meta["grid"])  # type: ignore[return-value]


def _number(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, float):
        return json.dumps(v)
    if v.is_integer() and abs(v) < 1e21:
        return str(int(v))
    text = repr(v)
    if "e" in text:  # JavaScript writes 1e-7 and 1e+21, Python 1e-07 and 1e+21
        mant, exp = text.split("e")
        sign = "-" if exp.startswith("-") else "+"
        text = f"{mant}e{sign}{int(exp.lstrip('+-'))}"
    return text


def canonical_json(v: Any) -> str:
    """Keys sorted recursively by UTF-16 code units, no whitespace, numbers as JavaScript writes them."""
    if isinstance(v, dict):
        items = sorted(v.items(), key=lambda kv: kv[0].encode("utf-16-be", "surrogatepass"))
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + canonical_json(x) for k, x in items) + "}"
    if isinstance(v, list):
        return "[" + ",".join(canonical_json(x) for x in v) + "]"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    return _number(v)


def fingerprint(meta: Dict[str, Any], shards: List[ShardEntry]) -> str:
    body = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "kind": meta["kind"], "meta": meta,
            "shards": [{"file": s.file, "rows": s.rows, "bytes": s.bytes, "sha256": s.sha256} for s in shards]}
    return "sha256:" + hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


class _Checker:
    def __init__(self, file: str):
        self.file = file

    def fail(self, message: str) -> None:
        raise ManifestError(message, self.file)

    def int_(self, v: Any, path: str, lo: int, hi: int) -> int:
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            self.fail(f"{path}: expected an integer in [{lo}, {hi}], got {v!r}")
        return v

    def str_(self, v: Any, path: str, pattern: Optional[re.Pattern] = None) -> str:
        if not isinstance(v, str) or (pattern is not None and not pattern.match(v)):
            self.fail(f"{path}: expected a string{' matching ' + pattern.pattern if pattern else ''}, got {str(v)[:80]!r}")
        return v

    def obj(self, v: Any, path: str) -> Dict[str, Any]:
        if not isinstance(v, dict):
            self.fail(f"{path}: expected an object")
        return v

    def numbers(self, v: Any, path: str, count: int) -> None:
        ok = isinstance(v, list) and len(v) == count and all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in v)
        if not ok:
            self.fail(f"{path}: expected {count} finite numbers (one per channel), got {str(v)[:80]}")


def _check_meta(c: _Checker, meta: Any, kind: str) -> Dict[str, Any]:
    m = c.obj(meta, "$.meta")
    if m.get("format") != FORMAT_NAME or m.get("version") != FORMAT_VERSION:
        c.fail(f"$.meta: format/version {m.get('format')!r}/{m.get('version')!r}, this reader knows {FORMAT_NAME}/{FORMAT_VERSION}")
    if m.get("kind") != kind:
        c.fail(f"$.meta.kind: {m.get('kind')!r} differs from $.kind {kind!r}")
    for key in ("imageSize", "grid"):
        v = m.get(key)
        if not isinstance(v, list) or len(v) != 2:
            c.fail(f"$.meta.{key}: expected [height, width]")
        for i in range(2):
            c.int_(v[i], f"$.meta.{key}[{i}]", 1, 1 << 20)
    p = c.int_(m.get("patchSize"), "$.meta.patchSize", 1, 4096)
    ch = c.int_(m.get("channels"), "$.meta.channels", 1, 4)
    (h, w), (gh, gw) = m["imageSize"], m["grid"]
    if gh * p != h or gw * p != w:
        c.fail(f"$.meta.grid: {[gh, gw]} × patch {p} does not equal imageSize {[h, w]}")
    if gh * gw > 65536:
        c.fail(f"$.meta.grid: {gh}×{gw} patches exceed 65536")
    c.int_(m.get("k"), "$.meta.k", 1, gh * gw)
    c.numbers(m.get("mean"), "$.meta.mean", ch)
    c.numbers(m.get("std"), "$.meta.std", ch)
    if any(s == 0 for s in m["std"]):
        c.fail("$.meta.std: a standard deviation of 0")
    if m.get("policy") is not None and not isinstance(m.get("policy"), str):
        c.fail(f"$.meta.policy: expected a string or null, got {m.get('policy')!r}")
    if m.get("numClasses") is not None:
        c.int_(m["numClasses"], "$.meta.numClasses", 1, 1_000_000)
    if "preprocessing" in m:
        _check_preprocessing(c, m["preprocessing"])
    return m


def _check_preprocessing(c: _Checker, v: Any) -> None:
    """``$.meta.preprocessing`` (optional; absent in older datasets): how the images were decoded,
    resized, cropped and resampled, as schemas/manifest.schema.json defines it."""
    path = "$.meta.preprocessing"
    p = c.obj(v, path)
    missing, unknown = {"from", "resize", "cropPct", "interpolation"} - p.keys(), p.keys() - PREPROCESSING_KEYS
    if missing or unknown:
        c.fail(f"{path}: {'missing ' + ', '.join(sorted(missing)) if missing else 'unknown key(s) ' + ', '.join(sorted(unknown))}")
    for key, allowed in (("from", PREPROCESSING_FROM), ("resize", RESIZE_MODES), ("cropRounding", ("round", "floor"))):
        if key in p and p[key] not in allowed:
            c.fail(f"{path}.{key}: expected one of {', '.join(allowed)}, got {str(p[key])[:80]!r}")
    if "resizeTo" in p:
        if not isinstance(p["resizeTo"], list) or len(p["resizeTo"]) != 2:
            c.fail(f"{path}.resizeTo: expected [height, width]")
        for i in range(2):
            c.int_(p["resizeTo"][i], f"{path}.resizeTo[{i}]", 1, 1 << 20)
    if "shortestEdge" in p:
        c.int_(p["shortestEdge"], f"{path}.shortestEdge", 1, 1 << 20)
    crop = p["cropPct"]
    if isinstance(crop, bool) or not isinstance(crop, (int, float)) or not 0 < crop <= 1:
        c.fail(f"{path}.cropPct: expected a number in (0, 1], got {str(crop)[:80]!r}")
    if "pilParity" in p and not isinstance(p["pilParity"], bool):
        c.fail(f"{path}.pilParity: expected true or false, got {str(p['pilParity'])[:80]!r}")
    if not isinstance(p["interpolation"], str) or len(p["interpolation"]) > 4096:
        c.fail(f"{path}.interpolation: expected a string, got {str(p['interpolation'])[:80]!r}")


def parse_manifest(data: bytes, file: str) -> Manifest:
    """Parses and validates manifest bytes; a ManifestError names ``file`` and the JSON path."""
    c = _Checker(file)
    if len(data) > MAX_MANIFEST_BYTES:
        c.fail(f"{len(data)} bytes is larger than the {MAX_MANIFEST_BYTES}-byte limit")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise ManifestError(f"not valid UTF-8 JSON ({str(err)[:120]})", file) from None
    m = c.obj(doc, "$")
    missing, unknown = TOP_KEYS - m.keys(), m.keys() - TOP_KEYS - OPTIONAL_KEYS
    if missing:
        c.fail(f"$: missing {', '.join(sorted(missing))}")
    if unknown:
        c.fail(f"$: unknown key(s) {', '.join(sorted(unknown))} (format version 1 has no others)")
    if m["format"] != FORMAT_NAME:
        c.fail(f"$.format: expected {FORMAT_NAME!r}, got {m['format']!r}")
    if m["version"] != FORMAT_VERSION:
        c.fail(f"$.version: unknown format version {m['version']!r} (this reader knows {FORMAT_VERSION})")
    if m["kind"] not in ("tickets", "scores"):
        c.fail(f"$.kind: unknown kind {m['kind']!r}")
    c.str_(m["fingerprint"], "$.fingerprint", FINGERPRINT)
    rows = c.int_(m["rows"], "$.rows", 0, 2**53 - 1)
    meta = _check_meta(c, m["meta"], m["kind"])
    if not isinstance(m["shards"], list) or len(m["shards"]) > MAX_SHARDS:
        c.fail(f"$.shards: expected an array of at most {MAX_SHARDS} shards")
    shards = []
    for i, s in enumerate(m["shards"]):
        s = c.obj(s, f"$.shards[{i}]")
        if set(s) != {"file", "rows", "bytes", "sha256"}:
            c.fail(f"$.shards[{i}]: expected exactly file, rows, bytes, sha256")
        shards.append(ShardEntry(c.str_(s["file"], f"$.shards[{i}].file", SHARD_FILE), c.int_(s["rows"], f"$.shards[{i}].rows", 0, MAX_ROWS),
                                 c.int_(s["bytes"], f"$.shards[{i}].bytes", 8, MAX_SHARD_BYTES), c.str_(s["sha256"], f"$.shards[{i}].sha256", SHA256)))
    if len({s.file for s in shards}) != len(shards):
        c.fail("$.shards: duplicate file names")
    total = sum(s.rows for s in shards)
    if total != rows:
        c.fail(f"$.rows: {rows} differs from the sum of shard rows {total}")
    expected = fingerprint(meta, shards)
    if m["fingerprint"] != expected:
        c.fail(f"$.fingerprint: {m['fingerprint']!r} does not match the content ({expected})")
    return Manifest(kind=m["kind"], fingerprint=m["fingerprint"], rows=rows, meta=meta, shards=tuple(shards))
