"""Fingerprints of a document's text: an exact-duplicate hash and a MinHash for near duplicates.

The caller converts to simplified Chinese first; folding here removes what reposts change without
changing the document: punctuation, spacing, letter case and full-width forms.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from functools import cache

try:  # numpy comes with the bench group today; without it the pure-Python path gives equal values
    import numpy as np
except ImportError:  # pragma: no cover - exercised by test_minhash_python_path_matches_numpy
    np = None  # type: ignore[assignment]

__all__ = ["content_hash", "estimate_jaccard", "fold_for_hash", "minhash", "shingles"]

_MASK64 = (1 << 64) - 1
_PRIME = 0x100000001B3  # FNV-1a's 64-bit prime: the base of the rolling shingle hash
_BLOCK = 32  # permutations hashed per numpy pass
_SEED = b"policywatch-minhash-v1"  # change it and every stored signature is stale
# \W drops punctuation (CJK and ascii), symbols and whitespace; _ is a word character, drop it too.
_NOT_WORD = re.compile(r"[\W_]+")


def fold_for_hash(text: str) -> str:
    """The text as compared for exact duplicates: NFKC, lowercase, no punctuation or whitespace."""
    # Stripping first makes NFKC twice as fast (full-width punctuation defeats its quick check);
    # stripping again drops what NFKC itself turns into punctuation, such as ㈠ -> (一).
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", _NOT_WORD.sub("", text)).lower())


def content_hash(text: str) -> str:
    """Hex SHA-256 of the folded text."""
    return hashlib.sha256(fold_for_hash(text).encode("utf-8")).hexdigest()


def shingles(text: str, k: int = 5) -> frozenset[str]:
    """The character k-shingles of the folded text (the whole text when shorter than k)."""
    folded = fold_for_hash(text)
    if len(folded) <= k:
        return frozenset([folded]) if folded else frozenset()
    return frozenset(folded[i : i + k] for i in range(len(folded) - k + 1))


def minhash(text: str, *, num_perm: int = 128, k: int = 5) -> tuple[int, ...]:
    """A MinHash signature (32-bit values) over the k-shingles of the folded text; () when empty."""
    folded = fold_for_hash(text)
    if not folded:
        return ()
    k = min(k, len(folded))
    if np is None:
        return _minhash_python([ord(char) for char in folded], num_perm, k)
    return _minhash_numpy(folded, num_perm, k)


def estimate_jaccard(a: Sequence[int], b: Sequence[int]) -> float:
    """The share of equal positions of two signatures: an estimate of their shingle Jaccard."""
    if not a or not b:
        return 0.0
    if len(a) != len(b):
        raise ValueError(f"signatures differ in length: {len(a)} and {len(b)}")
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


@cache
def _coefficients(num_perm: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Per permutation an odd multiplier and an offset, derived from a fixed seed (never `hash()`)."""
    a, b = [], []
    for i in range(num_perm):
        digest = hashlib.blake2b(_SEED + i.to_bytes(4, "little"), digest_size=16).digest()
        a.append(int.from_bytes(digest[:8], "little") | 1)
        b.append(int.from_bytes(digest[8:], "little"))
    return tuple(a), tuple(b)


def _minhash_numpy(folded: str, num_perm: int, k: int) -> tuple[int, ...]:
    chars = np.frombuffer(folded.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    n = len(chars) - k + 1
    values = np.zeros(n, dtype=np.uint64)
    for j in range(k):  # polynomial hash of each window; uint64 arithmetic wraps mod 2**64 on purpose
        values = values * np.uint64(_PRIME) + chars[j : j + n]
    values = _mix_numpy(values)
    a, b = (np.asarray(c, dtype=np.uint64) for c in _coefficients(num_perm))
    signature = np.empty(num_perm, dtype=np.uint64)
    block = np.empty((_BLOCK, len(values)), dtype=np.uint64)
    for start in range(0, num_perm, _BLOCK):  # in blocks: a long text needs no num_perm x n matrix
        rows = block[: min(_BLOCK, num_perm - start)]
        np.multiply(a[start : start + len(rows), None], values[None, :], out=rows)
        np.add(rows, b[start : start + len(rows), None], out=rows)
        rows.min(axis=1, out=signature[start : start + len(rows)])
    return tuple(int(v) >> 32 for v in signature)  # multiply-shift: the high bits are the good ones


def _mix_numpy(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads the polynomial hash over all 64 bits."""
    values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    mixed: np.ndarray = values ^ (values >> np.uint64(31))
    return mixed


def _minhash_python(codes: list[int], num_perm: int, k: int) -> tuple[int, ...]:
    values = set()
    for i in range(len(codes) - k + 1):
        value = 0
        for code in codes[i : i + k]:
            value = (value * _PRIME + code) & _MASK64
        values.add(_mix(value))
    a, b = _coefficients(num_perm)
    return tuple(min((ai * v + bi) & _MASK64 for v in values) >> 32 for ai, bi in zip(a, b, strict=True))


def _mix(value: int) -> int:
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)
