"""Checks a command makes before any start-up: the folders it writes can be written, the warehouse is a file.

They turn what would surface as a traceback from deep inside Prefect or DuckDB (`OSError: [Errno 30]`,
`IsADirectoryError`) into one line naming the folder and what is needed, at once.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from parsers.errors import ConfigError
from warehouse.connection import check_file


def check_warehouse_path(db: Path) -> None:
    """A folder given as the warehouse is bad usage (exit 2); a file that is not DuckDB is refused untouched."""
    if db.is_dir():
        raise ConfigError(f"the warehouse {db} is a folder: give a file, e.g. --db {db / 'warehouse.duckdb'}")
    check_file(db)


def require_writable(folder: Path, *, command: str, keeps: str) -> None:
    """Create `folder` if missing; a ConfigError naming it when this process cannot write in it.

    `keeps` says what the command writes there, so the line tells the user why the folder matters.
    """
    needed = (
        f"`policywatch {command}` writes {keeps} there: make it writable, or point POLICYWATCH_HOME "
        "(or --db) at a folder you can write"
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ConfigError(f"{folder} is a file, not a folder: {needed}") from None
    except OSError as exc:
        raise ConfigError(f"cannot create {folder} ({_reason(exc.errno)}): {needed}") from None
    # access() answers for the file system too: a read-only mount refuses root as well (EROFS)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"{folder} is {_reason(_why_not_writable(folder))}: {needed}")


def _why_not_writable(folder: Path) -> int:
    statvfs = os.statvfs(folder)
    return errno.EROFS if statvfs.f_flag & os.ST_RDONLY else errno.EACCES


def _reason(code: int | None) -> str:
    if code == errno.EROFS:
        return "on a read-only file system"
    if code in (errno.EACCES, errno.EPERM):
        return "not writable by this user"
    return os.strerror(code) if code else "not writable"
