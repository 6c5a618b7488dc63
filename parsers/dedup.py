"""Recognising a page as new, a copy, a near-copy or a new version of a known document.

Near copies are found with MinHash LSH: a signature is cut into `bands` bands of `rows` values, each
band hashed to a bucket; documents sharing any bucket are candidates, and a candidate whose estimated
Jaccard reaches the threshold is the same document. 16 bands of 8 rows make a pair at Jaccard 0.85
a candidate with probability 0.99, at 0.8 with 0.95, and one at 0.3 (documents sharing an issuer's
boilerplate) with 0.001: few candidates to verify, however large the index grows (32 bands of 4 rows
found as many copies in `bench dedup` but verified hundreds of boilerplate-sharing candidates per page).
Bucket keys are stored in the warehouse (core.document_bands): their hashing is fixed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

import numpy as np

from parsers.urls import SiteRank, site_rank

__all__ = [
    "BANDS",
    "ROWS",
    "DedupIndex",
    "Match",
    "MatchKind",
    "band_keys",
    "band_keys_many",
    "canonical_key",
    "new_doc_id",
]

BANDS = 16
ROWS = 8
_PRIME = np.uint64(0x100000001B3)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_NO_DATE = "9999-12-31"  # an undated copy sorts after every dated one


class MatchKind(StrEnum):
    """How a page relates to the documents already known."""

    NEW = "new"
    EXACT = "exact"  # same normalised text as a known document
    NEAR = "near"  # MinHash Jaccard above the threshold
    VERSION = "version"  # a known URL whose content changed
    UNCHANGED = "unchanged"  # a known URL with the same content


@dataclass(frozen=True, slots=True)
class Match:
    """The verdict on one page."""

    kind: MatchKind
    doc_id: str
    similarity: float | None = None


def new_doc_id(content_hash: str) -> str:
    """A stable document id derived from the content it was first seen with."""
    return "d" + content_hash[:15]


def canonical_key(*, url: str, published_on: date | None, rank: SiteRank | None = None) -> str:
    """Sort key of a copy, lowest is canonical: government over news over repost, then earliest, then URL."""
    rank = site_rank(url) if rank is None else rank
    return f"{int(rank)}|{published_on.isoformat() if published_on else _NO_DATE}|{url}"


def band_keys_many(signatures: np.ndarray, *, bands: int = BANDS, rows: int = ROWS) -> np.ndarray:
    """Bucket keys (uint64, band number mixed in) of each row of an (n, bands*rows) signature matrix."""
    sig = np.ascontiguousarray(signatures, dtype=np.uint64)[:, : bands * rows].reshape(len(signatures), bands, rows)
    keys = np.broadcast_to(np.arange(1, bands + 1, dtype=np.uint64), sig.shape[:2]).copy()
    for r in range(rows):  # polynomial hash of the band's values, seeded by the band number
        keys = keys * _PRIME + sig[:, :, r]
    keys = (keys ^ (keys >> np.uint64(30))) * _MIX1
    keys = (keys ^ (keys >> np.uint64(27))) * _MIX2
    mixed: np.ndarray = keys ^ (keys >> np.uint64(31))
    return mixed


def band_keys(signature: Sequence[int], *, bands: int = BANDS, rows: int = ROWS) -> tuple[int, ...]:
    """The bucket key of each band of one signature; () when it is too short to band."""
    if len(signature) < bands * rows:
        return ()
    return tuple(band_keys_many(np.asarray([signature], dtype=np.uint64), bands=bands, rows=rows)[0].tolist())


@dataclass(slots=True)
class DedupIndex:
    """What is known of existing documents: content hashes, URLs, signatures and their LSH buckets."""

    threshold: float = 0.8
    bands: int = BANDS
    rows: int = ROWS
    by_hash: dict[str, str] = field(default_factory=dict)
    by_url: dict[str, str] = field(default_factory=dict)
    hash_of_doc: dict[str, str] = field(default_factory=dict)
    signatures: dict[str, Sequence[int] | np.ndarray] = field(default_factory=dict)  # arrays once compared
    _buckets: dict[int, str] = field(default_factory=dict)  # bucket -> first document in it
    _crowded: dict[int, list[str]] = field(default_factory=dict)  # bucket -> the others (rare)
    _last: tuple[object, tuple[int, ...]] = (None, ())  # the last signature banded: match() then add() reuse it
    _banded: dict[tuple[int, ...], tuple[int, ...]] = field(default_factory=dict)  # see band_ahead

    def band_ahead(self, signatures: Sequence[tuple[int, ...]]) -> np.ndarray:
        """Band a batch's signatures at once (vectorised), before they are matched and added one by one.

        Returns the bucket keys of the signatures long enough to band, one row each.
        """
        full = [s for s in signatures if len(s) >= self.bands * self.rows]
        if not full:
            return np.empty((0, self.bands), dtype=np.uint64)
        keys = band_keys_many(np.asarray(full, dtype=np.uint64), bands=self.bands, rows=self.rows)
        self._banded.update(zip(full, map(tuple, keys.tolist()), strict=True))
        return keys

    def add(self, doc_id: str, content_hash: str, minhash: Sequence[int], url: str | None = None) -> None:
        """Record a document's current content (and a URL it was seen at)."""
        self.by_hash.setdefault(content_hash, doc_id)
        self.hash_of_doc[doc_id] = content_hash
        if len(minhash):
            self.signatures[doc_id] = minhash
            self.add_buckets(doc_id, self._keys(minhash))
        if url:
            self.by_url.setdefault(url, doc_id)

    def add_buckets(self, doc_id: str, keys: Iterable[int]) -> None:
        """File a document under its LSH buckets."""
        for key in keys:
            first = self._buckets.setdefault(key, doc_id)
            if first != doc_id:
                crowd = self._crowded.setdefault(key, [])
                if doc_id not in crowd:
                    crowd.append(doc_id)

    def add_url(self, url: str, doc_id: str) -> None:
        """Record another page a known document was seen on."""
        self.by_url.setdefault(url, doc_id)

    def match(self, *, url: str | None, content_hash: str, minhash: Sequence[int]) -> Match:
        """Classify a page against everything known so far."""
        known_doc = self.by_url.get(url) if url else None
        if known_doc is not None:
            if self.hash_of_doc.get(known_doc) == content_hash:
                return Match(MatchKind.UNCHANGED, known_doc, 1.0)
            return Match(MatchKind.VERSION, known_doc, self._similarity(known_doc, minhash))
        if content_hash in self.by_hash:
            return Match(MatchKind.EXACT, self.by_hash[content_hash], 1.0)
        best_doc, best = self.nearest(minhash)
        if best_doc is not None and best >= self.threshold:
            return Match(MatchKind.NEAR, best_doc, best)
        return Match(MatchKind.NEW, new_doc_id(content_hash))

    def candidates(self, minhash: Sequence[int], keys: Iterable[int] | None = None) -> set[str]:
        """Documents sharing at least one LSH bucket with the signature."""
        if keys is None:
            keys = self._keys(minhash)
        found = set()
        for key in keys:
            first = self._buckets.get(key)
            if first is not None:
                found.add(first)
                found.update(self._crowded.get(key, ()))
        return found

    def nearest(
        self, minhash: Sequence[int], keys: Iterable[int] | None = None, *, exclude: Collection[str] = ()
    ) -> tuple[str | None, float]:
        """The most similar candidate (other than `exclude`) and its estimated Jaccard (ties: the smaller doc_id)."""
        if not len(minhash):
            return None, 0.0
        found = self.candidates(minhash, keys).difference(exclude)
        if not found:
            return None, 0.0
        signature = np.asarray(minhash, dtype=np.uint32)
        scored = [(self._estimate(doc_id, signature), doc_id) for doc_id in found]
        if not scored:
            return None, 0.0
        score, doc_id = min(scored, key=lambda s: (-s[0], s[1]))
        return doc_id, score

    def _keys(self, minhash: Sequence[int]) -> tuple[int, ...]:
        if self._last[0] is not minhash:
            ahead = self._banded.get(minhash) if isinstance(minhash, tuple) else None
            self._last = (minhash, ahead or band_keys(minhash, bands=self.bands, rows=self.rows))
        return self._last[1]

    def _estimate(self, doc_id: str, signature: np.ndarray) -> float:
        other = self.signatures[doc_id]
        if not isinstance(other, np.ndarray):
            other = np.asarray(other, dtype=np.uint32)
            self.signatures[doc_id] = other
        if len(other) != len(signature):
            return 0.0
        return int(np.count_nonzero(other == signature)) / len(signature)

    def _similarity(self, doc_id: str, minhash: Sequence[int]) -> float | None:
        if doc_id not in self.signatures or not len(minhash):
            return None
        return self._estimate(doc_id, np.asarray(minhash, dtype=np.uint32))
