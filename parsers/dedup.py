"""Recognising a page as new, a copy, a near-copy or a new version of a known document."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from parsers.fingerprint import estimate_jaccard


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


@dataclass(slots=True)
class DedupIndex:
    """What is known of existing documents: content hashes, URLs and near-duplicate signatures."""

    threshold: float = 0.8
    by_hash: dict[str, str] = field(default_factory=dict)
    by_url: dict[str, str] = field(default_factory=dict)
    hash_of_doc: dict[str, str] = field(default_factory=dict)
    signatures: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def add(self, doc_id: str, content_hash: str, minhash: tuple[int, ...], url: str | None = None) -> None:
        """Record a document's current content (and a URL it was seen at)."""
        self.by_hash.setdefault(content_hash, doc_id)
        self.hash_of_doc[doc_id] = content_hash
        self.signatures[doc_id] = minhash
        if url:
            self.by_url.setdefault(url, doc_id)

    def add_url(self, url: str, doc_id: str) -> None:
        """Record another page a known document was seen on."""
        self.by_url.setdefault(url, doc_id)

    def match(self, *, url: str | None, content_hash: str, minhash: tuple[int, ...]) -> Match:
        """Classify a page against everything known so far."""
        known_doc = self.by_url.get(url) if url else None
        if known_doc is not None:
            if self.hash_of_doc.get(known_doc) == content_hash:
                return Match(MatchKind.UNCHANGED, known_doc, 1.0)
            return Match(MatchKind.VERSION, known_doc, self._similarity(known_doc, minhash))
        if content_hash in self.by_hash:
            return Match(MatchKind.EXACT, self.by_hash[content_hash], 1.0)
        best_doc, best = self._nearest(minhash)
        if best_doc is not None and best >= self.threshold:
            return Match(MatchKind.NEAR, best_doc, best)
        return Match(MatchKind.NEW, new_doc_id(content_hash))

    def _similarity(self, doc_id: str, minhash: tuple[int, ...]) -> float | None:
        other = self.signatures.get(doc_id)
        return estimate_jaccard(other, minhash) if other else None

    def _nearest(self, minhash: tuple[int, ...]) -> tuple[str | None, float]:
        best_doc, best = None, 0.0
        if not minhash:
            return best_doc, best
        for doc_id, other in self.signatures.items():
            score = estimate_jaccard(minhash, other)
            if score > best:
                best_doc, best = doc_id, score
        return best_doc, best
