"""The warehouse on DuckLake: where the lake is, attaching it, and its writer lock.

`POLICYWATCH_WAREHOUSE=ducklake:postgres:dbname=pw host=db port=5432 user=pw` keeps the catalog in
PostgreSQL and the data as Parquet files under `POLICYWATCH_LAKE_DATA` (a folder, or object storage on a
real deployment). Unset (or `duckdb`), the warehouse is the embedded DuckDB file, as always.
The extensions come from their PyPI wheels: nothing is downloaded at run time.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from parsers.errors import ConfigError, LoadError, WarehouseBusyError
from warehouse.sql import quote_literal

if TYPE_CHECKING:  # settings import this module: duckdb and psycopg load when a lake is opened
    import duckdb

SCHEME = "ducklake:"
POSTGRES = "postgres:"
# The name the lake is attached under in our own connections (analysts choose theirs).
ALIAS = "lake"
# Key of the PostgreSQL advisory lock that lets one PolicyWatch run write the lake at a time
# (an arbitrary constant: 'PW' + 'lake' in ASCII).
LOCK_KEY = 0x50574C414B45
# DuckLake's own error when another transaction committed a conflicting change first.
CONFLICT = "Transaction conflict"


@dataclass(frozen=True, slots=True)
class Lake:
    """A DuckLake warehouse: its catalog (`postgres:<libpq conninfo>` or a file) and where its data files go."""

    catalog: str
    data_path: str | None = None  # needed to create the lake; the catalog remembers it after

    @property
    def postgres_dsn(self) -> str | None:
        """The libpq connection string of a PostgreSQL catalog, else None."""
        return self.catalog.removeprefix(POSTGRES) if self.catalog.startswith(POSTGRES) else None

    def __str__(self) -> str:
        return SCHEME + self.catalog


def parse(value: str | None, data_path: str | None = None) -> Lake | None:
    """The lake named by `POLICYWATCH_WAREHOUSE`, or None for the embedded file (unset, empty or `duckdb`)."""
    text = (value or "").strip()
    if text in ("", "duckdb"):
        return None
    if not text.startswith(SCHEME) or not text.removeprefix(SCHEME).strip():
        raise ConfigError(
            f"POLICYWATCH_WAREHOUSE must be `duckdb` or `ducklake:<catalog>` "
            f"(e.g. ducklake:postgres:dbname=pw host=127.0.0.1 user=pw), not {text!r}"
        )
    return Lake(catalog=text.removeprefix(SCHEME).strip(), data_path=(data_path or "").strip() or None)


def configured(env: Mapping[str, str] | None = None) -> Lake | None:
    """The lake of this process's environment, or None when the warehouse is the embedded file."""
    env = os.environ if env is None else env
    return parse(env.get("POLICYWATCH_WAREHOUSE"), env.get("POLICYWATCH_LAKE_DATA"))


def _wheel_file(package: str, name: str) -> Path:
    """An extension shipped in a `duckdb-extension-*` wheel, for the DuckDB version installed."""
    import duckdb

    root = Path(__import__(package).__path__[0])
    path = root / "extensions" / f"v{duckdb.__version__}" / name
    if not path.is_file():
        raise LoadError(f"the DuckLake extension {path} is missing: reinstall with `make install`")
    return path


def _postgres_extension() -> Path:
    """The postgres extension under the file name DuckDB requires of it (its entry point's name),
    copied once from the wheel into a per-user cache folder."""
    import duckdb

    source = _wheel_file("duckdb_extension_postgres", "postgres.duckdb_extension")
    folder = Path(tempfile.gettempdir()) / f"policywatch-duckdb-{duckdb.__version__}-{os.getuid()}"
    target = folder / "postgres_scanner.duckdb_extension"
    if target.is_file() and target.stat().st_size == source.stat().st_size:
        return target
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = folder / f".{target.name}.{os.getpid()}"
    shutil.copyfile(source, partial)
    os.replace(partial, target)  # atomic: two processes copying at once both end with a whole file
    return target


def attach_sql(lake: Lake, *, read_only: bool) -> str:
    """ATTACH of the lake under ALIAS, then USE it. DuckDB takes no parameters in ATTACH: values are quoted."""
    options = []
    if lake.data_path and not read_only:
        options.append(f"DATA_PATH {quote_literal(lake.data_path)}")
    if read_only:
        options.append("READ_ONLY")
    suffix = f" ({', '.join(options)})" if options else ""
    return f"ATTACH {quote_literal(str(lake))} AS {ALIAS}{suffix}; USE {ALIAS}"


def connect(lake: Lake, *, read_only: bool, config: dict[str, str] | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the lake attached (read-only for readers) and in use."""
    import duckdb

    options: dict[str, str | bool | int | float | list[str]] = dict(config or {})
    con = duckdb.connect(config=options)
    try:
        con.execute(f"LOAD {quote_literal(str(_wheel_file('duckdb_extension_ducklake', 'ducklake.duckdb_extension')))}")
        if lake.postgres_dsn is not None:
            con.execute(f"LOAD {quote_literal(str(_postgres_extension()))}")
        con.execute(attach_sql(lake, read_only=read_only))
    except duckdb.Error as exc:
        con.close()
        raise LoadError(f"cannot open the lake {lake}: {str(exc).splitlines()[0]}") from exc
    except BaseException:
        con.close()
        raise
    return con


def is_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection's current database is a DuckLake (migrations then take its dialect)."""
    row = con.execute("SELECT type FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return row is not None and row[0] == "ducklake"


@contextmanager
def run_lock(lake: Lake, *, wait: bool) -> Iterator[None]:
    """Hold the lake's writer lock (a PostgreSQL session advisory lock) for a run; the second run exits
    unless it may wait. A lake without a PostgreSQL catalog has no shared lock: the caller's flock serves."""
    import psycopg

    dsn = lake.postgres_dsn
    if dsn is None:
        yield
        return
    try:
        session = psycopg.connect(dsn, autocommit=True)
    except psycopg.Error as exc:
        raise LoadError(f"cannot reach the lake's catalog {lake}: {str(exc).strip().splitlines()[0]}") from exc
    with session:
        if wait:
            session.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        else:
            row = session.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]).fetchone()
            if not (row and row[0]):
                raise WarehouseBusyError(f"another PolicyWatch run is writing {lake}; try again when it ends")
        # Released when the session closes, also if this process dies: PostgreSQL ends its session.
        yield
