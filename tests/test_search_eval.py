"""The search evaluation set (tests/fixtures/search): every query finds its documents, ranks the right one first.

The corpus goes through the real parser, loader and indexer into a DuckDB warehouse once per module.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from parsers.parse import parse_document
from parsers.records import ParseOptions
from parsers.run import PageOutcome
from warehouse.connection import open_writer
from warehouse.load import load_run
from warehouse.search import matching, search

FOLDER = Path(__file__).with_name("fixtures") / "search"
CASES: list[dict[str, Any]] = yaml.safe_load((FOLDER / "queries.yaml").read_text(encoding="utf-8"))["queries"]
SEEN = datetime(2026, 11, 30, 2, 0)


def _url(name: str) -> str:
    return f"https://eval.example.gov.cn/{name}.html"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[duckdb.DuckDBPyConnection, dict[str, str]]]:
    pages = []
    for path in sorted((FOLDER / "corpus").glob("*.txt")):
        doc = parse_document(path.read_bytes(), ParseOptions(url=_url(path.stem), source_name="eval"))
        pages.append(
            PageOutcome(
                url=_url(path.stem),
                source_name="eval",
                fetched_at=SEEN,
                raw_sha256="0" * 64,
                raw_size=path.stat().st_size,
                document=doc,
            )
        )
    with open_writer(tmp_path_factory.mktemp("eval") / "w.duckdb") as con:
        report = load_run(con, run_id="eval", pages=pages, attempts=[], now=SEEN)
        assert report.search_error is None
        names = {
            doc_id: url.rsplit("/", 1)[1].removesuffix(".html")
            for doc_id, url in con.execute("SELECT doc_id, url FROM documents").fetchall()
        }
        yield con, names


def test_search_eval_corpus_and_queries_are_large_enough(warehouse: tuple[Any, dict[str, str]]) -> None:
    assert len(CASES) >= 30 and len(warehouse[1]) >= 30  # every file is a document of its own


@pytest.mark.parametrize("case", CASES, ids=[c["query"] for c in CASES])
def test_search_eval_query(warehouse: tuple[duckdb.DuckDBPyConnection, dict[str, str]], case: dict[str, Any]) -> None:
    con, names = warehouse
    hits = [names[h.doc_id] for h in search(con, case["query"], limit=50)]
    assert [names[h.doc_id] for h in search(con, case["query"], limit=50, snippets=False)] == hits
    assert set(case["include"]) <= set(hits), hits
    assert not set(case.get("exclude", ())) & set(hits), hits
    assert {names[d] for d in matching(con, case["query"])} == set(hits)  # ranked search returns the match set
    if case.get("first"):
        assert hits[0] == case["first"], hits


@pytest.mark.parametrize(
    "query", ["发展", "细胞治疗", "生物医药", "酶", "mRNA", "生物医药产业", '"合成生物 底盘"', "医药园"]
)
def test_search_eval_small_pools_give_the_same_ranking(
    warehouse: tuple[duckdb.DuckDBPyConnection, dict[str, str]], query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warehouse import search as search_module

    con, _ = warehouse
    full = [(h.doc_id, round(h.score, 9)) for h in search(con, query, limit=100)]
    monkeypatch.setattr(search_module, "POOL", 2)  # candidates ranked 2, then 8, 32 … at a time
    monkeypatch.setattr(search_module, "CHECK", 1)
    for limit in (1, 3, 100):
        assert [(h.doc_id, round(h.score, 9)) for h in search(con, query, limit=limit)] == full[:limit]


@pytest.mark.parametrize(
    "query", ["生物医药", "细胞治疗", "合成生物", "发展", "生物经济", "疫苗", "mRNA", "生物医药产业"]
)
def test_search_eval_titles_first_give_the_ranking_over_every_candidate(
    warehouse: tuple[duckdb.DuckDBPyConnection, dict[str, str]], query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warehouse import search as search_module

    con, _ = warehouse
    answered = []
    titled = search_module._titled

    def spy(*args: Any, **kwargs: Any) -> Any:
        answered.append(titled(*args, **kwargs) is not None)
        return titled(*args, **kwargs)

    monkeypatch.setattr(search_module, "_titled", spy)
    fast = {limit: [(h.doc_id, round(h.score, 9)) for h in search(con, query, limit=limit)] for limit in (1, 3, 5)}
    monkeypatch.setattr(search_module, "_titled", lambda *args, **kwargs: None)
    for limit, hits in fast.items():
        assert hits == [(h.doc_id, round(h.score, 9)) for h in search(con, query, limit=limit)]
    assert answered[0]  # the titles settled the best one
