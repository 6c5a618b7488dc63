"""Numbered migrations: applied in order, each with its ledger row in one transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from parsers.errors import LoadError
from warehouse import lake

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

# The ledger lives outside `core` so that it exists before the first migration creates `core`.
CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS main.schema_migrations (
    version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)
"""
APPLIED = "SELECT version FROM main.schema_migrations ORDER BY version"
RECORD = "INSERT INTO main.schema_migrations VALUES (?, ?, ?)"


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered SQL file."""

    version: int
    name: str
    sql: str


def available() -> list[Migration]:
    """The migrations shipped with this code, in order."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _NAME.match(path.name)
        if match is None:
            raise LoadError(f"migration file name not NNNN_name.sql: {path.name}")
        found.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    return found


def applied(con: duckdb.DuckDBPyConnection, *, on_lake: bool = False) -> list[int]:
    """Versions already applied to this warehouse."""
    con.execute(for_ducklake(CREATE_LEDGER) if on_lake else CREATE_LEDGER)
    return [row[0] for row in con.execute(APPLIED).fetchall()]


def migrate(con: duckdb.DuckDBPyConnection, *, upto: int | None = None) -> list[int]:
    """Apply every pending migration (or those up to `upto`); refuse a warehouse written by newer code."""
    on_lake = lake.is_lake(con)
    done = set(applied(con, on_lake=on_lake))
    known = available()
    newest = max((m.version for m in known), default=0)
    if done and max(done) > newest:
        raise LoadError(
            f"warehouse is at migration {max(done)} but this code knows only up to {newest}: upgrade PolicyWatch"
        )
    ran = []
    for migration in known:
        if migration.version in done or (upto is not None and migration.version > upto):
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            _execute(con, migration.sql, on_lake=on_lake)
            con.execute(RECORD, [migration.version, migration.name, datetime.now(UTC).replace(tzinfo=None)])
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise LoadError(f"migration {migration.version:04d}_{migration.name} failed: {exc}") from exc
        ran.append(migration.version)
    return ran


# DuckLake's dialect, derived from the one set of migration files (an applied migration is never edited):
# it has no PRIMARY KEY/UNIQUE constraints (a key column stays NOT NULL; the loader keeps keys unique and
# its upserts are MERGE statements, which need no constraint), no sequences, no comments on a view's
# columns (comments on tables, their columns and views work), no DEFAULT on a list column (no migration
# gives one: DuckDB 1.5.5 fails it on a full table too), and no SET NOT NULL on a table holding rows.
_TABLE_KEY = re.compile(r",\s*PRIMARY KEY\s*\([^)]*\)", re.IGNORECASE)
_COLUMN_KEY = re.compile(r"\s+PRIMARY KEY\b", re.IGNORECASE)
# DuckLake checks SET NOT NULL against its files' statistics, which rows inlined in the catalog lack ("no
# column stats are available"): skipped, the loader never writes a null there.
_SET_NOT_NULL = re.compile(r"\bALTER\s+COLUMN\s+\w+\s+SET\s+NOT\s+NULL\b", re.IGNORECASE)
_SEQUENCE = re.compile(r"^\s*CREATE\s+SEQUENCE\b", re.IGNORECASE | re.MULTILINE)
_COLUMN_COMMENT = re.compile(
    r"^\s*COMMENT\s+ON\s+COLUMN\s+(?P<schema>\w+)\.(?P<name>\w+)\.\w+\s+IS\b", re.IGNORECASE | re.MULTILINE
)
IS_VIEW = """
SELECT count(*) FROM duckdb_views()
WHERE database_name = current_database() AND schema_name = ? AND view_name = ?
"""


def for_ducklake(statement: str) -> str:
    """A CREATE statement with its key constraints removed (key columns stay NOT NULL)."""
    return _COLUMN_KEY.sub(" NOT NULL", _TABLE_KEY.sub("", statement))


def _execute(con: duckdb.DuckDBPyConnection, script: str, *, on_lake: bool) -> None:
    """Run one migration's SQL: whole on the embedded file; statement by statement in DuckLake's dialect."""
    if not on_lake:
        con.execute(script)
        return
    for text in statements(script):
        if _SEQUENCE.search(text) or _SET_NOT_NULL.search(text) or _comments_view_column(con, text):
            continue
        con.execute(for_ducklake(text) if _CREATE.search(text) else text)


_CREATE = re.compile(r"^\s*CREATE\b", re.IGNORECASE | re.MULTILINE)
# What may hold a `;` that does not end a statement: strings, quoted names, comments.
_QUOTED_OR_COMMENT = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.DOTALL)


def statements(script: str) -> list[str]:
    """The statements of a SQL script, split at each `;` outside strings, quoted names and comments.

    Not `duckdb.extract_statements`: its text of a statement DuckDB expands (an ADD COLUMN with a list
    DEFAULT becomes five) is empty.
    """
    found, start, position = [], 0, 0
    while (semicolon := script.find(";", position)) != -1:
        skipped = _QUOTED_OR_COMMENT.search(script, position)
        if skipped is not None and skipped.start() < semicolon:
            position = skipped.end()
            continue
        found.append(script[start:semicolon])
        start = position = semicolon + 1
    found.append(script[start:])
    return [text for text in found if _QUOTED_OR_COMMENT.sub("", text).strip()]


def _comments_view_column(con: duckdb.DuckDBPyConnection, text: str) -> bool:
    found = _COLUMN_COMMENT.search(text)
    if found is None:
        return False
    row = con.execute(IS_VIEW, [found["schema"], found["name"]]).fetchone()
    return row is not None and row[0] > 0
