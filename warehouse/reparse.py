"""Re-parsing the raw archive after a parser change: the newest page of every URL, parsed again.

Load semantics: a page that already gave a document updates that document in place (text, metadata,
labels; `version` unchanged: the page did not change, our reading of it did); a page that failed
before and parses now is loaded like a newly fetched page (new, exact or near copy).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from parsers.records import ParsedDocument
from parsers.run import PageOutcome
from warehouse import documents, search, sql
from warehouse.load import LOOSE_TYPES, insert_rows

# The newest archived page of each URL and the document it gave, if any.
LATEST_PAGES = """
SELECT url, source_name, raw_sha256, content_type, final_url, headers, doc_id, outcome, fetched_at, list_facts
FROM (SELECT *, row_number() OVER (PARTITION BY url ORDER BY fetched_at DESC) AS newest FROM core.pages
      WHERE raw_sha256 IS NOT NULL)
WHERE newest = 1
ORDER BY source_name, url
"""
UPDATE_LATEST_VERSION = """
UPDATE core.document_versions SET title = ?, text = ?, content_hash = ?
WHERE doc_id = ? AND version = (SELECT max(version) FROM core.document_versions WHERE doc_id = ?)
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchivedPage:
    """A page as the archive and the pages table remember it."""

    url: str
    source_name: str
    raw_sha256: str
    content_type: str | None
    final_url: str | None
    headers: dict[str, str]
    doc_id: str | None
    # What the page was first parsed with besides the registry: its fetch date and the list's facts.
    fetched_at: datetime | None = None
    list_facts: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ReparseReport:
    """What a reparse changed."""

    updated: int = 0
    unchanged: int = 0
    recovered: list[PageOutcome] = field(default_factory=list)  # failed before, parse now: load as new pages
    still_failing: int = 0
    now_failing: int = 0  # parsed before, fail now: the document is kept as it was


def latest_pages(con: duckdb.DuckDBPyConnection) -> list[ArchivedPage]:
    """Every URL's newest archived page."""
    return [
        ArchivedPage(
            url=url,
            source_name=source,
            raw_sha256=raw,
            content_type=ctype,
            final_url=final,
            headers=json.loads(headers) if headers else {},
            doc_id=doc_id if outcome != "failed" else None,
            fetched_at=fetched,
            list_facts=json.loads(facts) if facts else {},
        )
        for url, source, raw, ctype, final, headers, doc_id, outcome, fetched, facts in con.execute(
            LATEST_PAGES
        ).fetchall()
    ]


def current_hashes(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """doc_id → content hash as stored now."""
    return dict(con.execute("SELECT doc_id, content_hash FROM core.documents").fetchall())


def apply_reparse(
    con: duckdb.DuckDBPyConnection, parsed: list[tuple[ArchivedPage, ParsedDocument]], *, now: datetime
) -> ReparseReport:
    """Update documents in place from their re-parsed pages, in one transaction; collect recovered pages."""
    report = ReparseReport()
    hashes = current_hashes(con)
    con.execute("BEGIN TRANSACTION")
    try:
        for page, doc in parsed:
            _apply_one(con, page, doc, hashes, report, now)
        search.index_documents(con, [p.doc_id for p, d in parsed if p.doc_id in hashes and d.ok], now=now)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return report


def _apply_one(
    con: duckdb.DuckDBPyConnection,
    page: ArchivedPage,
    doc: ParsedDocument,
    hashes: dict[str, str],
    report: ReparseReport,
    now: datetime,
) -> None:
    if page.doc_id is None or page.doc_id not in hashes:
        if doc.ok:
            report.recovered.append(
                PageOutcome(
                    url=page.url,
                    source_name=page.source_name,
                    fetched_at=now,
                    raw_sha256=page.raw_sha256,
                    content_type=page.content_type,
                    document=doc,
                    final_url=page.final_url,
                    headers=page.headers,
                    list_facts=page.list_facts or None,
                )
            )
        else:
            report.still_failing += 1
        return
    if not doc.ok:
        report.now_failing += 1
        return
    if hashes[page.doc_id] == doc.content_hash:
        report.unchanged += 1  # same text; metadata and labels are rewritten all the same
    else:
        report.updated += 1
    documents.update(con, page.doc_id, documents.reparse_columns(doc))
    ex = doc.extraction
    con.execute(UPDATE_LATEST_VERSION, [ex.title, ex.text, doc.content_hash, page.doc_id, page.doc_id])
    con.execute(sql.DELETE_LABELS, [page.doc_id])
    insert_rows(con, "core.document_labels", documents.label_rows(page.doc_id, doc.classification), LOOSE_TYPES)
    hashes[page.doc_id] = doc.content_hash
