"""Loading one run into the warehouse: deduplicate, link, and write everything in one transaction.

Load semantics, per table:
- documents: merge on doc_id (insert new; a changed page updates its document and bumps `version`)
- document_labels: replace per document whenever its text is (re)classified
- document_sightings, document_links: insert if absent (keyed as in the schema)
- document_bands, document_keys, document_citations: replaced per document when its text changes
- document_versions, pages: append
- source_health: upsert on source_name; runs: one row per run, finished here
- frontier: upsert on the canonical URL (parsers.urls.canonical_url)

Determinism: a run's pages are placed in canonical order (parsers.dedup.canonical_key: government
site, then news, then repost; earliest published; URL; content hash), never arrival order, so one
batch in any order gives the same documents, doc_ids and canonical copies. Across runs, a document's
doc_id is fixed by the copy it was first loaded from, and its canonical copy (url, source_name) is
the lowest canonical_key of all its copies seen so far, whatever their order.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from parsers.dedup import DedupIndex, Match, MatchKind, canonical_key
from parsers.errors import LoadError
from parsers.records import ParsedDocument
from parsers.urls import canonical_url, site_rank
from warehouse import dedup_store, search, sql
from warehouse.batches import chunked, insert_rows
from warehouse.dedup_store import IndexEntry, KnownDocument, Probe
from warehouse.frontier import CREATE_NEWS, DROP_NEWS, NEWS_TABLE, UPSERT_FROM_NEWS, FrontierRow
from warehouse.weeks import iso_week

__all__ = [
    "LOOSE_TYPES", "LoadReport", "PageOutcome", "RunLoader", "SourceAttempt", "insert_rows", "label_rows", "load_run",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class PageOutcome:
    """One fetched or read page, parsed or not, as handed to the loader."""

    url: str
    source_name: str
    fetched_at: datetime  # UTC, naive
    raw_sha256: str | None = None
    raw_size: int | None = None
    content_type: str | None = None
    document: ParsedDocument | None = None
    error: str | None = None  # why nothing could be read or parsed
    http_status: int | None = None
    final_url: str | None = None
    headers: dict[str, str] | None = None
    list_facts: dict[str, Any] | None = None  # what the list stated about the page: parsed with it (0010)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceAttempt:
    """How one source fared this run."""

    source_name: str
    kind: str
    ok: bool
    items: int = 0
    error: str | None = None
    drifted: bool = False
    drift_reason: str | None = None


@dataclass(slots=True)
class LoadReport:
    """Counts of what the load did, per source and in total."""

    by_source: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # source, url, message
    search_error: str | None = None  # the search index could not be updated after the commit

    def count(self, source: str, outcome: str) -> None:
        """Count one page outcome for a source."""
        self.by_source[source][outcome] += 1

    def total(self, outcome: str) -> int:
        """The count of one outcome over all sources."""
        return sum(c[outcome] for c in self.by_source.values())


@dataclass(frozen=True, slots=True)
class _Copy:
    """A parsed page as dedup sees it: canonical URLs and its rank among copies."""

    page: PageOutcome
    doc: ParsedDocument
    url: str  # the page's canonical URL: its identity for sightings and versions
    doc_url: str  # the URL the document names (a manifest's or 原文链接-free page URL), canonical
    key: str  # parsers.dedup.canonical_key: lowest is the canonical copy


@dataclass(slots=True)
class _Batch:
    documents: list[dict[str, Any]] = field(default_factory=list)
    labels: list[dict[str, Any]] = field(default_factory=list)
    sightings: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    pages: list[dict[str, Any]] = field(default_factory=list)
    updates: list[tuple[str, ParsedDocument, datetime, int]] = field(default_factory=list)
    takeovers: dict[str, _Copy] = field(default_factory=dict)  # doc_id -> its new canonical copy
    indexed: dict[str, IndexEntry] = field(default_factory=dict)  # documents whose text is new or changed
    inserted: set[str] = field(default_factory=set)  # of them, the ones this batch inserts


@dataclass(slots=True)
class _State:
    """The run's view of the known documents, updated as pages are placed."""

    index: DedupIndex
    known: dict[str, KnownDocument]
    run_id: str


# Pages placed and written at a time: each write is a dozen statements whatever its size, so small
# chunks (the parse stage hands over 500 pages) are gathered; memory holds one buffer, not the run
# (5 000 pages took ~150 MB while being written; the loader alone, 100 000 documents: 407 MiB peak at
# 2 000, 375 at 1 000; the whole flow at 500, with 250-page parse chunks, peaked no lower, 20 % slower).
WRITE_EVERY = 1_000
FRONTIER_CHUNK = 5_000  # frontier rows staged at a time


class RunLoader:
    """One run's load as a transaction fed in chunks: memory holds a chunk, never the whole run.

    `with RunLoader(...) as loader: loader.add(chunk) ...; report = loader.finish(attempts, frontier)`
    commits once at `finish`; leaving the block any other way rolls everything back.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, *, run_id: str, now: datetime, near_threshold: float = 0.8):
        self.con, self.run_id, self.now, self.threshold = con, run_id, now, near_threshold
        self.report = LoadReport()
        self._indexed: set[str] = set()
        self._pending: list[PageOutcome] = []
        self._open = False

    def __enter__(self) -> RunLoader:
        self.con.execute("BEGIN TRANSACTION")
        self._open = True
        self._indexed.update(self._guard(lambda: dedup_store.refresh_stale(self.con)))
        return self

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if self._open:
            self._open = False
            self.con.execute("ROLLBACK")

    def add(self, pages: list[PageOutcome]) -> None:
        """Take a chunk of pages; every WRITE_EVERY pages are placed (in canonical order) and written."""
        self._pending.extend(pages)
        if len(self._pending) >= WRITE_EVERY:
            self._flush()

    def _flush(self) -> None:
        pages, self._pending = self._pending, []
        if pages:
            self._guard(lambda: self._add(pages))

    def finish(
        self, attempts: list[SourceAttempt], frontier: Iterable[FrontierRow] = (), *, search: bool = True
    ) -> LoadReport:
        """Links, frontier, source health and the run row; commit; then the search index (unless `search=False`)."""
        self._flush()

        def close() -> None:
            dedup_store.link(self.con, sorted(self._indexed), self.now)
            _merge_frontier(self.con, frontier)
            _record_health(self.con, attempts, self.now)
            _finish_run(self.con, self.run_id, self.report, attempts, self.now)
            self.con.execute("COMMIT")
        self._guard(close)
        self._open = False
        if search:
            self.report.search_error = index_search(self.con, self.now)
        return self.report

    def _add(self, pages: list[PageOutcome]) -> None:
        copies, failed = _prepare(pages)
        index, known = dedup_store.read_index(self.con, _probe(copies), threshold=self.threshold)
        state, batch = _State(index, known, self.run_id), _Batch()
        for page in failed:
            _record_failure(page, batch, self.report, self.run_id)
        for copy in copies:
            _place(copy, state, batch, self.report)
        _write(self.con, batch, self.now)
        self._indexed.update(batch.indexed)

    def _guard(self, step: Any) -> Any:
        try:
            return step()
        except LoadError:
            raise
        except Exception as exc:
            raise LoadError(f"load of run {self.run_id} failed and was rolled back: {exc}") from exc


def index_search(con: duckdb.DuckDBPyConnection, now: datetime) -> str | None:
    """Index every document whose terms are missing or stale, in transactions of their own; the error, if any.

    Kept out of the load's transaction: term rows are the bulk of a load's writes, and a failure here
    loses nothing (the next run indexes whatever is still unindexed, found by content hash).
    """
    try:
        search.index_documents(con, now=now, commit_each=True)
    except Exception as exc:
        with suppress(duckdb.Error):
            con.execute("ROLLBACK")
        return f"search index not updated (the next run retries): {exc}"
    return None


def load_run(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    pages: list[PageOutcome],
    attempts: list[SourceAttempt],
    now: datetime,
    frontier: Iterable[FrontierRow] = (),
    near_threshold: float = 0.8,
) -> LoadReport:
    """Write one run's pages, documents, health and run row atomically: all or nothing."""
    with RunLoader(con, run_id=run_id, now=now, near_threshold=near_threshold) as loader:
        loader.add(pages)
        return loader.finish(attempts, frontier)


def _prepare(pages: list[PageOutcome]) -> tuple[list[_Copy], list[PageOutcome]]:
    """Parsed pages in canonical order (arrival order never matters), and the pages that failed."""
    copies, failed = [], []
    for page in pages:
        doc = page.document
        if doc is None or not doc.ok:
            failed.append(page)
            continue
        url = canonical_url(page.url)
        doc_url = canonical_url(doc.url) if doc.url else url
        # A page of a local folder ranks by the URL its manifest names, a web page by where it was read.
        rank = min(site_rank(url), site_rank(doc_url))
        key = canonical_key(url=doc_url, published_on=doc.extraction.published_on, rank=rank)
        copies.append(_Copy(page, doc, url, doc_url, key))
    copies.sort(key=lambda c: (c.key, c.doc.content_hash, c.url, c.page.source_name, c.page.fetched_at))
    return copies, failed


def _probe(copies: list[_Copy]) -> Probe:
    return Probe(urls=sorted({c.url for c in copies} | {c.doc_url for c in copies}),
                 hashes=sorted({c.doc.content_hash for c in copies}),
                 signatures=[tuple(c.doc.minhash) for c in copies])


def _record_failure(page: PageOutcome, batch: _Batch, report: LoadReport, run_id: str) -> None:
    doc = page.document
    reason = page.error or (doc.extraction.reason if doc else None) or "not a document"
    batch.pages.append(_page_row(page, run_id, "failed", doc, reason, None))
    report.count(page.source_name, "failed")
    report.errors.append((page.source_name, page.url, reason))


def _place(copy: _Copy, state: _State, batch: _Batch, report: LoadReport) -> None:
    match = state.index.match(url=copy.url, content_hash=copy.doc.content_hash, minhash=copy.doc.minhash)
    if match.kind is MatchKind.NEW:
        _add_document(copy, match.doc_id, state, batch)
    elif match.kind is MatchKind.VERSION:
        _add_version(copy, match, state, batch)
    elif match.kind in (MatchKind.EXACT, MatchKind.NEAR):
        state.index.add_url(copy.url, match.doc_id)
        _maybe_take_over(copy, match.doc_id, state, batch)
    if match.kind in (MatchKind.NEW, MatchKind.EXACT, MatchKind.NEAR):
        kind = "first" if match.kind is MatchKind.NEW else match.kind.value
        batch.sightings.append(
            {"doc_id": match.doc_id, "url": copy.url, "source_name": copy.page.source_name,
             "seen_at": copy.page.fetched_at, "match": kind, "similarity": match.similarity}
        )
    batch.pages.append(_page_row(copy.page, state.run_id, match.kind.value, copy.doc, None, match.doc_id))
    report.count(copy.page.source_name, match.kind.value)


def _add_document(copy: _Copy, doc_id: str, state: _State, batch: _Batch) -> None:
    doc = copy.doc
    batch.documents.append(_document_row(doc_id, copy, copy.page.fetched_at))
    batch.labels.extend(label_rows(doc_id, doc))
    batch.versions.append(_version_row(doc_id, 1, doc, copy.page, None))
    batch.indexed[doc_id] = _entry(doc_id, doc)
    batch.inserted.add(doc_id)
    state.known[doc_id] = KnownDocument(doc_id, doc.content_hash, 1, copy.key)
    state.index.add(doc_id, doc.content_hash, doc.minhash, copy.url)
    state.index.add_url(copy.doc_url, doc_id)


def _add_version(copy: _Copy, match: Match, state: _State, batch: _Batch) -> None:
    doc, known = copy.doc, state.known[match.doc_id]
    version = known.version + 1
    state.known[match.doc_id] = KnownDocument(match.doc_id, doc.content_hash, version, known.canonical_key)
    change = None if match.similarity is None else round(1 - match.similarity, 4)
    batch.versions.append(_version_row(match.doc_id, version, doc, copy.page, change))
    batch.updates.append((match.doc_id, doc, copy.page.fetched_at, version))
    batch.indexed[match.doc_id] = _entry(match.doc_id, doc)
    state.index.add(match.doc_id, doc.content_hash, doc.minhash)


def _maybe_take_over(copy: _Copy, doc_id: str, state: _State, batch: _Batch) -> None:
    """A copy ranking before the document's canonical copy becomes its canonical copy."""
    known = state.known.get(doc_id)
    if known is None or copy.key >= known.canonical_key:
        return
    state.known[doc_id] = KnownDocument(doc_id, known.content_hash, known.version, copy.key)
    batch.takeovers[doc_id] = copy


def _entry(doc_id: str, doc: ParsedDocument) -> IndexEntry:
    ex = doc.extraction
    return IndexEntry(doc_id, ex.title, ex.doc_number, ex.doc_type, doc.minhash, doc.cited_titles, doc.cited_numbers)


def _document_row(doc_id: str, copy: _Copy, seen_at: datetime) -> dict[str, Any]:
    doc = copy.doc
    ex, cl = doc.extraction, doc.classification
    return {
        "doc_id": doc_id, "title": ex.title, "url": copy.doc_url, "published_on": ex.published_on,
        "signed_on": ex.signed_on, "first_seen_at": seen_at, "week": iso_week(seen_at), "updated_at": seen_at,
        "issuers": list(ex.issuers), "doc_number": ex.doc_number, "index_number": ex.index_number,
        "regions": list(ex.regions), "level": ex.level, "doc_type": ex.doc_type,
        "source_name": doc.source_name, "original_source": ex.original_source, "original_url": ex.original_url,
        "relevant": cl.relevant, "text": ex.text, "summary": cl.summary, "keywords": list(cl.keywords),
        "content_hash": doc.content_hash, "minhash": list(doc.minhash), "cited_titles": list(doc.cited_titles),
        "indexed_hash": doc.content_hash, "version": 1, "taxonomy_version": cl.taxonomy_version,
        "canonical_key": copy.key, "extraction_status": ex.status.value, "extraction_reason": ex.reason,
    }


def label_rows(doc_id: str, doc: ParsedDocument) -> list[dict[str, Any]]:
    """The topic and instrument label rows of a document."""
    cl = doc.classification
    return [
        {"doc_id": doc_id, "facet": label.facet, "topic_id": label.topic_id, "topic": label.topic,
         "score": label.score, "evidence": list(label.evidence), "taxonomy_version": cl.taxonomy_version}
        for label in (*cl.topics, *cl.instruments)
    ]


def _version_row(
    doc_id: str, version: int, doc: ParsedDocument, page: PageOutcome, change: float | None
) -> dict[str, Any]:
    return {"doc_id": doc_id, "version": version, "fetched_at": page.fetched_at,
            "content_hash": doc.content_hash, "url": page.url, "change_ratio": change,
            "title": doc.extraction.title, "text": doc.extraction.text}


def _page_row(
    page: PageOutcome, run_id: str, outcome: str, doc: ParsedDocument | None, error: str | None, doc_id: str | None
) -> dict[str, Any]:
    ex = doc.extraction if doc else None
    return {"url": page.url, "source_name": page.source_name, "run_id": run_id, "fetched_at": page.fetched_at,
            "raw_sha256": page.raw_sha256, "raw_size": page.raw_size, "content_type": page.content_type,
            "outcome": outcome, "extraction_status": ex.status.value if ex else None, "error": error, "doc_id": doc_id,
            "extraction_reason": ex.reason if ex else None,
            "http_status": page.http_status, "final_url": page.final_url,
            "headers": json.dumps(page.headers, ensure_ascii=False) if page.headers else None,
            "list_facts": json.dumps(page.list_facts, ensure_ascii=False) if page.list_facts else None}


# Arrow types DuckDB cannot infer from Python values (nulls, lists, unsigned ints).
_DOCUMENT_TYPES = {
    "published_on": pa.date32(), "signed_on": pa.date32(), "issuers": pa.list_(pa.string()),
    "regions": pa.list_(pa.string()), "keywords": pa.list_(pa.string()), "minhash": pa.list_(pa.uint64()),
    "cited_titles": pa.list_(pa.string()), "doc_number": pa.string(), "index_number": pa.string(),
    "level": pa.string(), "doc_type": pa.string(), "original_source": pa.string(),
    "original_url": pa.string(), "summary": pa.string(), "indexed_hash": pa.string(),
    "title": pa.string(), "url": pa.string(),
    "source_name": pa.string(), "taxonomy_version": pa.string(), "canonical_key": pa.string(),
    "extraction_status": pa.string(), "extraction_reason": pa.string(),
}
LOOSE_TYPES = {
    "evidence": pa.list_(pa.string()), "similarity": pa.float64(), "change_ratio": pa.float64(),
    "raw_sha256": pa.string(), "raw_size": pa.int64(), "content_type": pa.string(),
    "extraction_status": pa.string(), "extraction_reason": pa.string(), "error": pa.string(), "doc_id": pa.string(),
    "title": pa.string(),
    "source_name": pa.string(), "url": pa.string(), "taxonomy_version": pa.string(),
    "http_status": pa.int32(), "final_url": pa.string(), "headers": pa.string(), "fetched_at": pa.timestamp("us"),
    "etag": pa.string(), "last_modified": pa.string(), "list_updated": pa.string(), "title_hint": pa.string(),
    "status": pa.string(), "seen_at": pa.timestamp("us"), "list_facts": pa.string(),
}


def _write(con: duckdb.DuckDBPyConnection, batch: _Batch, now: datetime) -> None:
    insert_rows(con, "core.documents", batch.documents, _DOCUMENT_TYPES)
    for doc_id, doc, fetched_at, version in batch.updates:
        _update_document(con, doc_id, doc, fetched_at, version)
        batch.labels.extend(label_rows(doc_id, doc))
    for doc_id, copy in sorted(batch.takeovers.items()):
        dedup_store.take_over(con, doc_id, url=copy.doc_url, source_name=copy.page.source_name, key=copy.key,
                              now=now)
    updated = {doc_id for doc_id, *_ in batch.updates}
    fresh = batch.inserted - updated  # inserted with indexed_hash set, and not changed since
    dedup_store.index_documents(con, [e for d, e in batch.indexed.items() if d in fresh], new=True)
    dedup_store.index_documents(con, [e for d, e in batch.indexed.items() if d not in fresh])
    insert_rows(con, "core.document_labels", batch.labels, LOOSE_TYPES)
    insert_rows(con, "core.document_sightings", _unique(batch.sightings, ("doc_id", "url")), LOOSE_TYPES)
    insert_rows(con, "core.document_versions", batch.versions, LOOSE_TYPES)
    insert_rows(con, "core.pages", batch.pages, LOOSE_TYPES)


def _unique(rows: list[dict[str, Any]], key: tuple[str, ...]) -> list[dict[str, Any]]:
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        seen.setdefault(tuple(row[k] for k in key), row)
    return list(seen.values())


def _update_document(
    con: duckdb.DuckDBPyConnection, doc_id: str, doc: ParsedDocument, fetched_at: datetime, version: int
) -> None:
    ex, cl = doc.extraction, doc.classification
    con.execute(
        sql.UPDATE_DOCUMENT_VERSION,
        [ex.title, ex.published_on, ex.signed_on, fetched_at, list(ex.issuers), ex.doc_number, list(ex.regions),
         ex.doc_type, cl.relevant, ex.text, cl.summary, list(cl.keywords), doc.content_hash, list(doc.minhash),
         list(doc.cited_titles), version, cl.taxonomy_version, ex.status.value, ex.reason, doc_id],
    )
    con.execute(sql.DELETE_LABELS, [doc_id])


def _merge_frontier(con: duckdb.DuckDBPyConnection, rows: Iterable[FrontierRow]) -> None:
    """Upsert the run's frontier news; of several rows for one URL the last fetch wins, else the first sighting.

    Staged in a temporary table a chunk at a time: a backfill's 200 000 rows never sit in memory as dicts.
    """
    con.execute(CREATE_NEWS)
    try:
        seq = 0
        for chunk in chunked(rows, FRONTIER_CHUNK):
            news = [{**asdict(row), "url": canonical_url(row.url), "seq": seq + i} for i, row in enumerate(chunk)]
            insert_rows(con, NEWS_TABLE, news, LOOSE_TYPES)
            seq += len(chunk)
        con.execute(UPSERT_FROM_NEWS)
    finally:
        con.execute(DROP_NEWS)


def _record_health(con: duckdb.DuckDBPyConnection, attempts: list[SourceAttempt], now: datetime) -> None:
    for a in attempts:
        con.execute(
            sql.UPSERT_SOURCE_HEALTH,
            [a.source_name, a.kind, now, now if a.ok else None, 0 if a.ok else 1, a.error, a.items, a.items,
             a.drifted, a.drift_reason],
        )


def _finish_run(
    con: duckdb.DuckDBPyConnection, run_id: str, report: LoadReport, attempts: list[SourceAttempt], now: datetime
) -> None:
    summary = {
        "sources": {name: dict(counts) for name, counts in report.by_source.items()},
        "source_errors": {a.source_name: a.error for a in attempts if not a.ok},
        "page_errors": [{"source": s, "url": u, "error": e} for s, u, e in report.errors],
    }
    con.execute(
        sql.FINISH_RUN,
        [now, "success", len(attempts), sum(not a.ok for a in attempts),
         sum(sum(c.values()) for c in report.by_source.values()), report.total("new"), report.total("version"),
         report.total("exact") + report.total("near"), report.total("unchanged"), report.total("failed"),
         json.dumps(summary, ensure_ascii=False), run_id],
    )
