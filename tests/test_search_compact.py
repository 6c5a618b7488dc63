"""Compaction of the search index and the document frequencies a query reads its grams by."""

from __future__ import annotations

import multiprocessing
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from parsers.grams import query_grams, query_parts
from tests.warehouse_corpus import corpus_copy
from warehouse import search_compact
from warehouse.load import RunLoader
from warehouse.search import EVERY, SearchFilters, _hits, _rank, index_documents, matching, search
from warehouse.search_compact import compact, compact_if_due, ranges

NOW = datetime(2026, 11, 27, 2, 0)
QUERIES = [
    "合成生物",
    "生物经济",
    "生物医药 创新",
    "疫苗",
    "生物 平台",
    '"生物铸造平台"',
    "十四五 规划",
    "科技厅",
    "药",
]
# Document frequencies as counted from the gram rows themselves (what core.gram_df must sum to).
COUNTED = "SELECT gram, count(DISTINCT doc_key) FROM core.document_grams GROUP BY gram ORDER BY gram"
SUMMED = "SELECT gram, sum(df)::BIGINT FROM core.gram_df GROUP BY gram HAVING sum(df) <> 0 ORDER BY gram"
ROWS = "SELECT gram, doc_key, field, tf, mask FROM core.document_grams ORDER BY ALL"
STATE = "SELECT * FROM core.search_compaction"


def _results(con: duckdb.DuckDBPyConnection) -> list[Any]:
    """Every query's hits (ids and exact scores) and match set."""
    return [
        ([(h.doc_id, h.score) for h in search(con, q, limit=5, snippets=False)], sorted(matching(con, q)))
        for q in QUERIES
    ]


def _stored_in_order(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the gram rows are stored sorted by (gram, doc_key)."""
    rows = con.execute("SELECT gram, doc_key FROM core.document_grams").fetchall()
    return rows == sorted(rows)


@pytest.fixture
def con(tmp_path: Path) -> Any:
    with duckdb.connect(str(corpus_copy(tmp_path))) as connection:
        yield connection


def test_compaction_keeps_every_hit_score_row_and_frequency(con: duckdb.DuckDBPyConnection) -> None:
    before, rows = _results(con), con.execute(ROWS).fetchall()
    assert con.execute(SUMMED).fetchall() == con.execute(COUNTED).fetchall()
    compact(con, NOW)
    assert _results(con) == before
    assert con.execute(ROWS).fetchall() == rows
    assert _stored_in_order(con)
    assert (
        con.execute("SELECT count(*) FROM core.gram_df").fetchone()
        == con.execute("SELECT count(DISTINCT gram) FROM core.document_grams").fetchone()
    )
    assert con.execute(SUMMED).fetchall() == con.execute(COUNTED).fetchall()
    base = con.execute("SELECT base_key, base_rows, compacted_at FROM core.search_compaction").fetchall()
    assert base == [(*con.execute("SELECT max(doc_key) FROM core.search_documents").fetchone(), len(rows), NOW)]
    comment = "SELECT comment FROM duckdb_columns() WHERE table_name = 'document_grams' AND column_name = 'mask'"
    assert con.execute(comment).fetchone()[0].startswith("Bit p mod 8")  # the comments carried over
    assert con.execute("SELECT count(*) FROM main.document_grams").fetchone()[0] == len(rows)  # the view follows


def test_compaction_in_small_ranges_gives_the_same_index(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = con.execute(ROWS).fetchall()
    monkeypatch.setattr(search_compact, "RANGE_ROWS", 500)  # many statements, some one first character each
    compact(con, NOW)
    assert con.execute(ROWS).fetchall() == rows
    assert _stored_in_order(con)
    assert con.execute(SUMMED).fetchall() == con.execute(COUNTED).fetchall()


def test_ranges_cover_every_piece_in_bounded_ranges() -> None:
    pieces = [(10, 3), (20, 3), (50, 10), (70, 1), (71, 1), (90, 2), (100, 0)]
    assert ranges(pieces, 6) == [(10, 50), (50, 70), (70, 100)]
    assert ranges(pieces, 100) == [(10, 100)]
    assert ranges([], 6) == []


class _Failing:
    """A connection that fails (or the process dies) at a given statement of the compaction."""

    def __init__(self, con: duckdb.DuckDBPyConnection, statement: str, *, die: bool = False) -> None:
        self.con, self.statement, self.die = con, statement, die

    def execute(self, sql: str, params: Any = None) -> Any:
        if sql == self.statement:
            if self.die:
                os._exit(9)  # no rollback, no checkpoint: as a killed process
            raise duckdb.IOException("No space left on device")
        return self.con.execute(sql, params)


def test_a_failed_compaction_leaves_the_index_working(con: duckdb.DuckDBPyConnection) -> None:
    before, rows, state = _results(con), con.execute(ROWS).fetchall(), con.execute(STATE).fetchall()
    with pytest.raises(duckdb.IOException):
        compact(_Failing(con, search_compact.SWAP[2]), NOW)  # type: ignore[arg-type]  # after the grams' swap
    assert _results(con) == before
    assert con.execute(ROWS).fetchall() == rows
    tables = "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '%_next'"
    assert con.execute(tables).fetchone() == (0,)
    assert con.execute(STATE).fetchall() == state
    compact(con, NOW)  # and the next one goes through
    assert _results(con) == before


def _compact_and_die(path: str) -> None:
    with duckdb.connect(path) as con:
        compact(_Failing(con, search_compact.SWAP[2], die=True), NOW)  # type: ignore[arg-type]


def test_a_compaction_killed_midway_leaves_the_index_working(tmp_path: Path) -> None:
    db = corpus_copy(tmp_path)
    with duckdb.connect(str(db)) as con:
        before, rows, state = _results(con), con.execute(ROWS).fetchall(), con.execute(STATE).fetchall()
        stored = con.execute("SELECT gram, doc_key FROM core.document_grams").fetchall()
    process = multiprocessing.get_context("spawn").Process(target=_compact_and_die, args=(str(db),))
    process.start()
    process.join(120)
    assert process.exitcode == 9
    with duckdb.connect(str(db)) as con:
        assert con.execute(ROWS).fetchall() == rows
        assert _results(con) == before
        assert con.execute(STATE).fetchall() == state
        # in the order they were: nothing of the compaction stayed
        assert con.execute("SELECT gram, doc_key FROM core.document_grams").fetchall() == stored


def test_documents_indexed_after_a_compaction_are_found_and_counted(con: duckdb.DuckDBPyConnection) -> None:
    from flows.bench.warehouse import Corpus, _pages

    compact(con, NOW)
    assert not compact_if_due(con, NOW)  # nothing indexed since
    docs = Corpus().documents(0, 3)
    with RunLoader(con, run_id="r9", now=NOW) as loader:
        loader.add(_pages(docs))
        loader.finish([], search=False)
    changed = "UPDATE core.documents SET text = text || '一段新增的文字', content_hash = md5(text) WHERE doc_id = ?"
    old = con.execute("SELECT doc_id FROM core.documents WHERE title LIKE '%合成生物%' LIMIT 1").fetchone()[0]
    con.execute(changed, [old])
    assert index_documents(con, commit_each=True) == 4  # three new, one re-indexed (its frequencies -1, then +1)
    assert con.execute(SUMMED).fetchall() == con.execute(COUNTED).fetchall()
    tail = "SELECT count(*) FROM core.search_documents WHERE doc_key > (SELECT base_key FROM core.search_compaction)"
    assert con.execute(tail).fetchone() == (4,)
    urls = [url for _, _, url in docs]
    new = con.execute("SELECT doc_id, title FROM core.documents WHERE list_contains($urls, url)", {"urls": urls})
    for doc_id, title in new.fetchall():
        assert doc_id in {h.doc_id for h in search(con, title, limit=50, snippets=False)}
    assert {old} == matching(con, "一段新增的文字")
    assert [h.doc_id for h in search(con, "一段新增的文字", limit=5)] == [old]


def test_compaction_is_due_once_the_tail_passes_its_share(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DELETE FROM core.search_compaction")
    assert compact_if_due(con, NOW)  # never compacted: every document is in the tail
    assert not compact_if_due(con, NOW)
    con.execute("UPDATE core.search_compaction SET base_key = base_key - 1")  # one document indexed since
    total = con.execute("SELECT count(*) FROM core.search_documents").fetchone()[0]
    assert compact_if_due(con, NOW) == (search_compact.SHARE * total < 1)


@pytest.mark.parametrize("query", QUERIES)
def test_ranking_by_known_frequencies_equals_ranking_by_counted_ones(
    con: duckdb.DuckDBPyConnection, query: str
) -> None:
    """The rarest gram first (others read for its documents only, frequencies from core.gram_df) ranks every
    candidate exactly as counting every hit row does."""
    parts = query_parts(query)
    required = [query_grams(p) for p in parts]
    known, counted = _hits(required, con), _hits(required)
    assert known.known == (not counted.ranges)
    options: dict[str, Any] = {"filters": SearchFilters(), "pool": EVERY, "letters": 4}
    ranked = _rank(con, known, **options)
    assert ranked  # the corpus holds every query
    # The same candidates and scores; a float sum's last bits depend on the order a plan meets its terms.
    expected = _rank(con, counted, **options)
    scores, expected_scores = dict((r[0], r[1]) for r in ranked), dict((r[0], r[1]) for r in expected)
    assert sorted(scores) == sorted(expected_scores)
    assert scores == pytest.approx(expected_scores, rel=1e-12)


def test_a_warehouse_indexed_without_frequencies_is_reindexed_with_them(con: duckdb.DuckDBPyConnection) -> None:
    from warehouse.migrate import migrate

    con.execute(  # back to a warehouse of migration 15: grams of scheme 3, no frequencies
        "DROP TABLE core.gram_df; DROP TABLE core.search_compaction;"
        "UPDATE core.search_documents SET index_version = 3;"
        "DELETE FROM schema_migrations WHERE version = 16"
    )
    documents = con.execute("SELECT count(*) FROM documents").fetchone()[0]
    assert migrate(con) == [16]
    assert con.execute("SELECT count(*) FROM core.document_grams").fetchone() == (0,)
    assert search(con, "合成生物") == []  # nothing indexed until the next run
    assert index_documents(con) == documents
    assert con.execute(SUMMED).fetchall() == con.execute(COUNTED).fetchall()
    assert compact_if_due(con, NOW)
    assert search(con, "合成生物")[0].title == "广东省科学技术厅关于支持合成生物产业创新发展的若干措施"
    assert index_documents(con) == 0
