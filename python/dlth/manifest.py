"""manifest.json from untrusted bytes (schemas/README.md, sections 5 and 10), checked as the
TypeScript reader checks it (src/shards/manifest.ts, src/shards/meta.ts): a size bound, UTF-8 JSON
read as JavaScript's ``JSON.parse`` reads it, a nesting bound, the format and version, then the
shape by ``schemas/manifest.schema.json`` (this package's copy, ``dlth/manifest.schema.json``, which
a test keeps equal to it), then what a JSON Schema cannot express: the grid tiles the image, k within
the grid, one mean/std per channel, the kind's rules for policy, rates, evitTicket and contentHash,
unique shard names, the row sum and the fingerprint. Both readers run the corpus in
test/fixtures/manifests/ to the same outcome."""
from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any, Callable, Dict, Iterable, Iterator, List, NoReturn, Tuple, Union

from jsonschema import ValidationError, validators

from .errors import ManifestError

MANIFEST_FILE = "manifest.json"
SCHEMA_FILE = "manifest.schema.json"
FORMAT_NAME = "dlth"
FORMAT_VERSION = 1
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_MANIFEST_DEPTH = 32  # a valid manifest is 4 deep; deeper JSON is refused before it is looked at
MAX_GRID = 65536  # positions are uint16
MAX_PATCH_BYTES = 1 << 20
SCHEMA: Dict[str, Any] = json.loads(resources.files(__package__).joinpath(SCHEMA_FILE).read_text("utf-8"))


def ecma_pattern(pattern: str) -> str:
    """A schema ``pattern`` (ECMA-262, as ajv reads it) for Python's ``re``: an unescaped ``$`` ends
    the string (Python's ``$`` also matches before a final newline). The schema's patterns use no
    ``$`` inside a character class."""
    return re.sub(r"(?<!\\)\$", r"\\Z", pattern)


SHARD_FILE = re.compile(ecma_pattern(SCHEMA["$defs"]["shard"]["properties"]["file"]["pattern"]))


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
    if not math.isfinite(v):
        return "null"  # as JSON.stringify writes Infinity
    if v.is_integer() and abs(v) < 1e21:
        return str(int(v))
    text = repr(v)
    if "e" in text:  # JavaScript writes 1e-7 and 1e+21, Python 1e-07 and 1e+21
        mant, exp = text.split("e")
        sign = "-" if exp.startswith("-") else "+"
        text = f"{mant}e{sign}{int(exp.lstrip('+-'))}"
    return text


_SURROGATE = re.compile("[\ud800-\udfff]")


def _string(s: str) -> str:
    # json.loads pairs surrogates, so any left is lone: JSON.stringify writes it as \udxxx (UTF-8 has no encoding for it)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(s, ensure_ascii=False))


def canonical_json(v: Any) -> str:
    """Keys sorted recursively by UTF-16 code units, no whitespace, numbers and strings as JavaScript writes them."""
    if isinstance(v, dict):
        items = sorted(v.items(), key=lambda kv: kv[0].encode("utf-16-be", "surrogatepass"))
        return "{" + ",".join(_string(k) + ":" + canonical_json(x) for k, x in items) + "}"
    if isinstance(v, list):
        return "[" + ",".join(canonical_json(x) for x in v) + "]"
    if isinstance(v, str):
        return _string(v)
    return _number(v)


def fingerprint(meta: Dict[str, Any], shards: List[ShardEntry]) -> str:
    body = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "kind": meta["kind"], "meta": meta,
            "shards": [{"file": s.file, "rows": s.rows, "bytes": s.bytes, "sha256": s.sha256} for s in shards]}
    return "sha256:" + hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


# -- JSON as JavaScript reads it -------------------------------------------------------------------

def _js_number(text: str) -> Union[int, float]:
    """A JSON number as JSON.parse reads it: one double (1e400 is infinite, 2**60 + 1 rounds);
    integral values below 2**53 as int, since JavaScript cannot tell 6.0 from 6."""
    v = float(text)
    return int(v) if v.is_integer() and abs(v) < 2**53 else v


def _not_json(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _depth(doc: Any) -> int:
    """Nesting depth: 1 for a flat object or array (as src/shards/json-depth.ts counts brackets)."""
    deepest, stack = 0, [(doc, 1)]
    while stack:
        v, d = stack.pop()
        children = v.values() if isinstance(v, dict) else v if isinstance(v, list) else None
        if children is not None:
            deepest = max(deepest, d)
            stack.extend((c, d + 1) for c in children)
    return deepest


def _load(data: bytes, fail: Callable[[str], NoReturn]) -> Any:
    try:  # utf-8-sig: TextDecoder drops one leading byte order mark too
        doc = json.loads(data.decode("utf-8-sig"), parse_int=_js_number, parse_float=_js_number, parse_constant=_not_json)
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        fail(f"not valid UTF-8 JSON ({str(err)[:120]})")
    if _depth(doc) > MAX_MANIFEST_DEPTH:
        fail(f"JSON nested deeper than {MAX_MANIFEST_DEPTH} levels; a manifest is 4 levels deep")
    return doc


# -- the shape, by the schema ----------------------------------------------------------------------

def _pattern(validator: Any, pattern: str, instance: Any, schema: Dict[str, Any]) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not re.search(ecma_pattern(pattern), instance):
        yield ValidationError(f"{_show(instance)} does not match {pattern}")


@functools.lru_cache(maxsize=None)
def _validator() -> Any:
    cls = validators.extend(validators.validator_for(SCHEMA), {"pattern": _pattern})
    cls.check_schema(SCHEMA)
    return cls(SCHEMA)


def _path(parts: Iterable[Any]) -> str:
    """A JSON path, as src/util/schemas.ts writes it: ``$.meta.mean[0]``."""
    out = "$"
    for part in map(str, parts):
        if re.fullmatch(r"\d+", part):
            out += f"[{part}]"
        else:
            out += f".{part}" if re.fullmatch(r"[A-Za-z_$][\w$]*", part, re.ASCII) else f"[{json.dumps(part)}]"
    return out


def _show(v: Any) -> str:
    return f"an array of {len(v)}" if isinstance(v, list) else "an object" if isinstance(v, dict) else canonical_json(v)[:80]


def _errors(errors: Iterable[ValidationError]) -> Iterator[ValidationError]:
    for e in errors:
        yield e
        yield from _errors(e.context)


def _best(errors: List[ValidationError]) -> ValidationError:
    """The error src/util/schemas.ts (bestError) picks: not a combinator, deepest, unknown keys first."""
    concrete = [e for e in errors if e.validator not in ("if", "oneOf", "anyOf", "allOf", "not")] or errors
    return sorted(concrete, key=lambda e: (-len(e.absolute_path), e.validator != "additionalProperties"))[0]


_TYPES = {"object": "an object", "array": "an array", "string": "a string", "integer": "an integer", "number": "a number",
          "boolean": "true or false", "null": "null"}


def _bounds(s: Dict[str, Any]) -> str:
    lo = f"({s['exclusiveMinimum']}" if "exclusiveMinimum" in s else f"[{s['minimum']}" if "minimum" in s else None
    hi = f"{s['exclusiveMaximum']})" if "exclusiveMaximum" in s else f"{s['maximum']}]" if "maximum" in s else None
    if lo and hi:
        return f"in {lo}, {hi}"
    return f"{'>' if lo[0] == '(' else '>='} {lo[1:]}" if lo else f"{'<' if hi[-1] == ')' else '<='} {hi[:-1]}"


def _describe(e: ValidationError) -> str:
    path, kw, s, v = _path(e.absolute_path), e.validator, e.schema, e.instance
    if kw == "additionalProperties":
        extra = [k for k in v if k not in s.get("properties", {})]
        return f"{path}: unknown key(s) {', '.join(extra)} ({_path([*e.absolute_path, extra[0]])}: not in schemas/{SCHEMA_FILE})"
    if kw == "required":
        return f"{path}: missing {', '.join(k for k in e.validator_value if k not in v)}"
    if kw == "const":
        return f"{path}: expected {json.dumps(e.validator_value)}, got {_show(v)}"
    if kw == "enum":
        return f"{path}: expected one of {', '.join(a if isinstance(a, str) else json.dumps(a) for a in e.validator_value)}, got {_show(v)}"
    if kw == "maxLength":
        return f"{path}: longer than {e.validator_value} characters"
    if kw == "type":
        return f"{path}: expected {_TYPES.get(e.validator_value, e.validator_value)}, got {_show(v)}"
    if kw in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"{path}: expected {_TYPES['integer' if s.get('type') == 'integer' else 'number']} {_bounds(s)}, got {_show(v)}"
    if kw in ("minItems", "maxItems", "prefixItems") and "prefixItems" in s:
        return f"{path}: expected [height, width], got {_show(v)}"
    return f"{path}: {e.message[:200]}"


# -- what the schema cannot express (src/shards/meta.ts) ---------------------------------------------

def _check_rates(m: Dict[str, Any], fail: Callable[[str], NoReturn]) -> None:
    rates, selector = m["rates"], m["selector"] or {}
    if m["kind"] != "scores" or selector.get("mode") != "evit":
        fail("$.meta.rates: only score datasets of mode evit store several chains")
    if len(set(rates)) != len(rates):
        fail(f"$.meta.rates: {canonical_json(rates)} repeats a rate")
    recorded = selector["params"].get("rate")
    same = isinstance(recorded, list) and len(recorded) == len(rates) and all(
        not isinstance(r, bool) and r == x for r, x in zip(recorded, rates))
    if not same:
        fail(f"$.meta.rates: {canonical_json(rates)} differs from selector.params.rate {canonical_json(recorded)}")


def _check_meta(m: Dict[str, Any], fail: Callable[[str], NoReturn]) -> None:
    (h, w), p, (gh, gw), channels = m["imageSize"], m["patchSize"], m["grid"], m["channels"]
    if gh * p != h or gw * p != w:
        fail(f"$.meta.grid: {gh}×{gw} patches of {p} px do not tile the image {h}×{w}")
    n = gh * gw
    if n > MAX_GRID:
        fail(f"$.meta.grid: {n} patches exceed the uint16 position range ({MAX_GRID})")
    if p * p * channels > MAX_PATCH_BYTES:
        fail(f"$.meta.patchSize: patches of {p * p * channels} bytes are too large")
    for key in ("mean", "std"):
        if len(m[key]) != channels:
            fail(f"$.meta.{key}: {len(m[key])} values for {channels} channel(s)")
        for i, x in enumerate(m[key]):
            if not math.isfinite(x):
                fail(f"$.meta.{key}[{i}]: expected a finite number")
    if m["k"] > n:
        fail(f"$.meta.k: {m['k']} is more than the grid's {n} patches")
    if m["kind"] == "scores" and m["k"] != n:
        fail(f"$.meta.k: a scores dataset has k = N = {n}, got {m['k']}")
    if m["kind"] == "tickets" and m["policy"] is None:
        fail("$.meta.policy: a tickets dataset needs a policy")
    if "contentHash" in m and m["kind"] != "scores":
        fail("$.meta.contentHash: only score datasets record content hashes")
    if "rates" in m:
        _check_rates(m, fail)
    if "evitTicket" in m and (m["kind"] != "tickets" or (m["selector"] or {}).get("mode") != "evit"):
        fail("$.meta.evitTicket: only ticket datasets made from EViT scores have one")
    for key in ("scale", "ratio"):
        lo, hi = m.get("views", {}).get(key, (0, 0))
        if lo > hi:
            fail(f"$.meta.views.{key}: min {_number(lo)} > max {_number(hi)}")
    if "patchEncoding" in m:
        _check_patch_encoding(m, fail)


def _check_patch_encoding(m: Dict[str, Any], fail) -> None:
    """meta.patchEncoding (src/shards/meta.ts checkPatchEncoding): ticket datasets only; cells hold a patch, the mosaic fits a JPEG."""
    enc = m["patchEncoding"]
    if m["kind"] != "tickets":
        fail("$.meta.patchEncoding: only ticket datasets store patches")
    if m["channels"] not in (1, 3):
        fail(f"$.meta.patchEncoding: JPEG holds 1 or 3 channels, the dataset has {m['channels']}")
    if enc["cell"] < m["patchSize"]:
        fail(f"$.meta.patchEncoding.cell: {enc['cell']} is smaller than the patch size {m['patchSize']}")
    if enc["columns"] > m["k"]:
        fail(f"$.meta.patchEncoding.columns: {enc['columns']} is more than k = {m['k']}")
    side = max(enc["columns"], -(-m["k"] // enc["columns"])) * enc["cell"]
    if side > 65535:
        fail(f"$.meta.patchEncoding: a mosaic side of {side} pixels exceeds JPEG's 65535")


def parse_manifest(data: bytes, file: str) -> Manifest:
    """Parses and validates manifest bytes; a ManifestError names ``file`` and the JSON path."""
    def fail(message: str) -> NoReturn:
        raise ManifestError(message, file)

    if len(data) > MAX_MANIFEST_BYTES:
        fail(f"{len(data)} bytes is larger than the {MAX_MANIFEST_BYTES}-byte limit")
    doc = _load(data, fail)
    if isinstance(doc, dict):
        if doc.get("format") != FORMAT_NAME:
            fail(f"$.format: expected {json.dumps(FORMAT_NAME)}, got {_show(doc.get('format'))}")
        if doc.get("version") != FORMAT_VERSION or isinstance(doc.get("version"), bool):
            fail(f"$.version: unknown format version {_show(doc.get('version'))} (this reader knows {FORMAT_VERSION})")
    errors = list(_errors(_validator().iter_errors(doc)))
    if errors:
        fail(_describe(_best(errors)))
    meta = doc["meta"]
    _check_meta(meta, fail)
    if meta["kind"] != doc["kind"]:
        fail(f"$.meta.kind: {meta['kind']!r} differs from $.kind {doc['kind']!r}")
    shards = [ShardEntry(s["file"], s["rows"], s["bytes"], s["sha256"]) for s in doc["shards"]]
    if len({s.file for s in shards}) != len(shards):
        fail("$.shards: duplicate file names")
    total = sum(s.rows for s in shards)
    if total != doc["rows"]:
        fail(f"$.rows: {doc['rows']} differs from the sum of shard rows {total}")
    views = meta.get("views", {}).get("count", 1)
    for i, s in enumerate(shards):
        if s.rows % views:
            fail(f"$.shards[{i}].rows: {s.rows} is not a multiple of meta.views.count {views} (a shard holds all K views of each of its images)")
    expected = fingerprint(meta, shards)
    if doc["fingerprint"] != expected:
        fail(f"$.fingerprint: {doc['fingerprint']!r} does not match the content ({expected})")
    return Manifest(kind=doc["kind"], fingerprint=doc["fingerprint"], rows=doc["rows"], meta=meta, shards=tuple(shards))
