"""Compaction of the search index: the gram rows rewritten sorted by (gram, doc_key), as Lucene merges segments.

The indexer appends one run sorted by gram per chunk of 500 documents, so a common gram's rows lay in every
run and a lookup read hundreds of row groups. Compacted, a gram's rows are a few contiguous row groups that
zone maps find; the runs indexed since (the tail) stay small until they pass SHARE of the index, and the next
index step compacts again. core.gram_df is rewritten at the same time, one row per gram, counted from the
gram rows (whatever its summed changes said before).

Within the writer's 64 MiB cap: the rows are copied one range of grams at a time, ranges of at most RANGE_ROWS
rows cut by a histogram of the grams' first characters (by gram within a big one). DuckDB's own metadata is not
under the cap: the process peaked at 741 MiB compacting 257 M rows (a full scan of them alone: 337 MiB). Safe if
interrupted: the sorted copies are new tables that replace the old ones in the same transaction, so a failure
leaves the old index whole.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from parsers.grams import SHIFT
from warehouse.sql import quote_literal

__all__ = ["SHARE", "compact", "compact_if_due"]

# Compact when the documents indexed since the last compaction are more than this share of the index.
SHARE = 0.1
# Gram rows sorted per statement: ~20 bytes each, so a range sorts in about the writer's 64 MiB cap.
RANGE_ROWS = 2_000_000
FIRST = SHIFT  # a gram is first << SHIFT | second: its first character is gram >> SHIFT

# (documents indexed, documents indexed since the last compaction).
TAIL = """
SELECT count(*), count(*) FILTER (WHERE doc_key > (SELECT coalesce(max(base_key), -1) FROM core.search_compaction))
FROM core.search_documents
"""
HISTOGRAM = f"SELECT gram >> {FIRST} AS first, count(*) FROM core.document_grams GROUP BY first ORDER BY first"
# Rows per gram of one first character, for those with more than RANGE_ROWS (一 had 7.8 M at 200 000 documents:
# sorting them at once failed the 64 MiB cap).
FINER = "SELECT gram, count(*) FROM core.document_grams WHERE gram >= $lo AND gram < $hi GROUP BY gram ORDER BY gram"
# The replacements, created as the migration creates the tables (DuckLake: no constraints but NOT NULL).
CREATE = (
    "CREATE TABLE core.document_grams_next (gram BIGINT NOT NULL, doc_key INTEGER NOT NULL, field VARCHAR NOT NULL, "
    "tf INTEGER NOT NULL, mask UTINYINT NOT NULL)",
    "CREATE TABLE core.gram_df_next (gram BIGINT NOT NULL, df INTEGER NOT NULL)",
)
COPY_RANGE = """
INSERT INTO core.document_grams_next
SELECT gram, doc_key, field, tf, mask FROM core.document_grams WHERE gram >= $lo AND gram < $hi
ORDER BY gram, doc_key, field
"""
# Documents per gram, from the sorted copy (a DISTINCT, unlike count(DISTINCT ...), can spill to disk).
COUNT_RANGE = """
INSERT INTO core.gram_df_next
SELECT gram, count(*)
FROM (SELECT DISTINCT gram, doc_key FROM core.document_grams_next WHERE gram >= $lo AND gram < $hi)
GROUP BY gram ORDER BY gram
"""
# The view main.document_grams names the table: it reads the replacement once renamed.
SWAP = (
    "DROP TABLE core.document_grams",
    "ALTER TABLE core.document_grams_next RENAME TO document_grams",
    "DROP TABLE core.gram_df",
    "ALTER TABLE core.gram_df_next RENAME TO gram_df",
)
# Comments of the two tables and their columns, to carry over to the replacements.
COMMENTS = """
SELECT table_name, NULL, comment FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name = 'core' AND table_name IN ('document_grams', 'gram_df')
  AND comment IS NOT NULL
UNION ALL
SELECT table_name, column_name, comment FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = 'core' AND table_name IN ('document_grams', 'gram_df')
  AND comment IS NOT NULL
"""
RECORD = (
    "DELETE FROM core.search_compaction",
    """INSERT INTO core.search_compaction
       SELECT coalesce((SELECT max(doc_key) FROM core.search_documents), 0),
              (SELECT count(*) FROM core.document_grams), $now""",
)


def due(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the documents indexed since the last compaction are more than SHARE of the index."""
    row = con.execute(TAIL).fetchone()
    total, tail = (int(row[0]), int(row[1])) if row else (0, 0)
    return tail > 0 and tail > SHARE * total


def compact_if_due(con: duckdb.DuckDBPyConnection, now: datetime) -> bool:
    """Compact the index when its tail is due (outside a transaction); whether it did."""
    if not due(con):
        return False
    compact(con, now)
    return True


def compact(con: duckdb.DuckDBPyConnection, now: datetime) -> None:
    """Rewrite the gram rows sorted by (gram, doc_key) and the document frequencies one row per gram, in one
    transaction of its own (call it outside a transaction)."""
    con.execute("BEGIN TRANSACTION")
    try:
        comments = con.execute(COMMENTS).fetchall()
        for statement in CREATE:
            con.execute(statement)
        for lo, hi in ranges(_pieces(con), RANGE_ROWS):
            con.execute(COPY_RANGE, {"lo": lo, "hi": hi})
            con.execute(COUNT_RANGE, {"lo": lo, "hi": hi})
        for statement in SWAP:
            con.execute(statement)
        for table, column, text in comments:
            con.execute(_comment(table, column, text))
        con.execute(RECORD[0])
        con.execute(RECORD[1], {"now": now})
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _pieces(con: duckdb.DuckDBPyConnection) -> list[tuple[int, int]]:
    """(first gram, rows) of consecutive pieces of the gram rows: one per first character, or per gram for a
    first character of more than RANGE_ROWS rows; the last piece ends at the next first character."""
    out: list[tuple[int, int]] = []
    for first, count in con.execute(HISTOGRAM).fetchall():
        if count <= RANGE_ROWS:
            out.append((first << FIRST, count))
        else:
            bounds = {"lo": first << FIRST, "hi": (first + 1) << FIRST}
            out += [(gram, rows) for gram, rows in con.execute(FINER, bounds).fetchall()]
    if out:
        out.append((((out[-1][0] >> FIRST) + 1) << FIRST, 0))  # the end
    return out


def ranges(pieces: list[tuple[int, int]], most: int) -> list[tuple[int, int]]:
    """Gram ranges [lo, hi) covering the pieces (start, rows) but the last (the end), in order, each of at most
    `most` rows unless one piece alone has more."""
    out: list[tuple[int, int]] = []
    start, rows = None, 0
    for begin, count in pieces[:-1]:
        if start is not None and rows + count > most:
            out.append((start, begin))
            start, rows = None, 0
        start = begin if start is None else start
        rows += count
    if start is not None:
        out.append((start, pieces[-1][0]))
    return out


def _comment(table: str, column: str | None, text: str) -> str:
    """COMMENT ON takes no parameters: the text (from our own catalog) as a quoted literal."""
    target = f"TABLE core.{table}" if column is None else f"COLUMN core.{table}.{column}"
    return f"COMMENT ON {target} IS {quote_literal(text)}"
