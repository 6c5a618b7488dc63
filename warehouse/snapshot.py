"""The read path during a load: an atomically published read-only copy of the warehouse.

DuckDB lets no other process open a file while one writes to it, and a process that holds it open,
even read-only, keeps the nightly run from writing. So after each load the writer publishes a copy
(`warehouse.read.duckdb` next to `warehouse.duckdb`): checkpoint, copy to a temporary file in the same
folder, fsync, then os.replace. Readers of the old copy keep their open file; new readers get the new
one; a failed copy (a full disk) leaves the previous copy as it was.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import duckdb

from parsers.errors import LoadError, WarehouseBusyError
from warehouse import lake
from warehouse.connection import check_file, open_reader

__all__ = ["open_for_reading", "publish_read_copy", "read_copy_path"]

CHECKPOINT = "CHECKPOINT"  # folds the WAL into the file, so the bytes copied are the whole database


def read_copy_path(db_path: Path) -> Path:
    """Where the read copy of a warehouse lives: `warehouse.read.duckdb` next to `warehouse.duckdb`."""
    return db_path.with_name(f"{db_path.stem}.read{db_path.suffix or '.duckdb'}")


def publish_read_copy(db_path: Path, *, con: duckdb.DuckDBPyConnection | None = None) -> Path | None:
    """Checkpoint the warehouse and atomically replace its read copy; returns the copy's path.

    Call it after a load has committed: with the writer's connection `con` while it is still open,
    or with none after it is closed (then it opens the file briefly itself). A lake needs no copy (its
    readers see the last committed snapshot, never blocked by a load): None, nothing done.
    """
    if lake.configured() is not None:
        return None
    db_path = Path(db_path)
    _checkpoint(db_path, con)
    target = read_copy_path(db_path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(db_path, temporary)
        with temporary.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        _fsync_dir(target.parent)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        reason = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        raise LoadError(f"cannot publish the read copy {target}: {reason} (the previous copy is unchanged)") from exc
    return target


def _checkpoint(db_path: Path, con: duckdb.DuckDBPyConnection | None) -> None:
    try:
        if con is not None:
            con.execute(CHECKPOINT)
            return
        check_file(db_path)
        if not db_path.exists():
            raise LoadError(f"no warehouse at {db_path}: run `policywatch run` first")
        with duckdb.connect(str(db_path)) as own:
            own.execute(CHECKPOINT)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WarehouseBusyError(f"{db_path} is in use by another process; publish the copy from it") from exc
        raise LoadError(f"cannot checkpoint {db_path}: {str(exc).splitlines()[0]}") from exc
    except duckdb.Error as exc:
        raise LoadError(f"cannot checkpoint {db_path}: {str(exc).splitlines()[0]}") from exc


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (a crash right after must not bring the old copy back)."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def open_for_reading(db_path: Path) -> Iterator[tuple[duckdb.DuckDBPyConnection, Path]]:
    """A read-only connection to the warehouse, or to its read copy while a run holds the warehouse.

    On a lake, the lake attached read-only: a load never holds it, so there is no copy to fall back to."""
    db_path = Path(db_path)
    stack = ExitStack()
    try:
        con, used = stack.enter_context(open_reader(db_path)), db_path
    except WarehouseBusyError:
        used = read_copy_path(db_path)
        if not used.exists():
            raise
        con = stack.enter_context(open_reader(used))
    with stack:
        yield con, used
