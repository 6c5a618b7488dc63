"""Reclassification without refetching: apply a (changed) taxonomy to every document in the warehouse.

Load semantics: core.document_labels is replaced wholesale (every label row carries the new taxonomy
version); core.documents keeps its rows and gets new relevant, summary, keywords and taxonomy_version.
Texts are read and classified first (no transaction open); the writes then happen in one
transaction, in bulk through Arrow, so a failure leaves the old labels in place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from parsers.attachment_merge import AttachedText, merge
from parsers.classify import Taxonomy
from parsers.errors import LoadError
from parsers.records import Classification
from warehouse import documents
from warehouse.connection import cursor_on_same_database, open_writer, writer_lock

READ_BATCH = 500  # documents fetched per round trip: bounds memory to a few hundred texts

COUNT_DOCUMENTS = "SELECT count(*) FROM core.documents"
COUNT_RELEVANT = "SELECT count(*) FROM core.documents WHERE relevant"
# doc_id order: a rerun reads documents in the same order, so progress is reproducible. With each document,
# the text its attachments gave (issue 19): it takes part in the classification as the nightly run merged it.
READ_DOCUMENTS = """
SELECT d.doc_id, coalesce(d.title, '') AS title, d.text, a.urls, a.texts
FROM core.documents d
LEFT JOIN (SELECT doc_id, list(url ORDER BY position) AS urls, list(text ORDER BY position) AS texts
           FROM core.attachments WHERE text IS NOT NULL GROUP BY doc_id) a USING (doc_id)
ORDER BY d.doc_id
"""
DELETE_ALL_LABELS = "DELETE FROM core.document_labels"
INSERT_LABELS = """
INSERT INTO core.document_labels (doc_id, facet, topic_id, topic, score, evidence, taxonomy_version)
SELECT doc_id, facet, topic_id, topic, score, evidence, taxonomy_version FROM _pw_labels
"""
# Only the classifier's columns change; updated_at stays: the document itself did not change.
UPDATE_DOCUMENTS = """
UPDATE core.documents AS d
SET relevant = b.relevant, summary = b.summary, keywords = b.keywords, taxonomy_version = b.taxonomy_version
FROM _pw_documents AS b
WHERE d.doc_id = b.doc_id
"""

_DOCUMENT_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("relevant", pa.bool_()),
        ("summary", pa.string()),
        ("keywords", pa.list_(pa.string())),
        ("taxonomy_version", pa.string()),
    ]
)
_LABEL_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("facet", pa.string()),
        ("topic_id", pa.string()),
        ("topic", pa.string()),
        ("score", pa.float64()),
        ("evidence", pa.list_(pa.string())),
        ("taxonomy_version", pa.string()),
    ]
)


@dataclass(slots=True)
class ReclassifyReport:
    """What a reclassification did."""

    taxonomy_version: str
    documents: int = 0
    labels: int = 0
    relevant_before: int = 0
    relevant_after: int = 0


def reclassify(
    con: duckdb.DuckDBPyConnection, taxonomy: Taxonomy, *, tick: Callable[[int], None] = lambda n: None
) -> ReclassifyReport:
    """Classify every stored document again and replace its labels and classifier columns atomically."""
    report = ReclassifyReport(taxonomy_version=taxonomy.version)
    report.relevant_before = _scalar(con, COUNT_RELEVANT)
    rows: list[dict[str, Any]] = []
    labels: list[dict[str, Any]] = []
    for doc_id, title, text, urls, texts in _documents(con):
        attached = [AttachedText(url=url, text=body) for url, body in zip(urls or (), texts or (), strict=True)]
        result = merge(taxonomy, title=title, page_text=text, attached=attached).classification
        document, doc_labels = _rows(doc_id, result)
        rows.append(document)
        labels.extend(doc_labels)
        tick(1)
    _write(
        con,
        pa.Table.from_pylist(rows, schema=_DOCUMENT_SCHEMA),
        pa.Table.from_pylist(labels, schema=_LABEL_SCHEMA),
    )
    report.documents, report.labels = len(rows), len(labels)
    report.relevant_after = sum(d["relevant"] for d in rows)
    return report


def count_documents(con: duckdb.DuckDBPyConnection) -> int:
    """How many documents a reclassification will visit (for a progress bar)."""
    return _scalar(con, COUNT_DOCUMENTS)


def reclassify_warehouse(
    path: Path,
    taxonomy: Taxonomy,
    *,
    start: Callable[[int], None] = lambda total: None,
    tick: Callable[[int], None] = lambda n: None,
) -> ReclassifyReport:
    """Take the writer lock, open the warehouse at `path` and reclassify it; `start` gets the total."""
    if not path.exists():
        raise LoadError(f"no warehouse at {path}: run `policywatch run` first")
    with writer_lock(path), open_writer(path) as con:
        start(count_documents(con))
        return reclassify(con, taxonomy, tick=tick)


def _scalar(con: duckdb.DuckDBPyConnection, query: str) -> int:
    row = con.execute(query).fetchone()
    return int(row[0]) if row else 0


def _documents(con: duckdb.DuckDBPyConnection) -> Iterator[tuple[str, str, str, list[str] | None, list[str] | None]]:
    cursor = cursor_on_same_database(con)  # its own cursor: the batches stream while nothing else runs on it
    try:
        cursor.execute(READ_DOCUMENTS)
        while rows := cursor.fetchmany(READ_BATCH):
            yield from rows
    finally:
        cursor.close()


def _rows(doc_id: str, result: Classification) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The documents row (classifier columns only) and the label rows of one classification."""
    version = result.taxonomy_version
    document = {
        "doc_id": doc_id,
        "relevant": result.relevant,
        "summary": result.summary,
        "keywords": list(result.keywords),
        "taxonomy_version": version,
    }
    return document, documents.label_rows(doc_id, result)


def _write(con: duckdb.DuckDBPyConnection, documents: pa.Table, labels: pa.Table) -> None:
    """Replace every label and update the classifier columns in one transaction."""
    con.register("_pw_documents", documents)
    con.register("_pw_labels", labels)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(DELETE_ALL_LABELS)
        con.execute(INSERT_LABELS)
        con.execute(UPDATE_DOCUMENTS)
        con.execute("COMMIT")
    except duckdb.Error as exc:
        con.execute("ROLLBACK")
        raise LoadError(f"reclassification failed and was rolled back: {str(exc).splitlines()[0]}") from exc
    finally:
        con.unregister("_pw_documents")
        con.unregister("_pw_labels")
