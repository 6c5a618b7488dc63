"""Numbered migrations: applied in order, each with its ledger row in one transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from parsers.errors import LoadError

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


def applied(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Versions already applied to this warehouse."""
    con.execute(CREATE_LEDGER)
    return [row[0] for row in con.execute(APPLIED).fetchall()]


def migrate(con: duckdb.DuckDBPyConnection, *, upto: int | None = None) -> list[int]:
    """Apply every pending migration (or those up to `upto`); refuse a warehouse written by newer code."""
    done = set(applied(con))
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
            con.execute(migration.sql)
            con.execute(RECORD, [migration.version, migration.name, datetime.now(UTC).replace(tzinfo=None)])
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise LoadError(f"migration {migration.version:04d}_{migration.name} failed: {exc}") from exc
        ran.append(migration.version)
    return ran
