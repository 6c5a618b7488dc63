"""Opening the warehouse: one writer at a time, clear one-line errors, migrations applied."""

from __future__ import annotations

import fcntl
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import duckdb

from parsers.errors import LoadError, WarehouseBusyError, WarehouseHeldError
from warehouse import lake as lake_config
from warehouse import sql
from warehouse.migrate import migrate

DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of every DuckDB database file


def check_file(path: Path) -> None:
    """Refuse a file that exists but is not a DuckDB database, before DuckDB touches it."""
    if path.is_dir():
        raise LoadError(f"{path} is a folder, not a warehouse file")
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


# DuckDB names the process holding a file's lock: `Conflicting lock is held in /usr/bin/python3 (PID 5051)`.
_HOLDER = re.compile(r"held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")
# A writer waiting for a file another program holds open polls at growing intervals, up to this one.
MAX_POLL_SECONDS = 15.0


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
            raise _held(path, str(exc)) from exc
        raise LoadError(f"cannot open {path}: {str(exc).splitlines()[0]}") from exc
    except duckdb.Error as exc:
        raise LoadError(f"cannot open {path}: {str(exc).splitlines()[0]}") from exc


def _held(path: Path, message: str) -> WarehouseBusyError:
    """The true reason a file is locked: which program holds it, when DuckDB says."""
    found = _HOLDER.search(message)
    if found is None:
        return WarehouseBusyError(f"{path} is in use by another process; try again later")
    program = Path(found["program"]).name
    return WarehouseBusyError(f"{path} is in use by another process ({program}, PID {found['pid']}); try again later")


def _connect_waiting(path: Path, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    """A write connection; while another program holds the file open, wait for it with backoff, for a bounded time.

    A run's load must not fail at once because an analyst left a DuckDB session open on the main file,
    nor wait for it forever: past `wait_seconds` it fails naming the program that holds the file.
    """
    started, pause = time.monotonic(), 0.25
    while True:
        try:
            return _connect(path, read_only=False)
        except WarehouseBusyError as exc:
            waited = time.monotonic() - started
            if waited >= wait_seconds:
                if wait_seconds <= 0:
                    raise
                reason = str(exc).removesuffix("; try again later")
                raise WarehouseHeldError(
                    f"{reason}, still after waiting {waited:.0f} s: close that session "
                    f"(analysts can query {path.stem}.read.duckdb) and try again"
                ) from exc
            time.sleep(min(pause, wait_seconds - waited))
            pause = min(pause * 2, MAX_POLL_SECONDS)


def _connect_writer(path: Path) -> duckdb.DuckDBPyConnection:
    """The file attached under its usual name (its stem) with small row groups, spilling to `<file>.tmp`."""
    con = duckdb.connect(config={**writer_config(), "temp_directory": f"{path}.tmp"})
    try:
        con.execute(sql.attach_writer(str(path), path.stem, WRITER_ROW_GROUP))
    except BaseException:
        con.close()
        raise
    return con


def _spill() -> str:
    """Where a lake writer spills what does not fit its memory cap: a folder of its own in the temp folder."""
    return str(Path(tempfile.gettempdir()) / f"policywatch-lake-{os.getpid()}.tmp")


def cursor_on_same_database(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A new cursor of a connection, on the database the connection uses (a cursor starts on the
    instance's default one, which for the writer is not the attached warehouse)."""
    row = con.execute("SELECT current_database()").fetchone()
    cursor = con.cursor()
    if row is not None:
        cursor.execute(sql.use(row[0]))
    return cursor


# Locks this process holds, by lock file (or lake), with how deep: the CLI holds the lock for the flow it
# starts (so a second command started meanwhile is refused before its own start-up), and the flow, which
# takes it too when a worker runs it, nests inside.
_HELD: dict[str, int] = {}
_HELD_GUARD = threading.Lock()


def _open_lock_file(lock_path: Path) -> IO[str]:
    """The lock file, created with its folder; a folder that cannot be written is a LoadError naming it."""
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        return lock_path.open("a+")
    except OSError as exc:
        raise LoadError(f"cannot write the lock file {lock_path}: {exc.strerror or exc}") from exc


@contextmanager
def writer_lock(path: Path, *, wait: bool = False) -> Iterator[None]:
    """Hold the writer lock so that two runs never write at once; the second exits unless it may wait.

    The embedded file's lock is an flock on `<db>.lock`; a lake's is an advisory lock in its PostgreSQL
    catalog, which serves every machine. Re-entrant within a process: a flow started by a command that
    already holds the lock runs under it.
    """
    lake = lake_config.configured()
    key = str(lake) if lake is not None else str(path.with_name(path.name + ".lock").absolute())
    with _HELD_GUARD:
        nested = _HELD.get(key, 0) > 0
        if nested:
            _HELD[key] += 1
    if nested:
        try:
            yield
        finally:
            with _HELD_GUARD:
                _HELD[key] -= 1
        return
    held = lake_config.run_lock(lake, wait=wait) if lake is not None else _file_lock(Path(key), path, wait=wait)
    with held:
        with _HELD_GUARD:
            _HELD[key] = 1
        try:
            yield
        finally:
            with _HELD_GUARD:
                del _HELD[key]


@contextmanager
def _file_lock(lock_path: Path, path: Path, *, wait: bool) -> Iterator[None]:
    with _open_lock_file(lock_path) as handle:
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
def open_writer(path: Path, *, wait_seconds: float = 0.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A migrated read-write connection; close it as soon as the load is done.

    `wait_seconds`: how long to wait for another program to close the file (the nightly run's stages
    wait; a command a person types fails at once).
    """
    lake = lake_config.configured()
    if lake is not None:
        # No file to wait for: DuckLake's writers commit optimistically (a conflict fails the transaction,
        # and the stage's retry runs it again); runs take turns under writer_lock.
        con = lake_config.connect(lake, read_only=False, config={**writer_config(), "temp_directory": _spill()})
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        con = _connect_waiting(path, wait_seconds)
    try:
        migrate(con)
        yield con
    finally:
        con.close()


@contextmanager
def open_reader(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection for queries (digest, search, analysts); on a lake, its last committed snapshot."""
    lake = lake_config.configured()
    con = lake_config.connect(lake, read_only=True) if lake is not None else _connect(path, read_only=True)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def open_reader_if_exists(path: Path) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A read-only connection, or None when there is no warehouse yet (a first run knows nothing)."""
    if lake_config.configured() is None and not path.exists():
        yield None
        return
    with open_reader(path) as con:
        yield con
