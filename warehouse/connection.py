"""Opening the warehouse: one writer at a time, clear one-line errors, migrations applied."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from parsers.errors import LoadError, WarehouseBusyError
from warehouse import sql
from warehouse.migrate import migrate

DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of every DuckDB database file


def check_file(path: Path) -> None:
    """Refuse a file that exists but is not a DuckDB database, before DuckDB touches it."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb") as handle:
        header = handle.read(12)
    if header[8:12] != DUCKDB_MAGIC:
        raise LoadError(f"{path} is not a DuckDB warehouse (refusing to touch it)")


# The writer's DuckDB is capped so that a backfill spills its uncommitted rows to `<file>.tmp` instead of
# holding them (100 000 documents in one transaction: 2.0 GB uncapped). Nothing of a load is pinned for
# the whole transaction since migration 0008 (the row tables' key indexes were, and failed a capped
# backfill). One thread: DuckDB's per-thread allocations grew ~1.4 KB per document loaded with two,
# ~0.7 with one, and the load is never the slow stage of a run. 64 MiB rather than 128: a backfill's
# flow process peaked ~50 MB lower for a load ~20 % slower (30 000 documents: 24.7 s against 20.2 s).
# POLICYWATCH_DUCKDB_MEMORY ("1GB") and POLICYWATCH_DUCKDB_THREADS raise them for a faster bulk load on
# a bigger machine.
WRITER_MEMORY = "64MiB"
WRITER_THREADS = "1"
# Rows per row group written by the writer (DuckDB's default: 122 880). A checkpoint compresses a row
# group's column at once, so a backfill's COMMIT took a row group of text, ~300 MB at 100 000 documents,
# above the cap; at 8 192 rows a row group's text is ~25 MB. Not a property of the file: set per ATTACH.
WRITER_ROW_GROUP = 8_192


def writer_config() -> dict[str, str]:
    """DuckDB settings of the write connection: its memory cap and threads, from the environment or the defaults."""
    return {
        "memory_limit": os.environ.get("POLICYWATCH_DUCKDB_MEMORY") or WRITER_MEMORY,
        "threads": os.environ.get("POLICYWATCH_DUCKDB_THREADS") or WRITER_THREADS,
    }


def _connect(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    check_file(path)
    if read_only and not path.exists():
        raise LoadError(f"no warehouse at {path}: run `policywatch run` first")
    try:
        if read_only:
            return duckdb.connect(str(path), read_only=True)
        return _connect_writer(path)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            message = f"{path} is in use by another process (a run is loading); try again later"
            raise WarehouseBusyError(message) from exc
        raise LoadError(f"cannot open {path}: {str(exc).splitlines()[0]}") from exc
    except duckdb.Error as exc:
        raise LoadError(f"cannot open {path}: {str(exc).splitlines()[0]}") from exc


def _connect_writer(path: Path) -> duckdb.DuckDBPyConnection:
    """The file attached under its usual name (its stem) with small row groups, spilling to `<file>.tmp`."""
    con = duckdb.connect(config={**writer_config(), "temp_directory": f"{path}.tmp"})
    try:
        con.execute(sql.attach_writer(str(path), path.stem, WRITER_ROW_GROUP))
    except BaseException:
        con.close()
        raise
    return con


def cursor_on_same_database(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A new cursor of a connection, on the database the connection uses (a cursor starts on the
    instance's default one, which for the writer is not the attached warehouse)."""
    row = con.execute("SELECT current_database()").fetchone()
    cursor = con.cursor()
    if row is not None:
        cursor.execute(sql.use(row[0]))
    return cursor


@contextmanager
def writer_lock(path: Path, *, wait: bool = False) -> Iterator[None]:
    """Hold `<db>.lock` so that two runs never write at once; the second exits unless it may wait."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    with lock_path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as exc:
            raise WarehouseBusyError(f"another PolicyWatch run is writing {path}; try again when it ends") from exc
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def open_writer(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A migrated read-write connection; close it as soon as the load is done."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = _connect(path, read_only=False)
    try:
        migrate(con)
        yield con
    finally:
        con.close()


@contextmanager
def open_reader(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection for queries (digest, search, analysts)."""
    con = _connect(path, read_only=True)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def open_reader_if_exists(path: Path) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A read-only connection, or None when there is no warehouse yet (a first run knows nothing)."""
    if not path.exists():
        yield None
        return
    with open_reader(path) as con:
        yield con


def ensure_not_busy(path: Path) -> None:
    """Fail at once, with a one-line reason, when another run holds the warehouse for writing."""
    with writer_lock(path):
        pass
