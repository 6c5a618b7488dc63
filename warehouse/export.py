"""Every analyst view to Parquet, for BI tools and larger engines; week-partitioned where it helps."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from parsers.errors import LoadError
from warehouse.sql import quote_ident, quote_literal

__all__ = ["PARTITIONED", "ExportedView", "export_parquet", "views"]

# Views that grow by week: one folder per week (hive style, week=2026-W47/) so a reader of one week
# opens one file. The rest are small or not weekly and go to one file each.
PARTITIONED = {"documents": "week", "weekly_topic_counts": "week"}
VIEWS = "SELECT view_name FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal ORDER BY view_name"
COUNT = "SELECT count(*) FROM {view}"
# COPY takes its target as a literal, not a bound parameter: the path is quoted with `quote_literal`.
COPY_FILE = "COPY (SELECT * FROM {view}) TO {path} (FORMAT parquet, COMPRESSION zstd)"
COPY_PARTITIONED = "COPY (SELECT * FROM {view}) TO {path} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY ({key}))"


@dataclass(frozen=True, slots=True)
class ExportedView:
    """One exported view: where it went and how many rows."""

    view: str
    path: Path
    rows: int
    partitioned_by: str | None


def views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The analysts' views, by name."""
    return [row[0] for row in con.execute(VIEWS).fetchall()]


def export_parquet(con: duckdb.DuckDBPyConnection, out_dir: Path) -> list[ExportedView]:
    """Write every view to `out_dir`: `<view>.parquet`, or `<view>/week=.../*.parquet` when partitioned."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        return [_export(con, view, out_dir) for view in views(con)]
    except OSError as exc:
        raise LoadError(f"cannot write to {out_dir}: {exc.strerror or exc}") from exc
    except duckdb.Error as exc:
        raise LoadError(f"export to {out_dir} failed: {str(exc).splitlines()[0]}") from exc


def _export(con: duckdb.DuckDBPyConnection, view: str, out_dir: Path) -> ExportedView:
    name = quote_ident(view)
    rows = con.execute(COUNT.format(view=name)).fetchone()[0]  # type: ignore[index]  # count(*) has a row
    key = PARTITIONED.get(view)
    if key is None:
        path = out_dir / f"{view}.parquet"
        con.execute(COPY_FILE.format(view=name, path=quote_literal(str(path))))
        return ExportedView(view, path, rows, None)
    path = out_dir / view
    shutil.rmtree(path, ignore_errors=True)  # a re-export replaces the folder: no stale week left behind
    if rows:
        con.execute(COPY_PARTITIONED.format(view=name, path=quote_literal(str(path)), key=quote_ident(key)))
    return ExportedView(view, path, rows, key)
