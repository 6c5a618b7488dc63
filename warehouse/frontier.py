"""The frontier: every URL ever discovered, read by discovery and merged by the loader.

Load semantics: upsert on url; first_seen_at is kept, everything else takes the newest value;
`fetches` counts attempts. Its records (FrontierRow, FrontierState) are the core's: parsers.run.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from parsers.run import FrontierState
from parsers.urls import canonical_url
from warehouse import batches

LOOKUP = """
SELECT url, status, etag, last_modified, list_updated, fetches
FROM core.frontier WHERE url IN (SELECT v FROM _pw_keys)
"""
# A run's frontier news is staged here chunk by chunk, then upserted with one statement.
NEWS_TABLE = "temp.main.pw_frontier_news"
CREATE_NEWS = """
CREATE OR REPLACE TEMP TABLE pw_frontier_news (
    seq BIGINT, url VARCHAR, source_name VARCHAR, seen_at TIMESTAMP, status VARCHAR, fetched_at TIMESTAMP,
    http_status INTEGER, etag VARCHAR, last_modified VARCHAR, raw_sha256 VARCHAR, list_updated VARCHAR,
    title_hint VARCHAR, error VARCHAR
)
"""
DROP_NEWS = "DROP TABLE IF EXISTS temp.main.pw_frontier_news"
# One row per URL: its last fetch if it was fetched (or failed), else the first list that named it. MERGE rather
# than ON CONFLICT: it needs no key constraint, which a DuckLake table cannot have.
UPSERT_FROM_NEWS = """
MERGE INTO core.frontier AS frontier
USING (
    SELECT url, source_name, seen_at, fetched_at, status, http_status, etag, last_modified, raw_sha256,
           list_updated, title_hint, error, CASE WHEN fetched_at IS NULL THEN 0 ELSE 1 END AS fetches
    FROM temp.main.pw_frontier_news
    QUALIFY row_number() OVER (
        PARTITION BY url
        ORDER BY status <> 'discovered' DESC, CASE WHEN status = 'discovered' THEN -seq ELSE seq END DESC
    ) = 1
) AS excluded
ON frontier.url = excluded.url
WHEN MATCHED THEN UPDATE SET
    last_seen_at = excluded.seen_at,
    last_fetched_at = coalesce(excluded.fetched_at, frontier.last_fetched_at),
    status = CASE WHEN excluded.status = 'discovered' THEN frontier.status ELSE excluded.status END,
    http_status = coalesce(excluded.http_status, frontier.http_status),
    etag = coalesce(excluded.etag, frontier.etag),
    last_modified = coalesce(excluded.last_modified, frontier.last_modified),
    raw_sha256 = coalesce(excluded.raw_sha256, frontier.raw_sha256),
    list_updated = coalesce(excluded.list_updated, frontier.list_updated),
    title_hint = coalesce(excluded.title_hint, frontier.title_hint),
    error = CASE WHEN excluded.status = 'discovered' THEN frontier.error ELSE excluded.error END,
    fetches = frontier.fetches + excluded.fetches
WHEN NOT MATCHED THEN INSERT (
    url, source_name, first_seen_at, last_seen_at, last_fetched_at, status, http_status, etag, last_modified,
    raw_sha256, list_updated, title_hint, error, fetches
) VALUES (
    excluded.url, excluded.source_name, excluded.seen_at, excluded.seen_at, excluded.fetched_at, excluded.status,
    excluded.http_status, excluded.etag, excluded.last_modified, excluded.raw_sha256, excluded.list_updated,
    excluded.title_hint, excluded.error, excluded.fetches
)
"""


def lookup(con: duckdb.DuckDBPyConnection, urls: list[str]) -> dict[str, FrontierState]:
    """The frontier state of just these URLs: cost grows with what a list shows, not the warehouse."""
    if not urls:
        return {}
    canonical = {url: canonical_url(url) for url in urls}  # the loader stores canonical URLs
    with batches.keys(con, sorted(set(canonical.values())), pa.string()):
        rows = con.execute(LOOKUP).fetchall()
    found = {url: FrontierState(status, etag, lm, upd, n) for url, status, etag, lm, upd, n in rows}
    return {url: found[c] for url, c in canonical.items() if c in found}
