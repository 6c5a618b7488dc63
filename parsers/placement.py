"""Where each page of a run goes: a new document, a copy of a known one, a new version, or nowhere.

Sans-I/O: `arrange` puts a chunk's pages in placing order, the warehouse reads what the decisions need
(`Chunk.probe` says what: the pages' URLs, content hashes and signatures), `place` decides, and the
warehouse writes what the `Placement` says.

Determinism: a chunk's pages are placed in canonical order (parsers.dedup.canonical_key: government
site, then news, then repost; earliest published; URL; content hash), never arrival order, so one
batch in any order gives the same documents, doc_ids and canonical copies. Across runs, a document's
doc_id is fixed by the copy it was first loaded from, and its canonical copy (url, source_name) is
the lowest canonical_key of all its copies seen so far, whatever their order. Pages that gave no
document are placed first, in arrival order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from parsers.dedup import DedupIndex, Match, MatchKind, canonical_key
from parsers.records import ParsedDocument
from parsers.run import PageOutcome
from parsers.urls import canonical_url, site_rank

__all__ = [
    "FAILED",
    "Chunk",
    "Copy",
    "Failed",
    "KnownDocument",
    "Placed",
    "Placement",
    "Probe",
    "Text",
    "arrange",
    "place",
]

FAILED = "failed"  # the outcome of a page that gave no document (the others are MatchKind values)
# Outcomes that are a sighting of their document: the page is one of its copies.
_SIGHTINGS = {MatchKind.NEW: "first", MatchKind.EXACT: "exact", MatchKind.NEAR: "near"}


@dataclass(frozen=True, slots=True)
class KnownDocument:
    """What placing needs of a document already known: its text's hash, version and canonical copy's key."""

    doc_id: str
    content_hash: str
    version: int
    canonical_key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Probe:
    """What a chunk's pages can be matched by: the known documents to read are the ones these reach."""

    urls: list[str]
    hashes: list[str]
    signatures: list[tuple[int, ...]]


@dataclass(frozen=True, slots=True)
class Copy:
    """A parsed page as dedup sees it: canonical URLs and its rank among copies."""

    page: PageOutcome
    doc: ParsedDocument
    url: str  # the page's canonical URL: its identity for sightings and versions
    doc_url: str  # the URL the document names (a manifest's, or the page's), canonical
    key: str  # parsers.dedup.canonical_key: lowest is the canonical copy


@dataclass(frozen=True, slots=True)
class Failed:
    """A page that gave no document, and why."""

    page: PageOutcome
    reason: str

    @property
    def outcome(self) -> str:
        """Always `failed`."""
        return FAILED


@dataclass(frozen=True, slots=True)
class Placed:
    """A page that gave a document: how it matched the known documents."""

    copy: Copy
    match: Match

    @property
    def page(self) -> PageOutcome:
        """The page placed."""
        return self.copy.page

    @property
    def outcome(self) -> str:
        """new, exact, near, version or unchanged."""
        return self.match.kind.value

    @property
    def doc_id(self) -> str:
        """The document the page is, or is a copy or a version of."""
        return self.match.doc_id

    @property
    def sighting(self) -> str | None:
        """How the page is recorded as a copy of its document (first, exact, near), if it is one."""
        return _SIGHTINGS.get(self.match.kind)


@dataclass(frozen=True, slots=True)
class Text:
    """A text the chunk gives a document: its first (version 1) or a new version of its page."""

    doc_id: str
    version: int
    copy: Copy
    change_ratio: float | None = None  # of a new version: 1 - estimated Jaccard to the text it replaces

    @property
    def first(self) -> bool:
        """The document is new: this text is inserted, not an update."""
        return self.version == 1


@dataclass(frozen=True, slots=True)
class Placement:
    """A chunk's decisions: what each page is, the texts they give, the canonical copies that change."""

    failed: tuple[Failed, ...]  # placed first, in arrival order
    placed: tuple[Placed, ...]  # in canonical order
    texts: tuple[Text, ...]  # in placing order; a document can have several (a page changed twice)
    takeovers: tuple[tuple[str, Copy], ...]  # (doc_id, its new canonical copy), by doc_id

    @property
    def pages(self) -> tuple[Failed | Placed, ...]:
        """Every page, in placing order."""
        return (*self.failed, *self.placed)

    def latest(self) -> dict[str, ParsedDocument]:
        """doc_id → its text after this chunk, of every document the chunk inserts or changes."""
        return {t.doc_id: t.copy.doc for t in self.texts}

    def sightings(self) -> list[Placed]:
        """The pages that are copies of their document, the first of each (doc_id, URL)."""
        seen: dict[tuple[str, str], Placed] = {}
        for p in self.placed:
            if p.sighting is not None:
                seen.setdefault((p.doc_id, p.copy.url), p)
        return list(seen.values())


@dataclass(frozen=True, slots=True)
class Chunk:
    """A chunk's pages as placing takes them: the parsed ones as copies in canonical order, and the rest."""

    copies: tuple[Copy, ...]
    failed: tuple[PageOutcome, ...]  # in arrival order

    def probe(self) -> Probe:
        """The URLs, hashes and signatures the copies can match known documents by."""
        return Probe(
            urls=sorted({c.url for c in self.copies} | {c.doc_url for c in self.copies}),
            hashes=sorted({c.doc.content_hash for c in self.copies}),
            signatures=[tuple(c.doc.minhash) for c in self.copies],
        )


def arrange(pages: Iterable[PageOutcome]) -> Chunk:
    """The pages in placing order: parsed ones by canonical key (arrival order never matters), failed ones apart."""
    copies, failed = [], []
    for page in pages:
        if page.document is None or not page.document.ok:
            failed.append(page)
        else:
            copies.append(_copy(page, page.document))
    copies.sort(key=lambda c: (c.key, c.doc.content_hash, c.url, c.page.source_name, c.page.fetched_at))
    return Chunk(tuple(copies), tuple(failed))


def place(chunk: Chunk, index: DedupIndex, known: Mapping[str, KnownDocument]) -> Placement:
    """Decide every page's fate against the known documents and the chunk's earlier pages.

    `index` holds the known documents the chunk's probe reached (`known`: their versions and canonical
    keys); it is extended as pages are placed, so a later page of the chunk matches an earlier one.
    """
    placing = _Placing(index, dict(known))
    placed = tuple(placing.place(copy) for copy in chunk.copies)
    return Placement(
        tuple(Failed(page, _failure(page)) for page in chunk.failed),
        placed,
        tuple(placing.texts),
        tuple(sorted(placing.takeovers.items())),
    )


def _copy(page: PageOutcome, doc: ParsedDocument) -> Copy:
    url = canonical_url(page.url)
    doc_url = canonical_url(doc.url) if doc.url else url
    # A page of a local folder ranks by the URL its manifest names, a web page by where it was read.
    rank = min(site_rank(url), site_rank(doc_url))
    key = canonical_key(url=doc_url, published_on=doc.extraction.published_on, rank=rank)
    return Copy(page, doc, url, doc_url, key)


def _failure(page: PageOutcome) -> str:
    doc = page.document
    return page.error or (doc.extraction.reason if doc else None) or "not a document"


@dataclass(slots=True)
class _Placing:
    """The chunk's view of the known documents, updated as its pages are placed; what it decided so far."""

    index: DedupIndex
    known: dict[str, KnownDocument]
    texts: list[Text] = field(default_factory=list)
    takeovers: dict[str, Copy] = field(default_factory=dict)

    def place(self, copy: Copy) -> Placed:
        doc = copy.doc
        match = self.index.match(url=copy.url, content_hash=doc.content_hash, minhash=doc.minhash)
        if match.kind is MatchKind.NEW:
            self._add_document(copy, match.doc_id)
        elif match.kind is MatchKind.VERSION:
            self._add_version(copy, match)
        elif match.kind in (MatchKind.EXACT, MatchKind.NEAR):
            self.index.add_url(copy.url, match.doc_id)
            self._maybe_take_over(copy, match.doc_id)
        return Placed(copy, match)

    def _add_document(self, copy: Copy, doc_id: str) -> None:
        doc = copy.doc
        self.known[doc_id] = KnownDocument(doc_id, doc.content_hash, 1, copy.key)
        self.index.add(doc_id, doc.content_hash, doc.minhash, copy.url)
        self.index.add_url(copy.doc_url, doc_id)
        self.texts.append(Text(doc_id, 1, copy))

    def _add_version(self, copy: Copy, match: Match) -> None:
        doc, known = copy.doc, self.known[match.doc_id]
        version = known.version + 1
        self.known[match.doc_id] = replace(known, content_hash=doc.content_hash, version=version)
        self.index.add(match.doc_id, doc.content_hash, doc.minhash)
        change = None if match.similarity is None else round(1 - match.similarity, 4)
        self.texts.append(Text(match.doc_id, version, copy, change))

    def _maybe_take_over(self, copy: Copy, doc_id: str) -> None:
        """A copy ranking before the document's canonical copy becomes its canonical copy."""
        known = self.known.get(doc_id)
        if known is None or copy.key >= known.canonical_key:
            return
        self.known[doc_id] = replace(known, canonical_key=copy.key)
        self.takeovers[doc_id] = copy
