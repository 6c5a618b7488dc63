"""The warehouse side of attachments (issue 19): what the stage reads, and its writes, one transaction a chunk.

Load semantics:
- core.attachments, core.attachment_bands: replaced per document processed (delete by doc_id, insert): a
  document's rows are the files its current page links;
- core.documents: the classifier columns (relevant, summary, keywords, taxonomy_version) of a document whose
  attachments gave text, as warehouse/reclassify.py writes them; core.document_labels replaced per document;
- core.document_links: insert if absent, relation `attachment` (from the notice to the document that holds
  its file's text), evidence the file's URL.
The search index picks a document's attachment text up by itself (warehouse/search.py: what a document
contributes), so nothing here touches it.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from parsers.attachment_merge import AttachedText, AttachmentPrint, FileText, Merged
from parsers.dedup import BANDS, ROWS, DedupIndex, band_keys_many
from parsers.errors import LoadError
from parsers.placement import Probe
from parsers.records import Classification
from warehouse import dedup_store, documents
from warehouse.batches import execute_with_batch, insert_rows, insert_table, keys

__all__ = [
    "RELATION",
    "AttachmentRow",
    "Link",
    "Stored",
    "attached_texts",
    "classifier_columns",
    "documents_index",
    "documents_with_files",
    "documents_with_text",
    "merge_again",
    "page_texts",
    "record_stage",
    "reverse_candidates",
    "rows_of",
    "run_documents",
    "stored",
    "write_chunk",
    "write_links",
]

RELATION = "attachment"

# Pages of a run that gave their document its current text (new, or a new version): their links are the
# document's attachments now.
RUN_DOCUMENTS = """
SELECT url, doc_id FROM core.pages
WHERE run_id = ? AND outcome IN ('new', 'version') AND doc_id IS NOT NULL
"""
# What the warehouse holds for each of these file URLs (the newest row, whichever document it belongs to:
# the same file linked by two notices is fetched once). {text}: the text columns, or NULLs.
STORED = """
SELECT url, sha256, etag, last_modified, http_status, content_type, bytes, fetched_at, format, media_type,
       extraction_status, reason, pages, {text}
FROM (SELECT *, row_number() OVER (PARTITION BY url ORDER BY checked_at DESC, doc_id) AS newest
      FROM core.attachments WHERE url IN (SELECT v FROM _pw_keys))
WHERE newest = 1
"""
WITH_TEXT = "text, text_hash, minhash"
WITHOUT_TEXT = "NULL AS text, NULL AS text_hash, NULL AS minhash"
PAGE_TEXTS = """
SELECT doc_id, coalesce(title, ''), text FROM core.documents WHERE doc_id IN (SELECT v FROM _pw_keys)
"""
ATTACHED_TEXTS = """
SELECT doc_id, url, text FROM core.attachments
WHERE doc_id IN (SELECT v FROM _pw_keys) AND text IS NOT NULL ORDER BY doc_id, position
"""
DOCUMENTS_WITH_TEXT = "SELECT DISTINCT doc_id FROM core.attachments WHERE text IS NOT NULL ORDER BY doc_id"
DOCUMENTS_WITH_FILES = "SELECT DISTINCT doc_id FROM core.attachments WHERE sha256 IS NOT NULL ORDER BY doc_id"
# {columns}: AttachmentRow's fields, in order.
ROWS_OF = "SELECT {columns} FROM core.attachments WHERE doc_id IN (SELECT v FROM _pw_keys) ORDER BY doc_id, position"
# A run's new documents and the stored attachments (of other documents) that may hold their text: the same
# hash, or a shared LSH bucket (the documents' buckets were written by the load). Only attachments long
# enough to be linked have a signature (parsers.attachment_merge.linkable).
REVERSE_CANDIDATES = """
WITH run AS (SELECT DISTINCT doc_id FROM core.pages WHERE run_id = ? AND outcome IN ('new', 'version')),
pairs AS (
    SELECT d.doc_id, a.doc_id AS owner, a.url
    FROM core.documents d JOIN core.attachments a ON a.text_hash = d.content_hash
    WHERE d.doc_id IN (SELECT doc_id FROM run) AND len(a.minhash) > 0
    UNION
    SELECT db.doc_id, ab.doc_id AS owner, ab.url
    FROM core.document_bands db JOIN core.attachment_bands ab USING (bucket)
    WHERE db.doc_id IN (SELECT doc_id FROM run))
SELECT p.doc_id, d.content_hash, d.minhash, p.owner, p.url, a.text_hash, a.minhash
FROM pairs p JOIN core.documents d ON d.doc_id = p.doc_id
JOIN core.attachments a ON a.doc_id = p.owner AND a.url = p.url
WHERE p.owner <> p.doc_id
ORDER BY p.doc_id, p.owner, p.url
"""
CLEAR_ATTACHMENTS = "DELETE FROM core.attachments WHERE doc_id IN (SELECT v FROM _pw_keys)"
CLEAR_BANDS = "DELETE FROM core.attachment_bands WHERE doc_id IN (SELECT v FROM _pw_keys)"
CLEAR_LABELS = "DELETE FROM core.document_labels WHERE doc_id IN (SELECT v FROM _pw_keys)"
# Only the classifier's columns change (as a reclassification writes them); updated_at stays: the page did not.
UPDATE_CLASSIFIED = """
UPDATE core.documents AS d
SET relevant = b.relevant, summary = b.summary, keywords = b.keywords, taxonomy_version = b.taxonomy_version
FROM _pw_batch AS b WHERE d.doc_id = b.doc_id
"""
# The file whose text gave the summary holds the document's substance (the digest shows it).
MARK_SUBSTANCE = """
UPDATE core.attachments AS a SET substance = (a.url IS NOT DISTINCT FROM b.summary_from)
FROM _pw_batch AS b WHERE a.doc_id = b.doc_id
"""
# Links already there are kept, and one per key from the batch (NOT EXISTS rather than INSERT OR IGNORE,
# which needs a key constraint that a DuckLake table cannot have).
INSERT_LINKS = """
INSERT INTO core.document_links (from_doc_id, to_doc_id, relation, evidence, created_at)
SELECT from_doc_id, to_doc_id, relation, evidence, created_at FROM _pw_batch AS b
WHERE NOT EXISTS (SELECT 1 FROM core.document_links AS l
                  WHERE l.from_doc_id = b.from_doc_id AND l.to_doc_id = b.to_doc_id AND l.relation = b.relation)
QUALIFY row_number() OVER (PARTITION BY from_doc_id, to_doc_id, relation) = 1
"""
# A run's stage, added to its summary (the run row was written when the load committed).
RECORD_STAGE = "UPDATE core.runs SET summary = json_merge_patch(coalesce(summary, '{}'), ?) WHERE run_id = ?"
_TYPES = {
    "name": pa.string(),
    "format": pa.string(),
    "media_type": pa.string(),
    "bytes": pa.int64(),
    "sha256": pa.string(),
    "text": pa.string(),
    "text_hash": pa.string(),
    "minhash": pa.list_(pa.uint64()),
    "pages": pa.int32(),
    "reason": pa.string(),
    "http_status": pa.int32(),
    "content_type": pa.string(),
    "etag": pa.string(),
    "last_modified": pa.string(),
    "fetched_at": pa.timestamp("us"),
    "checked_at": pa.timestamp("us"),
    "keywords": pa.list_(pa.string()),
    "summary": pa.string(),
    "summary_from": pa.string(),
    "taxonomy_version": pa.string(),
    "evidence": pa.string(),
    "created_at": pa.timestamp("us"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class AttachmentRow:
    """One row of core.attachments, by column name."""

    doc_id: str
    url: str
    name: str | None
    position: int
    format: str | None = None
    media_type: str | None = None
    bytes: int | None = None
    sha256: str | None = None
    text: str | None = None
    text_hash: str | None = None
    minhash: tuple[int, ...] = ()  # only for a text long enough to be linked
    pages: int | None = None
    extraction_status: str
    reason: str | None = None
    http_status: int | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: datetime | None = None
    checked_at: datetime
    run_id: str
    substance: bool = False  # set when its document is merged (MARK_SUBSTANCE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Stored:
    """What the warehouse holds for a file URL: the facts of a conditional GET, and its text when asked for."""

    url: str
    sha256: str | None
    etag: str | None
    last_modified: str | None
    http_status: int | None
    content_type: str | None
    bytes: int | None
    fetched_at: datetime | None
    read: bool  # its bytes were read (a fetch that failed left none)
    file: FileText | None  # what reading them gave; None when not read, or the text was not asked for


@dataclass(frozen=True, slots=True)
class Link:
    """A notice and the document holding one of its files' text."""

    from_doc_id: str
    to_doc_id: str
    url: str


def run_documents(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, str]:
    """Page URL → doc_id of the pages that gave a document its current text in this run."""
    return dict(con.execute(RUN_DOCUMENTS, [run_id]).fetchall())


def stored(con: duckdb.DuckDBPyConnection, urls: Collection[str], *, text: bool) -> dict[str, Stored]:
    """The newest row held for each of these file URLs (its text and fingerprint only when `text`)."""
    if not urls:
        return {}
    query = STORED.replace("{text}", WITH_TEXT if text else WITHOUT_TEXT)
    with keys(con, sorted(urls), pa.string()):
        rows = con.execute(query).fetchall()
    return {row[0]: _stored(row, text=text) for row in rows}


def _stored(row: tuple[Any, ...], *, text: bool) -> Stored:
    url, sha256, etag, modified, status, ctype, size, at, fmt, media, extraction, reason, pages = row[:13]
    body, text_hash, signature = row[13:]
    read = fmt is not None and sha256 is not None
    file = None
    if text and read:
        file = FileText(
            format=fmt,
            media_type=media,
            status=extraction,
            reason=reason,
            text=body,
            text_hash=text_hash,
            minhash=tuple(signature or ()),
            pages=pages,
        )
    return Stored(
        url=url,
        sha256=sha256,
        etag=etag,
        last_modified=modified,
        http_status=status,
        content_type=ctype,
        bytes=size,
        fetched_at=at,
        read=read,
        file=file,
    )


def page_texts(con: duckdb.DuckDBPyConnection, doc_ids: Collection[str]) -> dict[str, tuple[str, str]]:
    """doc_id → (title, page text) as loaded."""
    with keys(con, sorted(doc_ids), pa.string()):
        return {doc_id: (title, text) for doc_id, title, text in con.execute(PAGE_TEXTS).fetchall()}


def attached_texts(con: duckdb.DuckDBPyConnection, doc_ids: Collection[str]) -> dict[str, list[AttachedText]]:
    """doc_id → the texts its stored attachments gave, in page order."""
    found: dict[str, list[AttachedText]] = {}
    with keys(con, sorted(doc_ids), pa.string()):
        for doc_id, url, text in con.execute(ATTACHED_TEXTS).fetchall():
            found.setdefault(doc_id, []).append(AttachedText(url=url, text=text))
    return found


def documents_with_text(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every document some attachment of which gave text (a reparse or a reclassification merges them again)."""
    return [doc_id for (doc_id,) in con.execute(DOCUMENTS_WITH_TEXT).fetchall()]


def documents_with_files(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every document some attachment of which has bytes in the archive (a reparse reads them again)."""
    return [doc_id for (doc_id,) in con.execute(DOCUMENTS_WITH_FILES).fetchall()]


def rows_of(con: duckdb.DuckDBPyConnection, doc_ids: Collection[str]) -> list[AttachmentRow]:
    """The stored attachment rows of these documents, in page order."""
    names = [f.name for f in fields(AttachmentRow)]
    query = ROWS_OF.replace("{columns}", ", ".join(names))
    with keys(con, sorted(doc_ids), pa.string()):
        rows = con.execute(query).fetchall()
    found = []
    for row in rows:
        values = dict(zip(names, row, strict=True))
        values["minhash"] = tuple(values["minhash"] or ())
        found.append(AttachmentRow(**values))
    return found


def documents_index(con: duckdb.DuckDBPyConnection, files: Sequence[FileText], *, threshold: float) -> DedupIndex:
    """The known documents these files' texts can match (same text hash, a shared LSH bucket)."""
    probe = Probe(
        urls=[],
        hashes=sorted({f.text_hash for f in files if f.text_hash}),
        signatures=[f.minhash for f in files],
    )
    return dedup_store.read_index(con, probe, threshold=threshold)[0]


def reverse_candidates(
    con: duckdb.DuckDBPyConnection, run_id: str
) -> list[tuple[str, str, tuple[int, ...], AttachmentPrint]]:
    """(doc_id, content_hash, minhash, attachment) of this run's documents and stored attachments of other
    documents that may hold their text (same hash, or a shared LSH bucket), for the caller to verify."""
    return [
        (doc_id, content_hash, tuple(mine), AttachmentPrint(doc_id=owner, url=url, text_hash=text_hash, minhash=theirs))
        for doc_id, content_hash, mine, owner, url, text_hash, theirs in con.execute(
            REVERSE_CANDIDATES, [run_id]
        ).fetchall()
    ]


def write_chunk(
    con: duckdb.DuckDBPyConnection,
    *,
    doc_ids: Collection[str],
    rows: Sequence[AttachmentRow],
    merged: Mapping[str, Merged],
    links: Iterable[Link] = (),
    now: datetime,
) -> None:
    """Replace these documents' attachment rows and bands, write the merged classifications and links; one
    transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        _replace_rows(con, doc_ids, rows)
        _classify(con, merged)
        _insert_links(con, links, now)
        con.execute("COMMIT")
    except duckdb.Error as exc:
        con.execute("ROLLBACK")
        raise LoadError(
            f"attachments of {len(doc_ids) or len(merged)} documents not written (rolled back): {exc}"
        ) from exc


def merge_again(con: duckdb.DuckDBPyConnection, merged: Mapping[str, Merged], *, now: datetime) -> None:
    """Write documents' merged classifications, their attachment rows kept (after a reparse or reclassification)."""
    write_chunk(con, doc_ids=(), rows=(), merged=merged, now=now)


def write_links(con: duckdb.DuckDBPyConnection, links: Iterable[Link], now: datetime) -> None:
    """Insert attachment links if absent."""
    write_chunk(con, doc_ids=(), rows=(), merged={}, links=links, now=now)


def _replace_rows(con: duckdb.DuckDBPyConnection, doc_ids: Collection[str], rows: Sequence[AttachmentRow]) -> None:
    if doc_ids:
        with keys(con, sorted(doc_ids), pa.string()):
            con.execute(CLEAR_ATTACHMENTS)
            con.execute(CLEAR_BANDS)
    insert_rows(con, "core.attachments", [_row(r) for r in rows], _TYPES)
    banded = [r for r in rows if len(r.minhash) >= BANDS * ROWS]
    if not banded:
        return
    buckets = band_keys_many(np.asarray([r.minhash for r in banded], dtype=np.uint64))
    table = pa.table(
        {
            "bucket": pa.array(buckets.ravel(), pa.uint64()),
            "band": pa.array(np.tile(np.arange(BANDS, dtype=np.int16), len(banded)), pa.int16()),
            "doc_id": pa.array([r.doc_id for r in banded for _ in range(BANDS)], pa.string()),
            "url": pa.array([r.url for r in banded for _ in range(BANDS)], pa.string()),
        }
    )
    insert_table(con, "core.attachment_bands", table)


def _row(row: AttachmentRow) -> dict[str, Any]:
    values = {f.name: getattr(row, f.name) for f in fields(row)}
    values["minhash"] = list(row.minhash) if row.minhash else None
    return values


def _classify(con: duckdb.DuckDBPyConnection, merged: Mapping[str, Merged]) -> None:
    if not merged:
        return
    columns = [
        {"doc_id": doc_id, **classifier_columns(m.classification), "summary_from": m.summary_from}
        for doc_id, m in merged.items()
    ]
    with keys(con, sorted(merged), pa.string()):
        con.execute(CLEAR_LABELS)
    execute_with_batch(con, UPDATE_CLASSIFIED, columns, _TYPES)
    execute_with_batch(con, MARK_SUBSTANCE, columns, _TYPES)
    labels = [row for doc_id, m in merged.items() for row in documents.label_rows(doc_id, m.classification)]
    insert_rows(con, "core.document_labels", labels, {**_TYPES, "evidence": pa.list_(pa.string())})


def classifier_columns(result: Classification) -> dict[str, Any]:
    """The core.documents columns a classification sets (as warehouse/reclassify.py writes them)."""
    return {
        "relevant": result.relevant,
        "summary": result.summary,
        "keywords": list(result.keywords),
        "taxonomy_version": result.taxonomy_version,
    }


def _insert_links(con: duckdb.DuckDBPyConnection, links: Iterable[Link], now: datetime) -> None:
    rows = [
        {"from_doc_id": a, "to_doc_id": b, "relation": RELATION, "evidence": url, "created_at": now}
        for a, b, url in sorted({(link.from_doc_id, link.to_doc_id, link.url) for link in links})
    ]
    execute_with_batch(con, INSERT_LINKS, rows, _TYPES)


def record_stage(con: duckdb.DuckDBPyConnection, run_id: str, summary: Mapping[str, Any]) -> None:
    """Add the attachment stage's counts to the run's summary."""
    con.execute(RECORD_STAGE, [json.dumps({"attachments": summary}, ensure_ascii=False), run_id])
