"""The columns of core.documents: one mapping from a document record, by column name, for every write.

A new document is inserted with every column; a new version of its page and a re-parse of it update the
columns a parse gives (`content_columns`) and, for a version, the change counters. Statements are built
from the mapping's keys (`sql.update_by_key`), values bound in the same order: no column list is
written twice, so none can drift (tests/test_warehouse_documents.py fails on a column of the table that
a write leaves out without it being declared below).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from parsers.placement import Copy
from parsers.records import Classification, ParsedDocument
from warehouse import sql
from warehouse.weeks import iso_week

__all__ = [
    "ARROW_TYPES",
    "CANONICAL",
    "CHANGE",
    "IDENTITY",
    "INDEXED",
    "LEFT_BY",
    "canonical_columns",
    "change_columns",
    "content_columns",
    "insert_row",
    "label_rows",
    "reparse_columns",
    "update",
    "version_columns",
]

TABLE = "core.documents"

# Columns only some writes set. Every other column is a content column, set by every write of a text.
# The document's identity, fixed by its first copy: only the insert sets it.
IDENTITY = frozenset({"doc_id", "first_seen_at", "week"})
# Its canonical copy: set by the insert, moved only by a takeover (a better-ranked copy), never by a text.
CANONICAL = frozenset({"url", "source_name", "canonical_key"})
# The page changed: the insert and a new version set these; a re-parse does not (our reading changed, not the page).
CHANGE = frozenset({"version", "updated_at"})
# Set by the insert, which indexes its documents at once; another write leaves it stale until the
# index step re-indexes the document (dedup_store.index_documents, refresh_stale).
INDEXED = frozenset({"indexed_hash"})
# The columns each write leaves alone, by write (the insert sets them all).
LEFT_BY = {"version": IDENTITY | CANONICAL | INDEXED, "reparse": IDENTITY | CANONICAL | CHANGE | INDEXED}

# Arrow types DuckDB cannot infer from Python values (nulls, lists, unsigned ints).
ARROW_TYPES = {
    "published_on": pa.date32(),
    "signed_on": pa.date32(),
    "issuers": pa.list_(pa.string()),
    "regions": pa.list_(pa.string()),
    "mentioned_regions": pa.list_(pa.string()),
    "keywords": pa.list_(pa.string()),
    "minhash": pa.list_(pa.uint64()),
    "cited_titles": pa.list_(pa.string()),
    "doc_number": pa.string(),
    "index_number": pa.string(),
    "level": pa.string(),
    "doc_type": pa.string(),
    "original_source": pa.string(),
    "original_url": pa.string(),
    "summary": pa.string(),
    "indexed_hash": pa.string(),
    "title": pa.string(),
    "url": pa.string(),
    "source_name": pa.string(),
    "taxonomy_version": pa.string(),
    "canonical_key": pa.string(),
    "extraction_status": pa.string(),
    "extraction_reason": pa.string(),
}


def content_columns(doc: ParsedDocument) -> dict[str, Any]:
    """The columns a parse of a page gives, by name: every write of a document's text sets them all."""
    ex, cl = doc.extraction, doc.classification
    return {
        "title": ex.title,
        "published_on": ex.published_on,
        "signed_on": ex.signed_on,
        "issuers": list(ex.issuers),
        "doc_number": ex.doc_number,
        "index_number": ex.index_number,
        "regions": list(ex.regions),
        "mentioned_regions": list(ex.mentioned_regions),
        "level": ex.level,
        "doc_type": ex.doc_type,
        "original_source": ex.original_source,
        "original_url": ex.original_url,
        "relevant": cl.relevant,
        "text": ex.text,
        "summary": cl.summary,
        "keywords": list(cl.keywords),
        "content_hash": doc.content_hash,
        "minhash": list(doc.minhash),
        "cited_titles": list(doc.cited_titles),
        "taxonomy_version": cl.taxonomy_version,
        "extraction_status": ex.status.value,
        "extraction_reason": ex.reason,
    }


def canonical_columns(copy: Copy) -> dict[str, Any]:
    """The columns naming a document's canonical copy."""
    return {"url": copy.doc_url, "source_name": copy.page.source_name, "canonical_key": copy.key}


def change_columns(version: int, at: datetime) -> dict[str, Any]:
    """The columns saying which version of its page a document's text is, and since when."""
    return {"version": version, "updated_at": at}


def insert_row(doc_id: str, copy: Copy) -> dict[str, Any]:
    """Every column of a new document, first seen as this copy."""
    seen_at = copy.page.fetched_at
    return {
        "doc_id": doc_id,
        "first_seen_at": seen_at,
        "week": iso_week(seen_at),
        **canonical_columns(copy),
        **change_columns(1, seen_at),
        "indexed_hash": copy.doc.content_hash,
        **content_columns(copy.doc),
    }


def version_columns(doc: ParsedDocument, *, version: int, fetched_at: datetime) -> dict[str, Any]:
    """The columns a new version of a document's page sets."""
    return {**content_columns(doc), **change_columns(version, fetched_at)}


def reparse_columns(doc: ParsedDocument) -> dict[str, Any]:
    """The columns a re-parse of a document's page sets."""
    return content_columns(doc)


def update(con: duckdb.DuckDBPyConnection, doc_id: str, columns: dict[str, Any]) -> None:
    """Set these columns of one document, matched by name."""
    con.execute(sql.update_by_key(TABLE, list(columns), "doc_id"), [*columns.values(), doc_id])


def label_rows(doc_id: str, result: Classification) -> list[dict[str, Any]]:
    """The core.document_labels rows of a classification: its topics and its instruments."""
    return [
        {
            "doc_id": doc_id,
            "facet": label.facet,
            "topic_id": label.topic_id,
            "topic": label.topic,
            "score": label.score,
            "evidence": list(label.evidence),
            "taxonomy_version": result.taxonomy_version,
        }
        for label in (*result.topics, *result.instruments)
    ]
