"""Updating the search index after a load: in this process for a night's handful, in a spawned one for a backfill
or a compaction.

A backfill's indexing builds gram rows (numpy, pyarrow) for every new document, 500 at a time; in a process
of its own that memory is returned when it ends instead of weighing on the flow's process (which also holds
the parse pool and Prefect) for the rest of its life.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path

from flows.tasks.parse_pool import POOL_THRESHOLD
from warehouse.connection import open_writer
from warehouse.load import index_search
from warehouse.search_compact import due as compaction_due


def update_search_index(db: Path, now: datetime, *, documents: int, wait_seconds: float = 0.0) -> str | None:
    """Index every document not indexed at its current text; the error, if any (the load is kept either way).

    `wait_seconds`: how long to wait for another program to close the warehouse file.
    """
    try:
        if documents < POOL_THRESHOLD:
            with open_writer(db, wait_seconds=wait_seconds) as con:
                # A compaction rewrites every gram row (~740 MiB at 200 000 documents): in a process of its own
                # even after a night's handful, never in the flow's.
                error = index_search(con, now, compact=False)
                if error is not None or not compaction_due(con):
                    return error
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            return pool.submit(_index, db, now, wait_seconds, compact=True).result()
    except Exception as exc:  # the writer could not be opened, or the indexing process died
        return f"search index not updated (the next run retries): {exc}"


def _index(db: Path, now: datetime, wait_seconds: float, *, compact: bool) -> str | None:
    with open_writer(db, wait_seconds=wait_seconds) as con:
        return index_search(con, now, compact=compact)
