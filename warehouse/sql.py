"""Named SQL of the loader and the run ledger; values always bound as parameters."""

from __future__ import annotations

import re

_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


def quote_ident(name: str) -> str:
    """Quote an identifier (schema-qualified allowed) after checking it is a plain name."""
    parts = name.split(".")
    if not all(_IDENT.match(p) for p in parts):
        raise ValueError(f"not a plain identifier: {name!r}")
    return ".".join(f'"{p}"' for p in parts)


def insert_from_batch(table: str, columns: list[str]) -> str:
    """INSERT of the registered Arrow batch `_pw_batch` into a table, columns matched by name."""
    cols = ", ".join(quote_ident(c) for c in columns)
    return f"INSERT INTO {quote_ident(table)} ({cols}) SELECT {cols} FROM _pw_batch"


# Everything dedup needs about the documents already loaded (issue 6 makes this incremental).
DEDUP_INDEX = "SELECT doc_id, content_hash, minhash, url, version FROM core.documents"
SIGHTING_URLS = "SELECT url, doc_id FROM core.document_sightings"
DOCUMENT_TITLES = "SELECT doc_id, title FROM core.documents WHERE title IS NOT NULL"
DOCUMENTS_CITING = "SELECT doc_id FROM core.documents WHERE list_contains(cited_titles, ?)"

UPDATE_DOCUMENT_VERSION = """
UPDATE core.documents SET title = ?, published_on = ?, signed_on = ?, updated_at = ?, issuers = ?,
    doc_number = ?, regions = ?, doc_type = ?, relevant = ?, text = ?, summary = ?, keywords = ?,
    content_hash = ?, minhash = ?, cited_titles = ?, version = ?, taxonomy_version = ?
WHERE doc_id = ?
"""
DELETE_LABELS = "DELETE FROM core.document_labels WHERE doc_id = ?"
INSERT_LINK = "INSERT OR IGNORE INTO core.document_links VALUES (?, ?, ?, ?, ?)"

# consecutive_failures: reset on success, else grow; items_seen accumulates.
UPSERT_SOURCE_HEALTH = """
INSERT INTO core.source_health
    (source_name, kind, last_attempt_at, last_success_at, consecutive_failures, last_error, items_seen,
     last_items, drifted, drift_reason)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (source_name) DO UPDATE SET
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
"""

START_RUN = "INSERT INTO core.runs (run_id, flow, started_at, status) VALUES (?, ?, ?, 'running')"
# A run still 'running' when a new one starts under the writer lock died without finishing.
MARK_CRASHED = """
UPDATE core.runs SET status = 'crashed', error = 'the process ended before the run finished'
WHERE status = 'running' AND flow = ?
"""
FAIL_RUN = "UPDATE core.runs SET finished_at = ?, status = 'failed', error = ? WHERE run_id = ?"
FINISH_RUN = """
UPDATE core.runs SET finished_at = ?, status = ?, sources = ?, sources_failed = ?, pages = ?,
    new_documents = ?, new_versions = ?, duplicates = ?, unchanged = ?, failures = ?, summary = ?
WHERE run_id = ?
"""
RUN_SUMMARY = "SELECT status, summary FROM core.runs WHERE run_id = ?"
KNOWN_RAW = "SELECT DISTINCT url, raw_sha256 FROM core.pages WHERE source_name = ? AND raw_sha256 IS NOT NULL"
CLOSE_RUN = "UPDATE core.runs SET finished_at = ?, status = ?, summary = ? WHERE run_id = ?"
