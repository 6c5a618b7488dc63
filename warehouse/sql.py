"""Named SQL of the loader and the run ledger; values always bound as parameters."""

from __future__ import annotations

import re
from collections.abc import Iterable

_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")

# Document ids are bound as one string, split in SQL: DuckDB 1.5.5 tries to import pandas twice for every
# value it binds (a list's elements too), ~0.6 ms each when pandas is not installed, so 50 ids bound one by
# one cost ~60 ms and 4 000 as a list several seconds; and an Arrow table of keys costs importing pyarrow
# where nothing else needs it. A doc_id never holds the separator (hex digests).
ID_SEPARATOR = ","
LISTED = f"list_contains(string_split($ids::VARCHAR, '{ID_SEPARATOR}'), {{column}})"


def listed_ids(ids: Iterable[str]) -> dict[str, str]:
    """The parameters of a statement using LISTED: the ids joined."""
    return {"ids": ID_SEPARATOR.join(ids)}


def quote_literal(text: str) -> str:
    """Text as an SQL string literal (a quote inside doubled): for the statements DuckDB binds no parameter in
    (ATTACH, LOAD, COPY … TO, COMMENT ON)."""
    return "'" + text.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    """Quote an identifier (schema-qualified allowed) after checking it is a plain name."""
    parts = name.split(".")
    if not all(_IDENT.match(p) for p in parts):
        raise ValueError(f"not a plain identifier: {name!r}")
    return ".".join(f'"{p}"' for p in parts)


def update_by_key(table: str, columns: list[str], key: str) -> str:
    """UPDATE of the named columns of one row: `SET "a" = ?, "b" = ? WHERE "key" = ?`, values bound in that order."""
    if not columns:
        raise ValueError(f"an update of {table} needs at least one column")
    assignments = ", ".join(f"{quote_ident(c)} = ?" for c in columns)
    return f"UPDATE {quote_ident(table)} SET {assignments} WHERE {quote_ident(key)} = ?"


def attach_writer(path: str, alias: str, row_group_size: int) -> str:
    """ATTACH of the warehouse file for writing. DuckDB takes no parameters in ATTACH, so the path and
    alias are quoted here (a quote inside is doubled), and the size is an int."""
    return f"ATTACH {quote_literal(path)} AS {_any_ident(alias)} (ROW_GROUP_SIZE {int(row_group_size)}); {use(alias)}"


def use(database: str) -> str:
    """USE of a database by name (any name: a quote inside is doubled)."""
    return f"USE {_any_ident(database)}"


def _any_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


TABLE_COLUMNS = """
SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? ORDER BY column_index
"""

# Statements reading `_pw_keys` look up the values registered by warehouse.batches.keys.
# Dedup reads only what touches this run's pages (issue 6): their URLs, hashes and LSH buckets.
# A URL belongs to the document it was sighted as, or that it is the canonical URL of.
DOCS_BY_URL = """
SELECT url, doc_id FROM core.document_sightings WHERE url IN (SELECT v FROM _pw_keys)
UNION SELECT url, doc_id FROM core.documents WHERE url IN (SELECT v FROM _pw_keys)
"""
DOCS_BY_HASH = "SELECT doc_id FROM core.documents WHERE content_hash IN (SELECT v FROM _pw_keys)"
DOCS_BY_BUCKET = "SELECT DISTINCT doc_id FROM core.document_bands WHERE bucket IN (SELECT v FROM _pw_keys)"
KNOWN_DOCS = """
SELECT doc_id, content_hash, minhash, version, canonical_key, url, published_on
FROM core.documents WHERE doc_id IN (SELECT v FROM _pw_keys)
"""
# Documents whose bands, keys and citations are missing or older than their text: loaded before
# migration 0005, or re-parsed since. Normally none: the ids are a scan of two short columns, and
# only their rows are then read (a filter on the whole row reads every text: seconds at 100 000).
STALE_IDS = "SELECT doc_id FROM core.documents WHERE indexed_hash IS DISTINCT FROM content_hash"
STALE_DOCS = """
SELECT doc_id, title, doc_number, doc_type, text, url, published_on, canonical_key
FROM core.documents WHERE doc_id IN (SELECT v FROM _pw_keys) ORDER BY doc_id
"""
# Re-signed signatures and canonical keys of stale documents, from the registered batch.
RESIGN_FROM_BATCH = """
UPDATE core.documents AS d SET minhash = b.minhash, canonical_key = b.canonical_key
FROM _pw_batch AS b WHERE d.doc_id = b.doc_id
"""
CLEAR_BANDS = "DELETE FROM core.document_bands WHERE doc_id IN (SELECT v FROM _pw_keys)"
CLEAR_KEYS = "DELETE FROM core.document_keys WHERE doc_id IN (SELECT v FROM _pw_keys)"
CLEAR_CITATIONS = "DELETE FROM core.document_citations WHERE doc_id IN (SELECT v FROM _pw_keys)"
MARK_INDEXED = "UPDATE core.documents SET indexed_hash = content_hash WHERE doc_id IN (SELECT v FROM _pw_keys)"
# Cites links touching the given documents, both ways: they cite a known key, or are cited by one.
# Links already there are kept (NOT EXISTS rather than INSERT OR IGNORE, which needs a key constraint).
LINK_CITATIONS = """
INSERT INTO core.document_links
SELECT c.doc_id, k.doc_id, 'cites', min(c.key), ?
FROM core.document_citations AS c JOIN core.document_keys AS k ON k.key = c.key AND k.kind = c.kind
WHERE c.doc_id <> k.doc_id
  AND (c.doc_id IN (SELECT v FROM _pw_keys) OR k.doc_id IN (SELECT v FROM _pw_keys))
  AND NOT EXISTS (SELECT 1 FROM core.document_links AS l
                  WHERE l.from_doc_id = c.doc_id AND l.to_doc_id = k.doc_id AND l.relation = 'cites')
GROUP BY c.doc_id, k.doc_id
"""

DELETE_LABELS = "DELETE FROM core.document_labels WHERE doc_id = ?"

# consecutive_failures: reset on success, else grow; items_seen accumulates. MERGE: no key constraint needed
# (a DuckLake table cannot have one).
UPSERT_SOURCE_HEALTH = """
MERGE INTO core.source_health AS source_health
USING (
    SELECT ?::VARCHAR AS source_name, ?::VARCHAR AS kind, ?::TIMESTAMP AS last_attempt_at,
           ?::TIMESTAMP AS last_success_at, ?::INTEGER AS consecutive_failures, ?::VARCHAR AS last_error,
           ?::BIGINT AS items_seen, ?::INTEGER AS last_items, ?::BOOLEAN AS drifted, ?::VARCHAR AS drift_reason
) AS excluded
ON source_health.source_name = excluded.source_name
WHEN MATCHED THEN UPDATE SET
    kind = excluded.kind,
    last_attempt_at = excluded.last_attempt_at,
    last_success_at = coalesce(excluded.last_success_at, source_health.last_success_at),
    consecutive_failures = CASE WHEN excluded.consecutive_failures = 0 THEN 0
                                ELSE source_health.consecutive_failures + 1 END,
    last_error = excluded.last_error,
    items_seen = source_health.items_seen + excluded.items_seen,
    last_items = excluded.last_items,
    drifted = excluded.drifted,
    drift_reason = excluded.drift_reason
WHEN NOT MATCHED THEN INSERT BY NAME
"""

START_RUN = "INSERT INTO core.runs (run_id, flow, started_at, status) VALUES (?, ?, ?, 'running')"
# A run still 'running' when a new one starts under the writer lock died without finishing.
MARK_CRASHED = """
UPDATE core.runs SET status = 'crashed', finished_at = ?,
    error = 'the process ended before the run finished (finished_at: when a later run found it)'
WHERE status = 'running' AND flow = ?
"""
# A run whose load failed where it could not write its own row (the file was held): the next run writes it.
MARK_FAILED = """
UPDATE core.runs SET status = 'failed', finished_at = ?, error = ? WHERE run_id = ? AND status = 'running'
"""
FAIL_RUN = "UPDATE core.runs SET finished_at = ?, status = 'failed', error = ? WHERE run_id = ?"
FINISH_RUN = """
UPDATE core.runs SET finished_at = ?, status = ?, sources = ?, sources_failed = ?, pages = ?,
    new_documents = ?, new_versions = ?, duplicates = ?, unchanged = ?, failures = ?, summary = ?
WHERE run_id = ?
"""
# A reparse's row counts the archived pages it re-read, not only the recovered ones its load wrote.
SET_RUN_PAGES = "UPDATE core.runs SET pages = ? WHERE run_id = ?"
RUN_SUMMARY = "SELECT status, summary FROM core.runs WHERE run_id = ?"
KNOWN_RAW = "SELECT DISTINCT url, raw_sha256 FROM core.pages WHERE source_name = ? AND raw_sha256 IS NOT NULL"
CLOSE_RUN = "UPDATE core.runs SET finished_at = ?, status = ?, summary = ? WHERE run_id = ?"
