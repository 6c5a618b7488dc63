"""Fingerprints of a document's text: an exact-duplicate hash and a MinHash for near duplicates.

The caller converts to simplified Chinese first; folding here removes what reposts change without
changing the document: punctuation, spacing, letter case and full-width forms.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from functools import cache

try:  # numpy comes with the bench group today; without it the pure-Python path gives equal values
    import numpy as np
except ImportError:  # pragma: no cover - exercised by test_minhash_python_path_matches_numpy
    np = None  # type: ignore[assignment]

__all__ = ["content_hash", "estimate_jaccard", "fingerprint", "fold_for_hash", "minhash", "shingles"]

_MASK64 = (1 << 64) - 1
_MASK32 = (1 << 32) - 1
_PRIME = 0x100000001B3  # FNV-1a's 64-bit prime: the base of the rolling shingle hash
# One hash per shingle, split into num_perm bins (one-permutation hashing): O(shingles), not
# O(shingles x num_perm). Change the salt and every stored signature is stale (the loader re-signs
# documents whose index is stale; see warehouse/load.py).
_SALT = 0x706F6C6963793032  # "policy02"
_ROTATE = 0x9E3779B1  # odd offset per step of densification, so a borrowed value differs from its donor
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


def fingerprint(text: str, *, num_perm: int = 128, k: int = 5) -> tuple[str, tuple[int, ...]]:
    """content_hash and minhash of a text, folding it once."""
    folded = fold_for_hash(text)
    digest = hashlib.sha256(folded.encode("utf-8")).hexdigest()
    return digest, _signature(folded, num_perm, k)


def shingles(text: str, k: int = 5) -> frozenset[str]:
    """The character k-shingles of the folded text (the whole text when shorter than k)."""
    folded = fold_for_hash(text)
    if len(folded) <= k:
        return frozenset([folded]) if folded else frozenset()
    return frozenset(folded[i : i + k] for i in range(len(folded) - k + 1))


def minhash(text: str, *, num_perm: int = 128, k: int = 5) -> tuple[int, ...]:
    """A one-permutation MinHash (32-bit values, densified) over the k-shingles of the folded text; () when empty."""
    return _signature(fold_for_hash(text), num_perm, k)


def _signature(folded: str, num_perm: int, k: int) -> tuple[int, ...]:
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


def _bin_starts(num_perm: int) -> list[int]:
    """The smallest 64-bit hash falling in each bin: bins split the hash range into equal parts."""
    return [(-(-(j << 32) // num_perm)) << 32 for j in range(num_perm)]


@cache
def _bin_bounds(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """Each bin's first hash and the first hash past it (the last bin ends at 2**64 - 1), as numpy arrays."""
    starts = np.asarray(_bin_starts(num_perm), dtype=np.uint64)
    ends = np.append(starts[1:], np.uint64(_MASK64))
    starts.setflags(write=False)  # shared by every call
    ends.setflags(write=False)
    return starts, ends


def _minhash_numpy(folded: str, num_perm: int, k: int) -> tuple[int, ...]:
    chars = np.frombuffer(folded.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    n = len(chars) - k + 1
    values = chars[:n].copy()
    for j in range(1, k):  # polynomial hash of each window, in place; uint64 wraps mod 2**64 on purpose
        values *= np.uint64(_PRIME)
        values += chars[j : j + n]
    values ^= np.uint64(_SALT)
    ordered = np.sort(_mix_numpy(values))
    starts, ends = _bin_bounds(num_perm)
    first = np.searchsorted(ordered, starts)  # the smallest hash of each bin, if the bin is not empty
    found = first < n
    mins = ordered[np.minimum(first, n - 1)]
    filled = found & ((mins < ends) | (np.arange(num_perm) == num_perm - 1))
    low = (mins & np.uint64(_MASK32)).tolist()
    if filled.all():  # the usual case for a page of text: every bin holds a shingle
        return tuple(low)
    return _densify([v if ok else None for v, ok in zip(low, filled.tolist(), strict=True)])


def _mix_numpy(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, in place: spreads the polynomial hash over all 64 bits."""
    for shift, factor in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):
        values ^= values >> np.uint64(shift)
        values *= np.uint64(factor)
    values ^= values >> np.uint64(31)
    return values


def _minhash_python(codes: list[int], num_perm: int, k: int) -> tuple[int, ...]:
    hashes = set()
    for i in range(len(codes) - k + 1):
        value = 0
        for code in codes[i : i + k]:
            value = (value * _PRIME + code) & _MASK64
        hashes.add(_mix(value ^ _SALT))
    ordered = sorted(hashes)
    starts = [*_bin_starts(num_perm), _MASK64 + 1]
    bins: list[int | None] = []
    for j in range(num_perm):
        i = bisect.bisect_left(ordered, starts[j])
        bins.append(ordered[i] & _MASK32 if i < len(ordered) and ordered[i] < starts[j + 1] else None)
    return _densify(bins)


def _densify(bins: list[int | None]) -> tuple[int, ...]:
    """Fill each empty bin from the next filled one to its right (circularly), offset by the distance."""
    size = len(bins)
    out = list(bins)
    for j in range(size):
        if out[j] is not None:
            continue
        for step in range(1, size):
            donor = bins[(j + step) % size]
            if donor is not None:
                out[j] = (donor + step * _ROTATE) & _MASK32
                break
    return tuple(v for v in out if v is not None)


def _mix(value: int) -> int:
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)
