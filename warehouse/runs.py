"""The run ledger: a row per flow run, opened before work starts and closed by the load."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import duckdb

from warehouse import sql


def start_run(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    flow: str,
    now: datetime,
    failed: Iterable[tuple[str, str, datetime]] = (),
) -> None:
    """Close the runs earlier processes left 'running', then open this run's row.

    `failed`: (run_id, error, failed_at) of runs whose load failed without writing their row; any other
    run still 'running' died with its process and is marked crashed, finished now.
    """
    for failed_id, error, failed_at in failed:
        con.execute(sql.MARK_FAILED, [failed_at, error[:2000], failed_id])
    con.execute(sql.MARK_CRASHED, [now, flow])
    con.execute(sql.START_RUN, [run_id, flow, now])


def fail_run(con: duckdb.DuckDBPyConnection, *, run_id: str, error: str, now: datetime) -> None:
    """Close a run that failed; its load was rolled back, so only this row records it."""
    con.execute(sql.FAIL_RUN, [now, error[:2000], run_id])


def set_run_pages(con: duckdb.DuckDBPyConnection, *, run_id: str, pages: int) -> None:
    """Record how many pages a run processed when its load saw only some of them (a reparse)."""
    con.execute(sql.SET_RUN_PAGES, [pages, run_id])


def known_pages(con: duckdb.DuckDBPyConnection, source_name: str) -> dict[str, set[str]]:
    """URL → raw hashes already archived for a source: lets a run skip unchanged files."""
    known: dict[str, set[str]] = {}
    for url, raw in con.execute(sql.KNOWN_RAW, [source_name]).fetchall():
        known.setdefault(url, set()).add(raw)
    return known


def close_run(con: duckdb.DuckDBPyConnection, *, run_id: str, summary: str, now: datetime) -> None:
    """Close a run that loads no documents (the digest) as successful, with a JSON summary."""
    con.execute(sql.CLOSE_RUN, [now, "success", summary, run_id])
