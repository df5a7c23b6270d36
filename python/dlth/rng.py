"""Seeded randomness, bit-identical to the TypeScript loader's (src/loader/rng.ts): a murmur3
finaliser to mix integers into 32-bit keys, sfc32 as the generator, and Fisher–Yates shuffles.
All arithmetic is on unsigned 32-bit integers."""
from __future__ import annotations

from typing import List

M32 = 0xFFFFFFFF

#: Purposes (salts), so that two decisions with the same (seed, epoch) are independent.
SALT_SHARD_ORDER = 1
SALT_ROWS = 2
SALT_BLOCK = 3
SALT_FLIP = 4
SALT_SUBSET = 5


def mix32(h: int) -> int:
    """Finaliser of murmur3: a bijective 32-bit mix."""
    h &= M32
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & M32
    h ^= h >> 16
    return h


def hash_ints(*values: int) -> int:
    """Combines non-negative integers (each below 2^53) into one 32-bit key."""
    h = 0x9E3779B9
    for v in values:
        lo = v & M32
        hi = (v >> 32) & M32
        h = mix32(h ^ mix32(lo + 0x6A09E667))
        h = mix32(h ^ mix32(hi + 0xBB67AE85))
    return h


def hash_string(s: str) -> int:
    """FNV-1a over the UTF-16 code units of ``s``, then mixed."""
    h = 0x811C9DC5
    data = s.encode("utf-16-le", "surrogatepass")
    for i in range(0, len(data), 2):
        h ^= data[i] | (data[i + 1] << 8)
        h = (h * 0x01000193) & M32
    return mix32(h)


class Rng:
    """sfc32: a 32-bit PRNG with a 128-bit state, seeded from one 32-bit key."""

    __slots__ = ("a", "b", "c", "d")

    def __init__(self, key: int):
        self.a = mix32(key ^ 0x243F6A88)
        self.b = mix32(key ^ 0x85A308D3)
        self.c = mix32(key ^ 0x13198A2E)
        self.d = 1
        for _ in range(12):
            self.next()

    def next(self) -> int:
        """A uniform 32-bit unsigned integer."""
        a, b, c, d = self.a, self.b, self.c, self.d
        t = (a + b + d) & M32
        self.d = (d + 1) & M32
        self.a = b ^ (b >> 9)
        self.b = (c + (c << 3)) & M32
        self.c = ((((c << 21) | (c >> 11)) & M32) + t) & M32
        return t

    def below(self, n: int) -> int:
        """A uniform integer in [0, n), n ≤ 2^32, without modulo bias."""
        limit = 0x100000000 - (0x100000000 % n)
        while True:
            x = self.next()
            if x < limit:
                return x % n


def shuffle_range(a: List[int], start: int, end: int, rng: Rng) -> None:
    """Fisher–Yates shuffle of ``a[start:end]`` in place (the generator inlined: this is the hot loop)."""
    ra, rb, rc, rd = rng.a, rng.b, rng.c, rng.d
    for i in range(end - 1, start, -1):
        n = i - start + 1
        limit = 0x100000000 - (0x100000000 % n)
        while True:
            t = (ra + rb + rd) & M32
            rd = (rd + 1) & M32
            ra = rb ^ (rb >> 9)
            rb, rc = (rc + (rc << 3)) & M32, ((((rc << 21) | (rc >> 11)) & M32) + t) & M32
            if t < limit:
                break
        j = start + t % n
        a[i], a[j] = a[j], a[i]
    rng.a, rng.b, rng.c, rng.d = ra, rb, rc, rd


def permutation(n: int, rng: Rng) -> List[int]:
    """The permutation 0 … n−1, shuffled."""
    a = list(range(n))
    shuffle_range(a, 0, n, rng)
    return a
