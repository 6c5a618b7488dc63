"""Building the search index: character bigrams of each document's folded title and body (parsers/grams.py).

Chosen over the `fts` extension (measured in docs/benchmarks.md): this index is incremental (a night
re-indexes only its new and changed documents, right after the load commits), while `fts` rebuilds the
whole index on every change and is tied to DuckDB 1.5.5 through its wheel. Kept apart from
warehouse/search.py so that a query loads neither pyarrow nor numpy.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from parsers.grams import SHIFT, GramRows, gram_rows
from warehouse.batches import chunked, insert_table, keys, registered_table
from warehouse.search_body import BODY, TITLE, attached

__all__ = ["INDEX_VERSION", "index_documents"]

# The scheme search_documents rows are built by: 1 jieba terms (migration 6), 2 character bigrams, 3 bigrams
# with their positional masks (migration 15), 4 with document frequencies in core.gram_df (migration 16). A row
# of an older scheme is re-indexed like a changed text.
INDEX_VERSION = 4
# Documents per transaction and per batch of gram rows: 500 documents of ~2 KB are ~300 000 rows.
CHUNK = 500

# What a document contributes to search: warehouse/search_body.py. Its grams are kept at an index hash: its
# content_hash, or with attachment text, a hash of that and the texts' hashes, so a new, changed or newly
# read attachment re-indexes its document.
INDEX_HASH = "CASE WHEN a.hashes IS NULL THEN d.content_hash ELSE md5(d.content_hash || ':' || a.hashes) END"
# Documents whose grams are missing, older than their text (new, re-parsed, a new version, attachments read
# since: their hashes only, no text is read here) or built by an older scheme.
UNINDEXED = f"""
SELECT d.doc_id, d.rowid FROM core.documents d LEFT JOIN core.search_documents s USING (doc_id)
LEFT JOIN (SELECT doc_id, string_agg(text_hash, ',' ORDER BY position) AS hashes FROM core.attachments
           WHERE text IS NOT NULL GROUP BY doc_id) a USING (doc_id)
WHERE s.doc_id IS NULL OR s.content_hash <> {INDEX_HASH} OR coalesce(s.index_version, 1) <> $version
ORDER BY d.rowid
"""
# Given documents in the order they are stored (ids of documents that are gone last, rowid NULL).
STORED = """
SELECT i.doc_id, d.rowid FROM _pw_search_ids i LEFT JOIN core.documents d USING (doc_id) ORDER BY d.rowid NULLS LAST
"""
# {ids}: `$dN` placeholders. A constant IN list filters inside the scan; a semi-join on a registered
# table read every text of the warehouse for each chunk. Attachments are read for the listed documents only.
CONTRIBUTED = f"""core.documents d
LEFT JOIN ({attached("AND doc_id IN ({ids})", hashes=True)}) a USING (doc_id)"""
DOCS_TO_INDEX = f"""
SELECT d.doc_id, {TITLE}, {BODY}, {INDEX_HASH} FROM {CONTRIBUTED}
WHERE d.doc_id IN ({{ids}}) {{near}} ORDER BY d.doc_id
"""
# The IN list alone prunes nothing (doc ids are hashes: every row group spans them all), so each chunk read
# the text column of the whole warehouse: 334 ms a chunk at 200 000 documents, quadratic over a backfill.
# Chunks are cut in storage order and also bounded by rowid, which prunes row groups (55 ms). Only a hint:
# documents it misses (rowids moved by a checkpoint) are read again without it.
NEAR = "AND d.rowid BETWEEN $lo AND $hi"
# Rows of the grams table and the bytes of its persistent blocks (the benchmark's index size).
INDEX_SIZE = """
SELECT (SELECT count(*) FROM core.document_grams),
       (SELECT count(DISTINCT block_id) FROM pragma_storage_info('core.document_grams') WHERE persistent)
       * (SELECT block_size FROM pragma_database_size() WHERE database_name = current_database())
"""
# Re-indexed documents only: grams first (found through the keys of the rows about to go), then the rows.
# A chunk of new documents skips both (the DELETE scans the whole grams table).
INDEXED_KEYS = "SELECT doc_key FROM core.search_documents WHERE doc_id IN (SELECT doc_id FROM _pw_search_ids)"
CLEAR_GRAMS = "DELETE FROM core.document_grams WHERE doc_key IN (SELECT v FROM _pw_keys)"
# The documents about to go stop counting in their grams' document frequencies (see core.gram_df).
UNCOUNT = """
INSERT INTO core.gram_df
SELECT gram, -count(DISTINCT doc_key) FROM core.document_grams WHERE doc_key IN (SELECT v FROM _pw_keys) GROUP BY gram
"""
CLEAR_TERMS = "DELETE FROM core.document_terms WHERE doc_key IN (SELECT v FROM _pw_keys)"  # scheme 1 rows
CLEAR_INDEXED = "DELETE FROM core.search_documents WHERE doc_key IN (SELECT v FROM _pw_keys)"
# _pw_search_ids: (doc_id, content_hash, title_grams, body_grams) of the chunk, in doc_id order. Keys follow the
# largest in use rather than a sequence: DuckLake has none, and one writer at a time indexes. A key freed by a
# re-index may come back (its old gram rows are gone with it), but never one of the last compaction's: keys above
# its base_key are the tail (warehouse/search_compact.py).
INSERT_INDEXED = """
INSERT INTO core.search_documents (doc_key, doc_id, content_hash, title_grams, body_grams, index_version, indexed_at)
SELECT greatest((SELECT coalesce(max(doc_key), 0) FROM core.search_documents),
                (SELECT coalesce(max(base_key), 0) FROM core.search_compaction)) + row_number() OVER (ORDER BY doc_id),
       doc_id, content_hash, title_grams, body_grams, $version, $now
FROM _pw_search_ids
"""
NEW_KEYS = """
SELECT doc_id, doc_key FROM core.search_documents WHERE doc_id IN (SELECT doc_id FROM _pw_search_ids)
"""


def index_documents(
    con: duckdb.DuckDBPyConnection,
    doc_ids: list[str] | None = None,
    *,
    now: datetime | None = None,
    commit_each: bool = False,
) -> int:
    """(Re)index the given documents, or every document not indexed at its current text; returns the count.

    Runs no BEGIN/COMMIT unless `commit_each`: call it inside a transaction so grams and documents commit
    together. With `commit_each` (outside a transaction), every CHUNK documents commit on their own, so
    a backfill's grams never sit uncommitted in memory; an interrupted indexing resumes where it stopped.
    """
    if doc_ids is None:
        ids = con.execute(UNINDEXED, {"version": INDEX_VERSION}).fetchall()
    else:
        with registered_table(con, "_pw_search_ids", pa.table({"doc_id": pa.array(sorted(set(doc_ids)), pa.string())})):
            ids = con.execute(STORED).fetchall()
    stamp = (now or datetime.now(UTC)).replace(tzinfo=None)
    for chunk in chunked(ids, CHUNK):
        if commit_each:
            con.execute("BEGIN TRANSACTION")
        _index_chunk(con, chunk, stamp)
        if commit_each:
            con.execute("COMMIT")
    return len(ids)


def _index_chunk(con: duckdb.DuckDBPyConnection, stored: list[tuple[str, int | None]], now: datetime) -> None:
    ids = [doc_id for doc_id, _ in stored]
    docs = _documents(con, stored)
    with registered_table(con, "_pw_search_ids", pa.table({"doc_id": pa.array(ids, pa.string())})):
        indexed = [key for (key,) in con.execute(INDEXED_KEYS).fetchall()]
    if indexed:
        with keys(con, indexed, pa.int64()):
            con.execute(UNCOUNT)
            con.execute(CLEAR_GRAMS)
            con.execute(CLEAR_TERMS)
            con.execute(CLEAR_INDEXED)
    if not docs:  # ids of documents that are gone
        return
    rows = merged_rows(docs)
    lengths = np.bincount(rows.texts, weights=rows.counts, minlength=2 * len(docs)).astype(np.int64)
    found = pa.table(
        {
            "doc_id": pa.array([d[0] for d in docs], pa.string()),
            "content_hash": pa.array([d[3] for d in docs], pa.string()),
            "title_grams": pa.array(lengths[0::2], pa.int32()),
            "body_grams": pa.array(lengths[1::2], pa.int32()),
        }
    )
    with registered_table(con, "_pw_search_ids", found):
        con.execute(INSERT_INDEXED, {"now": now, "version": INDEX_VERSION})
        doc_keys = dict(con.execute(NEW_KEYS).fetchall())
    # The chunk's gram rows go in summed and sorted by gram by numpy (the same GROUP BY and ORDER BY in the
    # writer's one-thread DuckDB took most of the indexing time).
    key_of = np.array([doc_keys[d[0]] for d in docs], dtype=np.int32)
    field = pa.DictionaryArray.from_arrays(pa.array(rows.texts % 2, pa.int8()), pa.array(["title", "body"]))
    table = pa.table(
        {
            "gram": pa.array(rows.keys, pa.int64()),
            "doc_key": pa.array(key_of[rows.texts // 2], pa.int32()),
            "field": field,
            "tf": pa.array(rows.counts, pa.int32()),
            "mask": pa.array(rows.masks, pa.uint8()),
        }
    )
    insert_table(con, "core.document_grams", table)
    grams, df = document_frequencies(rows)
    insert_table(con, "core.gram_df", pa.table({"gram": pa.array(grams, pa.int64()), "df": pa.array(df, pa.int32())}))


def _documents(con: duckdb.DuckDBPyConnection, stored: list[tuple[str, int | None]]) -> list[tuple[Any, ...]]:
    """(doc_id, title, body, index hash) of the chunk's documents, in doc_id order (see NEAR)."""
    rowids = [rowid for _, rowid in stored if rowid is not None]
    docs = _read(con, [d for d, _ in stored], (min(rowids), max(rowids)) if rowids else None)
    missed = sorted({d for d, _ in stored} - {doc[0] for doc in docs})
    if missed and rowids:  # gone, or moved since the rowids were read
        docs = sorted(docs + _read(con, missed, None))
    return docs


def _read(con: duckdb.DuckDBPyConnection, ids: list[str], near: tuple[int, int] | None) -> list[tuple[Any, ...]]:
    query = DOCS_TO_INDEX.replace("{ids}", ", ".join(f"$d{i}" for i in range(len(ids))))
    params: dict[str, Any] = {f"d{i}": doc_id for i, doc_id in enumerate(ids)}
    if near is None:
        return con.execute(query.replace("{near}", ""), params).fetchall()
    return con.execute(query.replace("{near}", NEAR), params | {"lo": near[0], "hi": near[1]}).fetchall()


def merged_rows(docs: list[tuple[Any, ...]]) -> GramRows:
    """Gram rows of the documents' titles (text 2k) and bodies (2k+1), one per text and gram, sorted by gram.

    A text longer than a piece comes in more than one group of rows: those are summed here.
    """
    texts = [text for _, title, body, _ in docs for text in (title, body)]
    parts = list(gram_rows(texts))
    index, keys, counts, masks = (np.concatenate([p[i] for p in parts]) for i in range(4))
    if len(parts) > 1:  # the same (text, gram) may be in two groups
        combined = index << (2 * SHIFT) | keys
        unique, inverse = np.unique(combined, return_inverse=True)
        counts = np.bincount(inverse, weights=counts).astype(np.int64)
        merged = np.zeros(len(unique), dtype=np.int64)
        np.bitwise_or.at(merged, inverse, masks)
        index, keys, masks = unique >> (2 * SHIFT), unique & ((1 << (2 * SHIFT)) - 1), merged
    order = np.lexsort((index, keys))
    return GramRows(index[order], keys[order], counts[order], masks[order])


def document_frequencies(rows: GramRows) -> tuple[np.ndarray, np.ndarray]:
    """(grams, documents holding each) of merged rows: a gram in both a title and its body counts once."""
    documents = int(rows.texts.max()) // 2 + 1 if len(rows.texts) else 1
    pairs = np.unique(rows.keys.astype(np.int64) * documents + rows.texts // 2)  # keys < 2**42: no overflow
    grams, df = np.unique(pairs // documents, return_counts=True)
    return grams, df


def index_size(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(gram rows, bytes on disk) of the search index."""
    row = con.execute(INDEX_SIZE).fetchone()
    return (int(row[0]), int(row[1] or 0)) if row else (0, 0)
