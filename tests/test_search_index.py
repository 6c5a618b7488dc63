"""The search index after a load: in-process for a few documents, in a spawned process for a backfill."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from flows.tasks.parse_pool import POOL_THRESHOLD
from flows.tasks.search_index import update_search_index
from tests.warehouse_corpus import seed_pages
from warehouse.connection import open_reader, open_writer
from warehouse.load import load_run
from warehouse.search import search

SEEN = datetime(2026, 11, 20, 2, 0)


def _loaded_unindexed(db: Path) -> int:
    with open_writer(db) as con:
        report = load_run(con, run_id="r1", pages=seed_pages(SEEN), attempts=[], now=SEEN)
        con.execute("DELETE FROM core.document_grams; DELETE FROM core.search_documents")
    return report.total("new")


@pytest.mark.parametrize("documents", [1, POOL_THRESHOLD], ids=["in-process", "spawned"])
def test_update_search_index_indexes_every_unindexed_document(tmp_path: Path, documents: int) -> None:
    db = tmp_path / "w.duckdb"
    loaded = _loaded_unindexed(db)
    assert update_search_index(db, SEEN, documents=documents) is None
    with open_reader(db) as con:
        assert con.execute("SELECT count(*) FROM core.search_documents").fetchone() == (loaded,)
        assert search(con, "生物")


def test_update_search_index_reports_a_writer_it_cannot_open(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _loaded_unindexed(db)
    with open_writer(db):  # another process-like holder of the file: DuckDB refuses a second writer
        error = update_search_index(db, SEEN, documents=POOL_THRESHOLD)
    assert error is not None and error.startswith("search index not updated (the next run retries)")


def test_a_nights_handful_is_indexed_here_but_compacted_in_a_process_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warehouse import search_compact

    db = tmp_path / "w.duckdb"
    loaded = _loaded_unindexed(db)  # a fresh index: all tail, so a compaction is due

    def not_here(*_: object) -> None:
        raise AssertionError("compaction ran in the flow's process")

    monkeypatch.setattr(search_compact, "compact", not_here)  # spawned processes import the real one
    assert update_search_index(db, SEEN, documents=1) is None
    with open_reader(db) as con:
        assert con.execute("SELECT count(*) FROM core.search_documents").fetchone() == (loaded,)
        assert con.execute("SELECT count(*) FROM core.search_compaction").fetchone() == (1,)
