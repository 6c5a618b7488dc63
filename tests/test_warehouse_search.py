"""Search: bigram candidates, BM25 with a title boost, phrases and filters, re-indexing, upgrades."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from tests.warehouse_corpus import corpus_copy, corpus_file
from warehouse.connection import open_reader, open_writer
from warehouse.search import index_documents, matching, search

# (query, title expected first): what an analyst types and the document they want on top.
EVALUATION = [
    ("合成生物", "广东省科学技术厅关于支持合成生物产业创新发展的若干措施"),
    ("“十四五”生物经济发展规划", "“十四五”生物经济发展规划"),
    ("生物经济先导区", "国家发展改革委办公厅关于组织实施生物经济先导区建设的通知"),
    ("疫苗接种", "上海市卫生健康委员会关于做好疫苗接种服务工作的通知"),
    ("生物制造 高质量发展", "国家发展改革委 科技部 工业和信息化部关于推动生物制造产业高质量发展的指导意见"),
    ("生物技术研究开发安全管理办法", "科技部关于印发《生物技术研究开发安全管理办法》的通知"),
    ("生物医药专项申报指南", "北京市科学技术委员会关于发布2024年度生物医药专项申报指南的通知"),
    ("生命健康产业集群", "关于印发广东省培育未来生命健康产业集群行动计划的通知"),
]


@pytest.fixture(scope="module")
def reader() -> Iterator[duckdb.DuckDBPyConnection]:
    with open_reader(corpus_file()) as con:
        yield con


def titles(hits: list) -> list[str | None]:
    return [h.title for h in hits]


@pytest.mark.parametrize(("query", "expected"), EVALUATION, ids=[q for q, _ in EVALUATION])
def test_search_evaluation_expected_first(reader: duckdb.DuckDBPyConnection, query: str, expected: str) -> None:
    assert titles(search(reader, query, limit=3))[0] == expected


def test_search_exact_title_ranks_first_over_its_repost_and_citers(reader: duckdb.DuckDBPyConnection) -> None:
    hits = search(reader, "“十四五”生物经济发展规划", limit=10)
    assert hits[0].title == "“十四五”生物经济发展规划"
    assert len(hits) >= 4  # the reposts and the notices citing it follow


def test_search_title_mention_ranks_above_body_only_mention(reader: duckdb.DuckDBPyConnection) -> None:
    hits = search(reader, "疫苗", limit=10)
    in_title = [i for i, h in enumerate(hits) if "疫苗" in (h.title or "")]
    body_only = [i for i, h in enumerate(hits) if "疫苗" not in (h.title or "")]
    assert in_title and body_only and max(in_title) < min(body_only)


def test_search_quoted_phrase_must_appear_verbatim(reader: duckdb.DuckDBPyConnection) -> None:
    loose = search(reader, "生物 平台", limit=50)
    strict = search(reader, '"生物铸造平台"', limit=50)
    assert titles(strict) == ["广东省科学技术厅关于支持合成生物产业创新发展的若干措施"]
    assert len(loose) > len(strict)


@pytest.mark.parametrize(
    ("filters", "allowed"),
    [
        (
            {"topic": "生物制造"},
            lambda h, con: con.execute(
                "SELECT count(*) FROM document_topics WHERE doc_id = ? AND topic = '生物制造'", [h.doc_id]
            ).fetchone()[0],
        ),
        (
            {"topic": "bio-manufacturing"},
            lambda h, con: con.execute(
                "SELECT count(*) FROM document_topics WHERE doc_id = ? AND topic_id = 'bio-manufacturing'", [h.doc_id]
            ).fetchone()[0],
        ),
        ({"region": "江苏"}, lambda h, con: "江苏" in h.regions + h.mentioned_regions),
        ({"since": date(2024, 6, 1)}, lambda h, con: h.published_on is None or h.published_on >= date(2024, 6, 1)),
        ({"until": date(2023, 1, 1)}, lambda h, con: h.published_on is not None and h.published_on <= date(2023, 1, 1)),
    ],
    ids=["topic-name", "topic-id", "region", "since", "until"],
)
def test_search_filters_keep_only_matching_documents(reader: duckdb.DuckDBPyConnection, filters: dict, allowed) -> None:
    unfiltered = search(reader, "生物", limit=100)
    hits = search(reader, "生物", limit=100, **filters)
    assert hits and len(hits) < len(unfiltered)
    assert all(allowed(h, reader) for h in hits)


def test_search_region_ranks_its_own_documents_above_those_that_only_mention_it(
    reader: duckdb.DuckDBPyConnection,
) -> None:
    hits = search(reader, "生物经济", region="广东", limit=50)
    own = [i for i, h in enumerate(hits) if "广东" in h.regions]
    mentioning = [i for i, h in enumerate(hits) if "广东" not in h.regions]
    # The national plan names 广东 among 18 places and holds the query in its title: it still comes after them.
    plan = next(i for i, h in enumerate(hits) if h.title == "“十四五”生物经济发展规划")
    assert own and plan in mentioning and max(own) < min(mentioning)
    assert all("广东" in hits[i].mentioned_regions for i in mentioning)


def test_search_region_fills_the_limit_with_mentions_only_after_its_own_documents(
    reader: duckdb.DuckDBPyConnection,
) -> None:
    own = [h for h in search(reader, "生物经济", region="广东", limit=50) if "广东" in h.regions]
    assert titles(search(reader, "生物经济", region="广东", limit=len(own))) == titles(own)
    assert "广东" not in search(reader, "生物经济", region="广东", limit=len(own) + 1)[-1].regions


def test_search_query_without_parts_finds_nothing(reader: duckdb.DuckDBPyConnection) -> None:
    assert search(reader, ' \u3000 "" ') == []


def test_search_one_character_part_finds_every_document_holding_it(reader: duckdb.DuckDBPyConnection) -> None:
    holding = {
        r[0] for r in reader.execute("SELECT doc_id FROM documents WHERE contains(title || text, '苗')").fetchall()
    }
    assert holding and matching(reader, "苗") >= holding
    assert {h.doc_id for h in search(reader, "苗", limit=100)} == matching(reader, "苗")


def test_index_documents_runs_inside_an_open_transaction_and_rolls_back(tmp_path: Path) -> None:
    with open_writer(corpus_copy(tmp_path)) as con:
        before = con.execute("SELECT count(*) FROM core.document_grams").fetchone()
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM core.search_documents")
        assert index_documents(con) == con.execute("SELECT count(*) FROM core.documents").fetchone()[0]
        con.execute("ROLLBACK")
        assert con.execute("SELECT count(*) FROM core.document_grams").fetchone() == before


def test_index_documents_is_idempotent_and_reindexes_changed_text(tmp_path: Path) -> None:
    with open_writer(corpus_copy(tmp_path)) as con:
        assert index_documents(con) == 0  # everything is indexed at its current text
        rows = con.execute("SELECT count(*) FROM core.document_grams").fetchone()
        doc_id = search(con, "疫苗接种")[0].doc_id
        con.execute(
            "UPDATE core.documents SET text = text || '\n新增冷链追溯要求。', content_hash = 'changed' "
            "WHERE doc_id = ?",
            [doc_id],
        )
        assert index_documents(con, now=datetime(2026, 11, 23)) == 1
        assert search(con, "冷链追溯")[0].doc_id == doc_id
        assert index_documents(con, [doc_id]) == 1  # explicit ids are always re-indexed, never doubled
        assert con.execute("SELECT count(*) FROM core.search_documents WHERE doc_id = ?", [doc_id]).fetchone() == (1,)
        assert con.execute("SELECT count(*) FROM core.document_grams").fetchone()[0] > rows[0]


@pytest.mark.parametrize(
    ("added", "holds", "candidate"),
    [
        ("加快甲乙丙丁工作。", True, True),
        ("甲乙与乙丙用，丙丁设备。", False, False),  # every bigram of 甲乙丙丁, never side by side: masks drop it
        ("甲乙" + "戊" * 7 + "乙丙丁。", False, True),  # 8 apart: the masks let it through, the check drops it
    ],
)
def test_search_finds_a_word_whose_bigrams_are_apart_only_when_it_is_whole(
    tmp_path: Path, added: str, holds: bool, candidate: bool
) -> None:
    from parsers.grams import query_grams
    from warehouse.search import CANDIDATES, _hits

    with open_writer(corpus_copy(tmp_path)) as con:
        assert matching(con, "甲乙丙丁") == set()
        doc_id = con.execute("SELECT doc_id FROM core.documents ORDER BY doc_id LIMIT 1").fetchone()[0]
        con.execute(
            "UPDATE core.documents SET text = text || chr(10) || ?, content_hash = 'changed' WHERE doc_id = ?",
            [added, doc_id],
        )
        assert index_documents(con) == 1
        hits = _hits([query_grams("甲乙丙丁")])
        candidates = con.execute(hits.into(CANDIDATES), hits.params | {"parts": ["甲乙丙丁"]}).fetchall()
        assert [d for d, _ in candidates] == ([doc_id] if candidate else [])
        assert matching(con, "甲乙丙丁") == ({doc_id} if holds else set())
        assert [h.doc_id for h in search(con, "甲乙丙丁")] == ([doc_id] if holds else [])
        assert [h.doc_id for h in search(con, '"生物 甲乙丙丁"')] == []


def test_cli_search_prints_a_ranked_table(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    db = corpus_copy(tmp_path)
    result = CliRunner().invoke(
        app,
        ["search", "合成生物", "--since", "2024-01-01", "--topic", "生物制造", "--limit", "2", "--db", str(db)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "广东省科学技术厅关于支持合成生物产业创新发展的若干措施" in result.output
    assert "│ 2 │" in result.output and "│ 3 │" not in result.output  # --limit 2 (a date may end in 3)


def test_cli_search_refuses_a_bad_date(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    result = CliRunner().invoke(app, ["search", "x", "--since", "last week", "--db", str(corpus_copy(tmp_path))])
    assert result.exit_code == 2


def test_index_documents_reindexes_a_warehouse_indexed_by_jieba_terms(tmp_path: Path) -> None:
    from warehouse.migrate import migrate

    db = corpus_copy(tmp_path)
    with duckdb.connect(str(db)) as con:  # back to a warehouse of migration 11, its documents indexed by terms
        con.execute(
            "DROP VIEW main.document_grams; DROP TABLE core.document_grams;"
            "ALTER TABLE core.search_documents DROP COLUMN title_grams;"
            "ALTER TABLE core.search_documents DROP COLUMN body_grams;"
            "ALTER TABLE core.search_documents DROP COLUMN index_version;"
            "UPDATE core.search_documents SET title_terms = 3, body_terms = 50;"
            "INSERT INTO core.document_terms SELECT '合成生物', doc_key, 'title', 1, 3 FROM core.search_documents;"
            "DELETE FROM schema_migrations WHERE version IN (12, 15)"
        )
        assert migrate(con) == [12, 15]
        assert con.execute("SELECT count(*) FROM core.document_terms").fetchone() == (0,)
        assert search(con, "合成生物") == []  # nothing indexed by grams yet
        assert index_documents(con) == con.execute("SELECT count(*) FROM documents").fetchone()[0]
        assert search(con, "合成生物")[0].title == "广东省科学技术厅关于支持合成生物产业创新发展的若干措施"
        assert index_documents(con) == 0


def test_a_warehouse_indexed_without_masks_is_reindexed_with_them(tmp_path: Path) -> None:
    from warehouse.migrate import migrate

    db = corpus_copy(tmp_path)
    with duckdb.connect(str(db)) as con:  # back to a warehouse of migration 14: grams without masks, version 2
        con.execute(
            "ALTER TABLE core.document_grams DROP COLUMN mask;"
            "UPDATE core.search_documents SET index_version = 2;"
            "DELETE FROM schema_migrations WHERE version = 15"
        )
        documents = con.execute("SELECT count(*) FROM documents").fetchone()[0]
        assert migrate(con) == [15]
        assert con.execute("SELECT count(*) FROM core.document_grams").fetchone() == (0,)
        assert search(con, "合成生物") == []  # nothing indexed until the next run
        assert index_documents(con) == documents
        assert con.execute("SELECT count(*) FROM core.document_grams WHERE mask = 0").fetchone() == (0,)
        assert search(con, "合成生物")[0].title == "广东省科学技术厅关于支持合成生物产业创新发展的若干措施"
        assert index_documents(con) == 0


def test_a_failed_search_index_keeps_the_load_and_the_next_run_indexes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.warehouse_corpus import seed_pages
    from warehouse import search as search_module
    from warehouse.load import load_run

    def broken(*args: object, **kwargs: object) -> int:  # e.g. the disk filled while writing terms
        raise duckdb.IOException("No space left on device")

    seen = datetime(2026, 11, 20, 2, 0)
    with open_writer(tmp_path / "w.duckdb") as con:
        with monkeypatch.context() as patched:
            patched.setattr(search_module, "index_documents", broken)
            report = load_run(con, run_id="r1", pages=seed_pages(seen), attempts=[], now=seen)
        assert report.search_error is not None and "No space left" in report.search_error
        loaded = con.execute("SELECT count(*) FROM core.documents").fetchone()[0]
        assert loaded == report.total("new") > 0  # the load committed
        assert con.execute("SELECT count(*) FROM core.search_documents").fetchone() == (0,)
        assert search(con, "生物") == []
        report = load_run(con, run_id="r2", pages=[], attempts=[], now=seen)  # the next night, nothing new
        assert report.search_error is None
        assert con.execute("SELECT count(*) FROM core.search_documents").fetchone() == (loaded,)
        assert search(con, "生物")


def test_cli_search_json_prints_one_object_per_line(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from flows.cli import app

    result = CliRunner().invoke(
        app, ["search", "合成生物", "--json", "--limit", "3", "--db", str(corpus_copy(tmp_path))]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 3 and all(set(r) == {"doc_id", "title", "url", "published_on", "score"} for r in records)
    assert records[0]["title"] == "广东省科学技术厅关于支持合成生物产业创新发展的若干措施"
    assert date.fromisoformat(records[0]["published_on"]) and records[0]["score"] >= records[1]["score"]


@pytest.mark.parametrize(
    "args",
    [["x", "--limit", "0"], ["x", "--limit", "99999999999999999999"], ["x", "--limit", "10001"], [" \u3000 "], ['""']],
    ids=["limit-0", "limit-huge", "limit-over-max", "blank", "empty-quotes"],
)
def test_cli_search_refuses_bad_usage_in_one_line(tmp_path: Path, args: list[str]) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    result = CliRunner().invoke(app, ["search", *args, "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_search_seeds_finds_words_jieba_glued_into_longer_ones(reader: duckdb.DuckDBPyConnection) -> None:
    from tests.warehouse_corpus import SEEDS

    def seed(number: str) -> str:  # the document a seed file became (or was merged into)
        (url,) = [p.as_uri() for p in SEEDS.glob(f"{number}_*.txt")]
        return reader.execute("SELECT doc_id FROM document_sightings WHERE url = ?", [url]).fetchone()[0]

    # 001 holds 合成生物 only inside 合成生物制造 and 002 inside 合成生物学: jieba's index missed both.
    assert {seed("001"), seed("002"), seed("003")} <= {h.doc_id for h in search(reader, "合成生物", limit=100)}
    assert seed("001") in {h.doc_id for h in search(reader, "脑机接口", limit=100)}  # the Beijing story


def test_index_documents_reads_documents_whose_rowid_hint_is_stale(reader: duckdb.DuckDBPyConnection) -> None:
    from warehouse.search_build import _documents

    ids = sorted(r[0] for r in reader.execute("SELECT doc_id FROM documents LIMIT 3").fetchall())
    stale = [(doc_id, 10_000_000 + n) for n, doc_id in enumerate(ids)]  # rowids a checkpoint could have moved
    assert [doc[0] for doc in _documents(reader, [*stale, ("gone", None)])] == ids
