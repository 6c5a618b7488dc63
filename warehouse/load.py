"""Loading one run into the warehouse: deduplicate, link, and write everything in one transaction.

Load semantics, per table:
- documents: merge on doc_id (insert new; a changed page updates its document and bumps `version`)
- document_labels: replace per document whenever its text is (re)classified
- document_sightings, document_links: insert if absent (keyed as in the schema)
- document_versions, pages: append
- source_health: upsert on source_name; runs: one row per run, finished here
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from parsers.dedup import DedupIndex, Match, MatchKind
from parsers.errors import LoadError
from parsers.links import cited_titles, title_keys
from parsers.records import ParsedDocument
from warehouse import sql
from warehouse.frontier import UPSERT_FROM_BATCH, FrontierRow
from warehouse.weeks import iso_week


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

    def count(self, source: str, outcome: str) -> None:
        """Count one page outcome for a source."""
        self.by_source[source][outcome] += 1

    def total(self, outcome: str) -> int:
        """The count of one outcome over all sources."""
        return sum(c[outcome] for c in self.by_source.values())


@dataclass(slots=True)
class _Batch:
    documents: list[dict[str, Any]] = field(default_factory=list)
    labels: list[dict[str, Any]] = field(default_factory=list)
    sightings: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    pages: list[dict[str, Any]] = field(default_factory=list)
    updates: list[tuple[str, ParsedDocument, datetime, int]] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)  # title key -> doc_id


def load_run(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    pages: list[PageOutcome],
    attempts: list[SourceAttempt],
    now: datetime,
    frontier: list[FrontierRow] | None = None,
    near_threshold: float = 0.8,
) -> LoadReport:
    """Write one run's pages, documents, health and run row atomically: all or nothing."""
    report = LoadReport()
    con.execute("BEGIN TRANSACTION")
    try:
        index, versions_of = _read_index(con, near_threshold)
        batch = _Batch(titles=_read_titles(con))
        for page in sorted(pages, key=lambda p: (p.source_name, p.url)):
            _place(page, index, versions_of, batch, report, run_id)
        _write(con, batch)
        _link(con, batch, now)
        _merge_frontier(con, frontier or [])
        _record_health(con, attempts, now)
        _finish_run(con, run_id, report, attempts, now)
        con.execute("COMMIT")
    except Exception as exc:
        con.execute("ROLLBACK")
        if isinstance(exc, LoadError):
            raise
        raise LoadError(f"load of run {run_id} failed and was rolled back: {exc}") from exc
    return report


def _read_index(con: duckdb.DuckDBPyConnection, threshold: float) -> tuple[DedupIndex, dict[str, int]]:
    index = DedupIndex(threshold=threshold)
    versions: dict[str, int] = {}
    for doc_id, content_hash, signature, url, version in con.execute(sql.DEDUP_INDEX).fetchall():
        index.add(doc_id, content_hash, tuple(signature), url)
        versions[doc_id] = version
    for url, doc_id in con.execute(sql.SIGHTING_URLS).fetchall():
        index.add_url(url, doc_id)
    return index, versions


def _read_titles(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    titles: dict[str, str] = {}
    for doc_id, title in con.execute(sql.DOCUMENT_TITLES).fetchall():
        for key in title_keys(title):
            titles.setdefault(key, doc_id)
    return titles


def _place(
    page: PageOutcome,
    index: DedupIndex,
    versions_of: dict[str, int],
    batch: _Batch,
    report: LoadReport,
    run_id: str,
) -> None:
    doc = page.document
    if doc is None or not doc.ok:
        reason = page.error or (doc.extraction.reason if doc else None) or "not a document"
        status = doc.extraction.status.value if doc else None
        batch.pages.append(_page_row(page, run_id, "failed", status, reason, None))
        report.count(page.source_name, "failed")
        report.errors.append((page.source_name, page.url, reason))
        return
    match = index.match(url=page.url, content_hash=doc.content_hash, minhash=doc.minhash)
    _apply(match, page, doc, index, versions_of, batch)
    batch.pages.append(_page_row(page, run_id, match.kind.value, "ok", None, match.doc_id))
    report.count(page.source_name, match.kind.value)


def _apply(
    match: Match,
    page: PageOutcome,
    doc: ParsedDocument,
    index: DedupIndex,
    versions_of: dict[str, int],
    batch: _Batch,
) -> None:
    if match.kind is MatchKind.NEW:
        batch.documents.append(_document_row(match.doc_id, doc, page.fetched_at))
        batch.labels.extend(label_rows(match.doc_id, doc))
        batch.versions.append(_version_row(match.doc_id, 1, doc, page, None))
        for key in title_keys(doc.extraction.title):
            batch.titles.setdefault(key, match.doc_id)
        versions_of[match.doc_id] = 1
        index.add(match.doc_id, doc.content_hash, doc.minhash, page.url)
    elif match.kind is MatchKind.VERSION:
        version = versions_of.get(match.doc_id, 1) + 1
        versions_of[match.doc_id] = version
        change = None if match.similarity is None else round(1 - match.similarity, 4)
        batch.versions.append(_version_row(match.doc_id, version, doc, page, change))
        batch.updates.append((match.doc_id, doc, page.fetched_at, version))
        index.add(match.doc_id, doc.content_hash, doc.minhash)
        index.hash_of_doc[match.doc_id] = doc.content_hash
    elif match.kind in (MatchKind.EXACT, MatchKind.NEAR):
        index.add_url(page.url, match.doc_id)
    if match.kind in (MatchKind.NEW, MatchKind.EXACT, MatchKind.NEAR):
        kind = "first" if match.kind is MatchKind.NEW else match.kind.value
        batch.sightings.append(
            {"doc_id": match.doc_id, "url": page.url, "source_name": page.source_name,
             "seen_at": page.fetched_at, "match": kind, "similarity": match.similarity}
        )


def _document_row(doc_id: str, doc: ParsedDocument, seen_at: datetime) -> dict[str, Any]:
    ex, cl = doc.extraction, doc.classification
    return {
        "doc_id": doc_id, "title": ex.title, "url": doc.url, "published_on": ex.published_on,
        "signed_on": ex.signed_on, "first_seen_at": seen_at, "week": iso_week(seen_at), "updated_at": seen_at,
        "issuers": list(ex.issuers), "doc_number": ex.doc_number, "index_number": ex.index_number,
        "regions": list(ex.regions), "level": ex.level, "doc_type": ex.doc_type,
        "source_name": doc.source_name, "original_source": ex.original_source, "original_url": ex.original_url,
        "relevant": cl.relevant, "text": ex.text, "summary": cl.summary, "keywords": list(cl.keywords),
        "content_hash": doc.content_hash, "minhash": list(doc.minhash), "cited_titles": list(cited_titles(ex.text)),
        "version": 1, "taxonomy_version": cl.taxonomy_version,
    }


def label_rows(doc_id: str, doc: ParsedDocument) -> list[dict[str, Any]]:
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
    page: PageOutcome, run_id: str, outcome: str, status: str | None, error: str | None, doc_id: str | None
) -> dict[str, Any]:
    return {"url": page.url, "source_name": page.source_name, "run_id": run_id, "fetched_at": page.fetched_at,
            "raw_sha256": page.raw_sha256, "raw_size": page.raw_size, "content_type": page.content_type,
            "outcome": outcome, "extraction_status": status, "error": error, "doc_id": doc_id,
            "http_status": page.http_status, "final_url": page.final_url,
            "headers": json.dumps(page.headers, ensure_ascii=False) if page.headers else None}


# Arrow types DuckDB cannot infer from Python values (nulls, lists, unsigned ints).
_DOCUMENT_TYPES = {
    "published_on": pa.date32(), "signed_on": pa.date32(), "issuers": pa.list_(pa.string()),
    "regions": pa.list_(pa.string()), "keywords": pa.list_(pa.string()), "minhash": pa.list_(pa.uint64()),
    "cited_titles": pa.list_(pa.string()), "doc_number": pa.string(), "index_number": pa.string(),
    "level": pa.string(), "doc_type": pa.string(), "original_source": pa.string(),
    "original_url": pa.string(), "summary": pa.string(), "title": pa.string(), "url": pa.string(),
    "source_name": pa.string(), "taxonomy_version": pa.string(),
}
LOOSE_TYPES = {
    "evidence": pa.list_(pa.string()), "similarity": pa.float64(), "change_ratio": pa.float64(),
    "raw_sha256": pa.string(), "raw_size": pa.int64(), "content_type": pa.string(),
    "extraction_status": pa.string(), "error": pa.string(), "doc_id": pa.string(), "title": pa.string(),
    "source_name": pa.string(), "url": pa.string(), "taxonomy_version": pa.string(),
    "http_status": pa.int32(), "final_url": pa.string(), "headers": pa.string(), "fetched_at": pa.timestamp("us"),
    "etag": pa.string(), "last_modified": pa.string(), "list_updated": pa.string(), "title_hint": pa.string(),
    "status": pa.string(), "seen_at": pa.timestamp("us"),
}


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]], types: dict[str, Any]) -> None:
    """Bulk insert through Arrow: one statement per table, columns matched by name."""
    if not rows:
        return
    columns = list(rows[0])
    fields = [pa.field(c, types[c]) if c in types else None for c in columns]
    arrays = [
        pa.array([r[c] for r in rows], type=f.type if f is not None else None)
        for c, f in zip(columns, fields, strict=True)
    ]
    batch = pa.Table.from_arrays(arrays, names=columns)
    con.register("_pw_batch", batch)
    try:
        con.execute(sql.insert_from_batch(table, columns))
    finally:
        con.unregister("_pw_batch")


def _write(con: duckdb.DuckDBPyConnection, batch: _Batch) -> None:
    insert_rows(con, "core.documents", batch.documents, _DOCUMENT_TYPES)
    for doc_id, doc, fetched_at, version in batch.updates:
        _update_document(con, doc_id, doc, fetched_at, version)
        batch.labels.extend(label_rows(doc_id, doc))
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
         list(cited_titles(ex.text)), version, cl.taxonomy_version, doc_id],
    )
    con.execute(sql.DELETE_LABELS, [doc_id])


def _link(con: duckdb.DuckDBPyConnection, batch: _Batch, now: datetime) -> None:
    """Cites links both ways: new documents citing known ones, known ones citing the new."""
    rows = []
    for row in batch.documents:
        for key in row["cited_titles"]:
            target = batch.titles.get(key)
            if target and target != row["doc_id"]:
                rows.append({"from_doc_id": row["doc_id"], "to_doc_id": target, "relation": "cites",
                             "evidence": key, "created_at": now})
        for key in title_keys(row["title"]):
            for (citer,) in con.execute(sql.DOCUMENTS_CITING, [key]).fetchall():
                if citer != row["doc_id"]:
                    rows.append({"from_doc_id": citer, "to_doc_id": row["doc_id"], "relation": "cites",
                                 "evidence": key, "created_at": now})
    rows = _unique(rows, ("from_doc_id", "to_doc_id", "relation"))
    for row in rows:
        con.execute(sql.INSERT_LINK, [row["from_doc_id"], row["to_doc_id"], row["relation"],
                                      row["evidence"], row["created_at"]])


def _merge_frontier(con: duckdb.DuckDBPyConnection, rows: list[FrontierRow]) -> None:
    """Upsert the run's frontier news; of several rows for one URL the last (the fetch) wins."""
    latest: dict[str, FrontierRow] = {}
    for row in rows:
        if row.url in latest and row.status == "discovered":
            continue
        latest[row.url] = row
    if not latest:
        return
    columns = list(FrontierRow.__dataclass_fields__)
    batch = pa.Table.from_arrays(
        [pa.array([getattr(r, c) for r in latest.values()], type=LOOSE_TYPES.get(c, pa.string())) for c in columns],
        names=columns,
    )
    con.register("_pw_batch", batch)
    try:
        con.execute(UPSERT_FROM_BATCH)
    finally:
        con.unregister("_pw_batch")


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
