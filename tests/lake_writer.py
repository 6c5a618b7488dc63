"""A writer of its own for the DuckLake tests, in a module light to import (a spawned process imports it)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from parsers.run import PageOutcome, SourceAttempt

START_RUN = "INSERT INTO core.runs (run_id, flow, started_at, status) VALUES (?, 'test', ?, 'running')"


def load_in_own_process(env: dict[str, str], outcome: PageOutcome, run_id: str, now: datetime, start: Any) -> None:
    """As a second machine would: take the lake's writer lock (waiting for it), then load one page."""
    os.environ.update(env)
    from warehouse import lake
    from warehouse.connection import open_writer, writer_lock
    from warehouse.load import load_run

    assert lake.configured() is not None
    start.wait(timeout=60)  # both processes ask for the lock at the same moment
    with writer_lock(Path("unused.duckdb"), wait=True), open_writer(Path("unused.duckdb")) as con:
        con.execute(START_RUN, [run_id, now])
        attempts = [SourceAttempt(source_name="test", kind="files", ok=True)]
        load_run(con, run_id=run_id, pages=[outcome], attempts=attempts, now=now)
