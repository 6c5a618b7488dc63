"""Opening the warehouse: one writer at a time, clear one-line errors, migrations applied."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from parsers.errors import LoadError, WarehouseBusyError
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


# POLICYWATCH_DUCKDB_MEMORY (e.g. "512MB") caps the writer's DuckDB buffer; uncommitted rows then spill
# to `<file>.tmp` (40 000 documents in one transaction: RSS flat at 470–570 MB with 128 MB, 2.0 GB
# uncapped). Not capped by default: some of a large load's memory cannot spill (a 100 000-document
# backfill failed at 128 MB with "failed to pin block"), and a failed load is worse than a big one.
WRITER_MEMORY: str | None = None


def _connect(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    check_file(path)
    if read_only and not path.exists():
        raise LoadError(f"no warehouse at {path}: run `policywatch run` first")
    try:
        if read_only:
            return duckdb.connect(str(path), read_only=True)
        memory = os.environ.get("POLICYWATCH_DUCKDB_MEMORY", WRITER_MEMORY)
        return duckdb.connect(str(path), config={"memory_limit": memory} if memory else {})
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            message = f"{path} is in use by another process (a run is loading); try again later"
            raise WarehouseBusyError(message) from exc
        raise LoadError(f"cannot open {path}: {str(exc).splitlines()[0]}") from exc
    except duckdb.Error as exc:
        raise LoadError(f"cannot open {path}: {str(exc).splitlines()[0]}") from exc


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
