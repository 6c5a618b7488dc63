"""Loading one run into the warehouse: deduplicate, link, and write everything in one transaction.

Load semantics, per table:
- documents: merge on doc_id (insert new; a changed page updates its document and bumps `version`)
- document_labels: replace per document whenever its text is (re)classified
- document_sightings, document_links: insert if absent (keyed as in the schema)
- document_bands, document_keys, document_citations: replaced per document when its text changes
- document_versions, pages: append
- source_health: upsert on source_name; runs: one row per run, finished here
- frontier: upsert on the canonical URL (parsers.urls.canonical_url)

Which page goes where (new, copy, version, canonical takeover, failed) is decided by
parsers.placement.place, in canonical order (its docstring says how that keeps loads deterministic);
this module reads what the decisions need, and writes what they say: read index → place → rows → write.
core.documents is written through warehouse.documents, one mapping from a document to its columns.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import asdict
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from parsers.errors import LoadError
from parsers.placement import Failed, Placed, Placement, Text, arrange, place
from parsers.records import ParsedDocument
from parsers.run import FrontierRow, LoadReport, PageOutcome, SourceAttempt
from parsers.urls import canonical_url
from warehouse import dedup_store, documents, search, search_compact, sql
from warehouse.batches import chunked, insert_rows
from warehouse.dedup_store import IndexEntry
from warehouse.frontier import CREATE_NEWS, DROP_NEWS, NEWS_TABLE, UPSERT_FROM_NEWS

__all__ = ["LOOSE_TYPES", "RunLoader", "index_search", "insert_rows", "load_run"]


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
        chunk = arrange(pages)
        index, known = dedup_store.read_index(self.con, chunk.probe(), threshold=self.threshold)
        placement = place(chunk, index, known)
        _count(placement, self.report)
        _write(self.con, placement, self.run_id, self.now)
        self._indexed.update(t.doc_id for t in placement.texts)

    def _guard(self, step: Any) -> Any:
        try:
            return step()
        except LoadError:
            raise
        except Exception as exc:
            raise LoadError(f"load of run {self.run_id} failed and was rolled back: {exc}") from exc


def index_search(con: duckdb.DuckDBPyConnection, now: datetime, *, compact: bool = True) -> str | None:
    """Index every document whose terms are missing or stale, in transactions of their own; the error, if any.

    Kept out of the load's transaction: term rows are the bulk of a load's writes, and a failure here
    loses nothing (the next run indexes whatever is still unindexed, found by content hash). Then, with
    `compact`, the index is compacted when the documents indexed since its last compaction are due
    (warehouse/search_compact.py).
    """
    try:
        search.index_documents(con, now=now, commit_each=True)
        if compact:
            search_compact.compact_if_due(con, now)
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


def _count(placement: Placement, report: LoadReport) -> None:
    for failed in placement.failed:
        report.errors.append((failed.page.source_name, failed.page.url, failed.reason))
    for page in placement.pages:
        report.count(page.page.source_name, page.outcome)


def _write(con: duckdb.DuckDBPyConnection, placement: Placement, run_id: str, now: datetime) -> None:
    """Write a chunk's placement: documents, new versions, takeovers, index, labels, sightings, versions, pages."""
    texts = placement.texts
    insert_rows(
        con, "core.documents", [documents.insert_row(t.doc_id, t.copy) for t in texts if t.first], documents.ARROW_TYPES
    )
    for t in texts:
        if not t.first:
            columns = documents.version_columns(t.copy.doc, version=t.version, fetched_at=t.copy.page.fetched_at)
            documents.update(con, t.doc_id, columns)
            con.execute(sql.DELETE_LABELS, [t.doc_id])
    for doc_id, copy in placement.takeovers:
        documents.update(con, doc_id, {**documents.canonical_columns(copy), "updated_at": now})
    latest = placement.latest()
    # Inserted with indexed_hash set and not changed since: nothing of theirs to replace or mark.
    fresh = {t.doc_id for t in texts if t.first} - {t.doc_id for t in texts if not t.first}
    dedup_store.index_documents(con, [_entry(d, doc) for d, doc in latest.items() if d in fresh], new=True)
    dedup_store.index_documents(con, [_entry(d, doc) for d, doc in latest.items() if d not in fresh])
    labels = [row for doc_id, doc in latest.items() for row in documents.label_rows(doc_id, doc.classification)]
    insert_rows(con, "core.document_labels", labels, LOOSE_TYPES)
    insert_rows(con, "core.document_sightings", [_sighting_row(p) for p in placement.sightings()], LOOSE_TYPES)
    insert_rows(con, "core.document_versions", [_version_row(t) for t in texts], LOOSE_TYPES)
    insert_rows(con, "core.pages", [_page_row(p, run_id) for p in placement.pages], LOOSE_TYPES)


def _entry(doc_id: str, doc: ParsedDocument) -> IndexEntry:
    ex = doc.extraction
    return IndexEntry(doc_id, ex.title, ex.doc_number, ex.doc_type, doc.minhash, doc.cited_titles, doc.cited_numbers)


def _version_row(text: Text) -> dict[str, Any]:
    doc, page = text.copy.doc, text.copy.page
    return {
        "doc_id": text.doc_id,
        "version": text.version,
        "fetched_at": page.fetched_at,
        "content_hash": doc.content_hash,
        "url": page.url,
        "change_ratio": text.change_ratio,
        "title": doc.extraction.title,
        "text": doc.extraction.text,
    }


def _sighting_row(placed: Placed) -> dict[str, Any]:
    return {
        "doc_id": placed.doc_id,
        "url": placed.copy.url,
        "source_name": placed.page.source_name,
        "seen_at": placed.page.fetched_at,
        "match": placed.sighting,
        "similarity": placed.match.similarity,
    }


def _page_row(placed: Failed | Placed, run_id: str) -> dict[str, Any]:
    page = placed.page
    ex = page.document.extraction if page.document else None
    return {
        "url": page.url,
        "source_name": page.source_name,
        "run_id": run_id,
        "fetched_at": page.fetched_at,
        "raw_sha256": page.raw_sha256,
        "raw_size": page.raw_size,
        "content_type": page.content_type,
        "outcome": placed.outcome,
        "extraction_status": ex.status.value if ex else None,
        "error": placed.reason if isinstance(placed, Failed) else None,
        "doc_id": placed.doc_id if isinstance(placed, Placed) else None,
        "extraction_reason": ex.reason if ex else None,
        "http_status": page.http_status,
        "final_url": page.final_url,
        "headers": json.dumps(page.headers, ensure_ascii=False) if page.headers else None,
        "list_facts": json.dumps(page.list_facts, ensure_ascii=False) if page.list_facts else None,
    }


LOOSE_TYPES = {
    "evidence": pa.list_(pa.string()),
    "similarity": pa.float64(),
    "change_ratio": pa.float64(),
    "raw_sha256": pa.string(),
    "raw_size": pa.int64(),
    "content_type": pa.string(),
    "extraction_status": pa.string(),
    "extraction_reason": pa.string(),
    "error": pa.string(),
    "doc_id": pa.string(),
    "title": pa.string(),
    "source_name": pa.string(),
    "url": pa.string(),
    "taxonomy_version": pa.string(),
    "http_status": pa.int32(),
    "final_url": pa.string(),
    "headers": pa.string(),
    "fetched_at": pa.timestamp("us"),
    "etag": pa.string(),
    "last_modified": pa.string(),
    "list_updated": pa.string(),
    "title_hint": pa.string(),
    "status": pa.string(),
    "seen_at": pa.timestamp("us"),
    "list_facts": pa.string(),
}


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
            [
                a.source_name,
                a.kind,
                now,
                now if a.ok else None,
                0 if a.ok else 1,
                a.error,
                a.items,
                a.items,
                a.drifted,
                a.drift_reason,
            ],
        )


def _finish_run(
    con: duckdb.DuckDBPyConnection, run_id: str, report: LoadReport, attempts: list[SourceAttempt], now: datetime
) -> None:
    summary = {
        "sources": {name: dict(counts) for name, counts in report.by_source.items()},
        "source_errors": {a.source_name: a.error for a in attempts if not a.ok},
        "source_drift": {a.source_name: a.drift_reason or "" for a in attempts if a.drifted},
        "page_errors": [{"source": s, "url": u, "error": e} for s, u, e in report.errors],
    }
    con.execute(
        sql.FINISH_RUN,
        [
            now,
            "success",
            len(attempts),
            sum(not a.ok for a in attempts),
            sum(sum(c.values()) for c in report.by_source.values()),
            report.total("new"),
            report.total("version"),
            report.total("exact") + report.total("near"),
            report.total("unchanged"),
            report.total("failed"),
            json.dumps(summary, ensure_ascii=False),
            run_id,
        ],
    )
