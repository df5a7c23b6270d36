"""On-the-fly augmentations exact on a row's kept patches, bit for bit the TypeScript loader's
(src/loader/augment/tokens.ts, exact.ts, jitter.ts, erase.ts, mix.ts: read them for the rules;
every function here mirrors one there, draw for draw and float32 operation for operation).

- colour jitter (timm ``color_jitter``): brightness, contrast, saturation factors uniform in
  [max(0, 1 − x), 1 + x], in a random order; contrast blends with the mean grayscale of the row's
  kept pixels (a ticket has no whole image); saturation is the identity on 1-channel rows;
- token random erasing (timm ``reprob``, ``remode``, ``recount``): rectangles on the patch grid,
  every kept patch inside one erased whole;
- token mixup / cutmix (timm ``mixup_alpha``, ``cutmix_alpha``, ``mix_prob``, ``switch_prob``,
  ``label_smoothing``, per-sample mode): row i with row n − 1 − i of the batch; mixup blends token j
  with the partner's token j (kept order), cutmix takes the partner's pixels where it kept the same
  position inside timm's box, λ = 1 − replaced / k; soft targets as timm's ``mixup_target``.

Every value is a numpy float32 and every operation one float32 operation, in the TypeScript
order; the logarithm and exponential use only +, −, ×, ÷ (no libm). Draws come from sfc32 keyed
by (seed, epoch, purpose salt, sample id): 16 jitter, 17 erasing, 18 mixing."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .errors import InputError
from .rng import Rng, hash_ints, hash_string

F = np.float32
SALT_JITTER = 16
SALT_ERASE = 17
SALT_MIX = 18
ERASE_MODES = ("const", "rand", "pixel")

_LN2 = F(0.6931471824645996)
_INV_LN2 = F(1.4426950216293335)
_GRAY = (F(0.2989000082015991), F(0.5870000123977661), F(0.11400000005960464))
_MIN_AREA = F(0.02)
_MAX_AREA = F(1 / 3)
_LOG_ASPECT = F(1.2039728164672852)
_BYTE_SUM_SD = F(147.800537109375)
_TWO_24 = F(2.0 ** -24)
_TWO_23 = F(2.0 ** -23)


# ---- exact.ts -------------------------------------------------------------------------------

def uniform(rng: Rng) -> np.float32:
    return F(rng.next() >> 8) * _TWO_24


def uniform_open(rng: Rng) -> np.float32:
    return (F(rng.next() >> 9) + F(0.5)) * _TWO_23


def uniform_in(rng: Rng, lo: np.float32, hi: np.float32) -> np.float32:
    return lo + (hi - lo) * uniform(rng)


def log32(x: np.float32) -> np.float32:
    m, e = F(x), 0
    while m >= 2:
        m, e = m * F(0.5), e + 1
    while m < 1:
        m, e = m * F(2), e - 1
    s = (m - F(1)) / (m + F(1))
    s2 = s * s
    p = F(2 / 13)
    for c in (2 / 11, 2 / 9, 2 / 7, 2 / 5, 2 / 3, 2.0):
        p = F(c) + s2 * p
    return F(e) * _LN2 + s * p


def exp32(x: np.float32) -> np.float32:
    y = min(F(88), max(F(-87), F(x)))
    n = int(math.floor(y * _INV_LN2 + F(0.5)))
    r = y - F(n) * _LN2
    p = F(1)
    for i in range(10, 0, -1):
        p = F(1) + (r * p) / F(i)
    for _ in range(n):
        p = p * F(2)
    for _ in range(-n):
        p = p * F(0.5)
    return p


def normal(rng: Rng) -> np.float32:
    while True:
        u = F(2) * uniform(rng) - F(1)
        v = F(2) * uniform(rng) - F(1)
        s = u * u + v * v
        if s >= 1 or s == 0:
            continue
        return u * np.sqrt((F(-2) * log32(s)) / s)


def gamma(rng: Rng, a: np.float32) -> np.float32:
    if a < 1:
        g = gamma(rng, a + F(1))
        return g * exp32(log32(uniform_open(rng)) / a)
    d = a - F(1 / 3)
    c = F(1) / np.sqrt(F(9) * d)
    while True:
        while True:
            x = normal(rng)
            v = F(1) + c * x
            if v > 0:
                break
        v = (v * v) * v
        u = uniform_open(rng)
        x2 = x * x
        if u < F(1) - F(0.0331) * (x2 * x2):
            return d * v
        if log32(u) < F(0.5) * x2 + d * ((F(1) - v) + log32(v)):
            return d * v


def beta(rng: Rng, a: np.float32) -> np.float32:
    x = gamma(rng, a)
    y = gamma(rng, a)
    s = x + y
    return F(0.5) if s == 0 else x / s


def to_bytes(v: np.ndarray) -> np.ndarray:
    """float32 values → bytes: floor(clamp(v, 0, 255) + ½) in float32."""
    return np.floor(np.minimum(np.maximum(v, F(0)), F(255)) + F(0.5)).astype(np.uint8)


def round_half_up(v: np.float32) -> int:
    return int(math.floor(F(v) + F(0.5)))


# ---- jitter.ts ------------------------------------------------------------------------------

def jitter_ranges(strengths: Sequence[float]) -> List[Tuple[np.float32, np.float32]]:
    return [(max(F(0), F(1) - F(x)), F(1) + F(x)) for x in strengths]


def _gray(px: np.ndarray) -> np.ndarray:
    """px: [..., C] uint8 → integer grayscale (as float32 values), torchvision's weights, truncated."""
    if px.shape[-1] == 1:
        return px[..., 0].astype(np.float32)
    r, g, b = (px[..., i].astype(np.float32) for i in range(3))
    return np.floor((_GRAY[0] * r + _GRAY[1] * g) + _GRAY[2] * b)


def _blend(a: np.ndarray, r: np.float32, b: Any) -> np.ndarray:
    return to_bytes(r * a.astype(np.float32) + (F(1) - r) * b)


def mean_gray(px: np.ndarray) -> np.float32:
    g = _gray(px)
    return F(int(g.astype(np.int64).sum()) / g.size)


def jitter_row(px: np.ndarray, ranges: Sequence[Tuple[np.float32, np.float32]], rng: Rng) -> np.ndarray:
    """px: [k, p, p, C] uint8; a new array."""
    order = [0, 1, 2]
    for i in (2, 1):
        j = rng.below(i + 1)
        order[i], order[j] = order[j], order[i]
    factors = [uniform_in(rng, lo, hi) for lo, hi in ranges]
    c = px.shape[-1]
    out = px
    for op in order:
        lo, hi = ranges[op]
        if lo == 1 and hi == 1:
            continue
        r = factors[op]
        if op == 0:
            out = _blend(out, r, F(0))
        elif op == 1:
            out = _blend(out, r, mean_gray(out))
        elif c != 1:
            out = _blend(out, r, _gray(out)[..., None])
    return out


# ---- erase.ts -------------------------------------------------------------------------------

@dataclass(frozen=True)
class EraseGeometry:
    p: int
    c: int
    gh: int
    gw: int
    mean255: Tuple[np.float32, ...]
    std255: Tuple[np.float32, ...]

    @staticmethod
    def of(meta: Dict[str, Any]) -> "EraseGeometry":
        gh, gw = meta["grid"]
        return EraseGeometry(meta["patchSize"], meta["channels"], gh, gw, tuple(F(m) * F(255) for m in meta["mean"]),
                             tuple(F(s) * F(255) for s in meta["std"]))


def _random_bytes(rng: Rng, channels: np.ndarray, g: EraseGeometry) -> np.ndarray:
    """One erased byte per entry of ``channels`` (its channel index), one draw each, in order."""
    x = rng.fill(len(channels)).astype(np.int64) if len(channels) else np.zeros(0, np.int64)
    s = (x & 255) + ((x >> 8) & 255) + ((x >> 16) & 255) + (x >> 24)
    z = (s - 510).astype(np.float32) / _BYTE_SUM_SD
    mean = np.array(g.mean255, np.float32)[channels]
    std = np.array(g.std255, np.float32)[channels]
    return to_bytes(mean + std * z)


def _draw_rect(rng: Rng, g: EraseGeometry, count: int) -> Optional[Tuple[int, int, int, int]]:
    area = F(g.gh * g.gw)
    for _ in range(10):
        target = (uniform_in(rng, _MIN_AREA, _MAX_AREA) * area) / F(count)
        aspect = exp32(uniform_in(rng, -_LOG_ASPECT, _LOG_ASPECT))
        h = round_half_up(np.sqrt(target * aspect))
        w = round_half_up(np.sqrt(target / aspect))
        if w < g.gw and h < g.gh:
            return rng.below(g.gh - h + 1), rng.below(g.gw - w + 1), h, w
    return None


def erase_row(px: np.ndarray, positions: np.ndarray, g: EraseGeometry, prob: np.float32, mode: str, count: int, rng: Rng) -> np.ndarray:
    """px: [k, p, p, C] uint8 (a new array when erased)."""
    if not uniform(rng) < prob:
        return px
    n = 1 if count == 1 else 1 + rng.below(count)
    out = px.copy()
    pos = positions.astype(np.int64)
    rows, cols = pos // g.gw, pos % g.gw
    for _ in range(n):
        rect = _draw_rect(rng, g, n)
        if rect is None:
            continue
        top, left, h, w = rect
        inside = np.nonzero((rows >= top) & (rows < top + h) & (cols >= left) & (cols < left + w))[0]
        if mode == "pixel":
            chans = np.tile(np.arange(g.c), len(inside) * g.p * g.p)
            out[inside] = _random_bytes(rng, chans, g).reshape(len(inside), g.p, g.p, g.c)
        else:
            fill = to_bytes(np.array(g.mean255, np.float32)) if mode == "const" else _random_bytes(rng, np.arange(g.c), g)
            out[inside] = fill
    return out


# ---- mix.ts ---------------------------------------------------------------------------------

def draw_mix(rng: Rng, cfg: "TokenAugment", gh: int, gw: int) -> Tuple[bool, bool, np.float32, int, int]:
    """(mixed, cutmix, λ, centre row, centre column)."""
    if not uniform(rng) < cfg.mix_prob:
        return False, False, F(1), 0, 0
    both = cfg.mixup_alpha > 0 and cfg.cutmix_alpha > 0
    cut = bool(uniform(rng) < cfg.switch_prob) if both else cfg.cutmix_alpha > 0
    lam = beta(rng, cfg.cutmix_alpha if cut else cfg.mixup_alpha)
    if cut:
        cy = rng.below(gh)
        return True, True, lam, cy, rng.below(gw)
    return True, False, lam, 0, 0


def cut_box(lam: np.float32, cy: int, cx: int, gh: int, gw: int) -> Tuple[int, int, int, int]:
    ratio = np.sqrt(F(1) - lam)
    half_h = int(math.floor(F(gh) * ratio)) // 2
    half_w = int(math.floor(F(gw) * ratio)) // 2
    clip = lambda v, n: min(n, max(0, v))  # noqa: E731
    return clip(cy - half_h, gh), clip(cy + half_h, gh), clip(cx - half_w, gw), clip(cx + half_w, gw)


def soft_targets(own: int, partner: int, lam: np.float32, num_classes: int, smoothing: np.float32) -> np.ndarray:
    off = smoothing / F(num_classes)
    on = (F(1) - smoothing) + off
    y1 = np.full(num_classes, off, np.float32)
    y2 = np.full(num_classes, off, np.float32)
    for y, label in ((y1, own), (y2, partner)):
        if 0 <= label < num_classes:  # a row without a label (−1) keeps only the smoothing mass
            y[label] = on
    return y1 * lam + y2 * (F(1) - lam)


def mix_batch(patches: np.ndarray, positions: np.ndarray, labels: Sequence[int], ids: Sequence[str], seed: int, epoch: int,
              cfg: "TokenAugment", grid: Sequence[int], num_classes: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mixes a batch: ``patches`` [n, k, …] uint8 (any trailing shape of p·p·C bytes), ``positions``
    [n, k] ascending per row. Returns (mixed patches, soft targets float32 [n, C], λ float32 [n])."""
    n, k = positions.shape
    gh, gw = grid
    src = patches.reshape(n, k, -1)
    out = src.copy()
    targets = np.empty((n, num_classes), np.float32)
    lams = np.empty(n, np.float32)
    for i in range(n):
        j = n - 1 - i
        mixed, cut, lam, cy, cx = draw_mix(Rng(hash_ints(seed, epoch, SALT_MIX, hash_string(ids[i]))), cfg, gh, gw)
        if mixed and cut:
            y0, y1, x0, x1 = cut_box(lam, cy, cx, gh, gw)
            pos = positions[i].astype(np.int64)
            r, c = pos // gw, pos % gw
            inside = (r >= y0) & (r < y1) & (c >= x0) & (c < x1)
            partner = {int(p): q for q, p in enumerate(positions[j])}
            slots = [(a, partner[int(pos[a])]) for a in np.nonzero(inside)[0] if int(pos[a]) in partner]
            for a, q in slots:
                out[i, a] = src[j, q]
            lam = F(1) - F(len(slots) / k)
        elif mixed:
            out[i] = to_bytes(lam * src[i].astype(np.float32) + (F(1) - lam) * src[j].astype(np.float32))
        lams[i] = lam
        targets[i] = soft_targets(int(labels[i]), int(labels[j]), lam, num_classes, cfg.label_smoothing)
    return out.reshape(patches.shape), targets, lams


# ---- tokens.ts ------------------------------------------------------------------------------

def _need(ok: bool, field: str, value: Any, want: str) -> None:
    if not ok:
        raise InputError(f"augmentation {field} = {value!r} is invalid (want {want})")


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


@dataclass(frozen=True)
class TokenAugment:
    """The options (timm's names; everything off by default), checked on construction."""
    color_jitter: Union[float, Sequence[float]] = 0.0
    reprob: float = 0.0
    remode: str = "pixel"
    recount: int = 1
    mixup_alpha: float = 0.0
    cutmix_alpha: float = 0.0
    mix_prob: float = 1.0
    switch_prob: float = 0.5
    label_smoothing: float = 0.1

    def __post_init__(self) -> None:
        cj = self.color_jitter
        xs = [cj] * 3 if _finite(cj) else list(cj) if isinstance(cj, (list, tuple)) else [cj]
        _need(len(xs) == 3 and all(_finite(x) and x >= 0 for x in xs), "color_jitter", cj,
              "a number ≥ 0, or three (brightness, contrast, saturation; hue is not supported)")
        unit = lambda v: _finite(v) and 0 <= v <= 1  # noqa: E731
        _need(unit(self.reprob), "reprob", self.reprob, "a probability in [0, 1]")
        _need(self.remode in ERASE_MODES, "remode", self.remode, ", ".join(ERASE_MODES))
        _need(isinstance(self.recount, int) and not isinstance(self.recount, bool) and 1 <= self.recount <= 1000, "recount", self.recount, "an integer in [1, 1000]")
        for name in ("mixup_alpha", "cutmix_alpha"):
            v = getattr(self, name)
            _need(_finite(v) and 0 <= v <= 1000, name, v, "a number in [0, 1000] (0: off)")
        for name in ("mix_prob", "switch_prob"):
            _need(unit(getattr(self, name)), name, getattr(self, name), "a probability in [0, 1]")
        _need(_finite(self.label_smoothing) and 0 <= self.label_smoothing < 1, "label_smoothing", self.label_smoothing, "a number in [0, 1)")
        object.__setattr__(self, "_jitter", tuple(F(x) for x in xs))
        for name in ("reprob", "mixup_alpha", "cutmix_alpha", "mix_prob", "switch_prob", "label_smoothing"):
            object.__setattr__(self, name, F(getattr(self, name)))

    @property
    def jitter(self) -> Optional[Tuple[np.float32, np.float32, np.float32]]:
        j = getattr(self, "_jitter")
        return None if all(x == 0 for x in j) else j

    @property
    def mixing(self) -> bool:
        return (self.mixup_alpha > 0 or self.cutmix_alpha > 0) and self.mix_prob > 0

    def check(self, meta: Dict[str, Any]) -> None:
        if self.jitter is not None and meta["channels"] not in (1, 3):
            raise InputError(f"colour jitter needs 1 or 3 channels, the dataset has {meta['channels']}")
        if self.mixing and meta.get("numClasses") is None:
            raise InputError("mixup/cutmix need class labels, the dataset has none (numClasses null)")

    def row(self, patches: np.ndarray, positions: np.ndarray, sample_id: str, seed: int, epoch: int, meta: Dict[str, Any]) -> np.ndarray:
        """Jitter, then erasing, of one row (``patches`` [k, p, p, C] uint8); a new array or ``patches``."""
        p, c = meta["patchSize"], meta["channels"]
        out = patches.reshape(-1, p, p, c)
        if self.jitter is not None:
            out = jitter_row(out, jitter_ranges(self.jitter), Rng(hash_ints(seed, epoch, SALT_JITTER, hash_string(sample_id))))
        if self.reprob > 0:
            out = erase_row(out, positions, EraseGeometry.of(meta), self.reprob, self.remode, self.recount,
                            Rng(hash_ints(seed, epoch, SALT_ERASE, hash_string(sample_id))))
        return out.reshape(patches.shape)

    def mix(self, batch: Dict[str, Any], seed: int, epoch: int, meta: Dict[str, Any]) -> Dict[str, Any]:
        """Mixes a collated batch of the ``sparse`` view (``patches`` [n, k, P], ``positions``,
        ``label``, ``id``): returns it with mixed ``patches``, ``target`` float32 [n, C] and ``lam``."""
        pos = np.asarray(batch["positions"])
        ids = list(batch["id"])
        patches, targets, lams = mix_batch(np.asarray(batch["patches"]), pos, np.asarray(batch["label"]).tolist(), ids, seed, epoch, self, meta["grid"], meta["numClasses"])
        return {**batch, "patches": patches, "target": targets, "lam": lams}
