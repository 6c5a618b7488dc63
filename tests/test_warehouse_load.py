"""The loader: new documents, copies as sightings, versions, citation links, atomic batches."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from parsers.parse import parse_document
from parsers.records import ParseOptions
from parsers.run import PageOutcome, SourceAttempt
from warehouse.load import load_run

PLAN = (
    "“十四五”生物医药产业发展规划\n"
    "发布时间:2024-03-01\n"
    "为加快生物医药产业发展，推动创新药、疫苗和高端医疗器械研发，制定本规划。\n"
    "一、发展基础。我省生物医药产业规模持续扩大，创新药研发能力显著提升，疫苗产能位居全国前列。\n"
    "二、重点任务。支持细胞治疗和基因治疗产品临床转化，建设生物医药产业园区，完善审评审批服务。\n"
    "三、保障措施。加大财政资金支持力度，设立生物医药产业投资基金，引进高层次人才。\n"
)
NEWS = (
    "专家解读生物医药新规划\n"
    "发布时间:2024-03-05\n"
    "记者从发布会获悉，《“十四五”生物医药产业发展规划》提出支持创新药和疫苗研发，加快细胞治疗临床转化。\n"
    "专家认为，规划将推动生物医药产业园区建设，带动产业投资基金发展。\n"
)
NOW = datetime(2026, 11, 20, 1, 0)
# One page at one URL in two versions that differ in every field a parse gives (索引号, 来源, 原文链接, level …).
MEASURES_V1 = (
    "国家发展改革委关于支持生物医药产业高质量发展的若干措施\n"
    "索引号：000014349/2024-00011 来源：国家发展改革委\n发布时间：2024-03-01\n发文字号：发改高技〔2024〕101号\n"
    "为加快生物医药产业发展，推动创新药、疫苗和高端医疗器械研发，制定本措施。\n"
    "一、支持细胞治疗和基因治疗产品临床转化，建设生物医药产业园区。\n"
    "二、完善审评审批服务，加大财政资金支持力度。\n国家发展改革委\n2024年2月28日\n"
    "原文链接：https://www.ndrc.gov.cn/xxgk/zcfb/tz/202403/t20240301_1.html\n"
)
MEASURES_V2 = (
    "上海市发展和改革委员会关于支持生物医药产业高质量发展的若干措施\n"
    "索引号：11310000002420000/2024-00022 来源：上海市发展和改革委员会\n发布时间：2024-03-09\n"
    "发文字号：沪发改规范〔2024〕2号\n"
    "为促进生物医药和高端医疗器械产业集聚，支持疫苗研发与细胞治疗临床转化，制定本措施。\n"
    "一、设立生物医药产业投资基金，引进高层次人才。\n二、优化审评审批服务。\n上海市发展和改革委员会\n2024年3月8日\n"
    "原文链接：https://fgw.sh.gov.cn/fgw_zcfb/20240309/2.html\n"
)


def page(text: str, url: str, source: str = "test") -> PageOutcome:
    doc = parse_document(text.encode("utf-8"), ParseOptions(url=url, source_name=source))
    return PageOutcome(
        url=url, source_name=source, fetched_at=NOW, raw_sha256="x" * 64, raw_size=len(text), document=doc
    )


def load(con: duckdb.DuckDBPyConnection, *pages: PageOutcome, run_id: str = "r1") -> dict[str, int]:
    con.execute(
        "INSERT INTO core.runs (run_id, flow, started_at, status) VALUES (?, 'test', ?, 'running')", [run_id, NOW]
    )
    report = load_run(
        con,
        run_id=run_id,
        pages=list(pages),
        attempts=[SourceAttempt(source_name="test", kind="files", ok=True)],
        now=NOW,
    )
    return {k: report.total(k) for k in ("new", "exact", "near", "version", "unchanged", "failed")}


def count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_load_new_document(warehouse: duckdb.DuckDBPyConnection) -> None:
    assert load(warehouse, page(PLAN, "https://a.gov.cn/1.html"))["new"] == 1
    assert count(warehouse, "documents") == 1
    assert count(warehouse, "document_versions") == 1


def test_load_exact_copy_is_a_sighting(warehouse: duckdb.DuckDBPyConnection) -> None:
    copy = PLAN.replace("，", ", ").replace("。", ". ")
    counts = load(warehouse, page(PLAN, "https://a.gov.cn/1.html"), page(copy, "https://news.cn/9.html", "news"))
    assert (counts["new"], counts["exact"]) == (1, 1)
    assert count(warehouse, "documents") == 1
    assert count(warehouse, "document_sightings") == 2


def test_load_same_url_changed_content_is_a_version(warehouse: duckdb.DuckDBPyConnection) -> None:
    load(warehouse, page(PLAN, "https://a.gov.cn/1.html"))
    changed = PLAN + "四、附则。本规划自发布之日起施行。\n"
    assert load(warehouse, page(changed, "https://a.gov.cn/1.html"), run_id="r2")["version"] == 1
    assert count(warehouse, "documents") == 1
    assert warehouse.execute("SELECT max(version) FROM document_versions").fetchone() == (2,)
    assert warehouse.execute("SELECT version FROM documents").fetchone() == (2,)


def document_row(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    cursor = con.execute("SELECT * FROM core.documents")
    rows = cursor.fetchall()
    assert len(rows) == 1
    return dict(zip([d[0] for d in cursor.description], rows[0], strict=True))


def test_load_new_version_takes_every_column_of_the_new_page(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    from warehouse.connection import open_writer

    url = "https://a.gov.cn/1.html"
    load(warehouse, page(MEASURES_V1, url))
    first = document_row(warehouse)
    load(warehouse, page(MEASURES_V2, url), run_id="r2")
    with open_writer(tmp_path / "fresh.duckdb") as fresh:  # the same page loaded as a new document
        load(fresh, page(MEASURES_V2, url))
        expected = document_row(fresh)
    # A version keeps its document's id and counts up; the canonical key stays the first copy's.
    kept = {"doc_id", "version", "canonical_key"}
    assert {"index_number", "level", "original_source", "original_url"} <= {
        c for c in expected if first[c] != expected[c]
    }
    got = document_row(warehouse)
    assert {c: got[c] for c in expected if c not in kept} == {c: v for c, v in expected.items() if c not in kept}


def test_load_page_changed_within_one_run_keeps_one_set_of_labels(warehouse: duckdb.DuckDBPyConnection) -> None:
    changed = PLAN + "四、附则。本规划自发布之日起施行。\n"
    counts = load(warehouse, page(PLAN, "https://a.gov.cn/1.html"), page(changed, "https://a.gov.cn/1.html"))
    assert (counts["new"], counts["version"]) == (1, 1)
    labels, distinct = warehouse.execute(
        "SELECT count(*), count(DISTINCT (doc_id, facet, topic_id)) FROM core.document_labels"
    ).fetchone()
    assert labels == distinct > 0


def test_load_same_page_twice_is_unchanged(warehouse: duckdb.DuckDBPyConnection) -> None:
    load(warehouse, page(PLAN, "https://a.gov.cn/1.html"))
    assert load(warehouse, page(PLAN, "https://a.gov.cn/1.html"), run_id="r2")["unchanged"] == 1
    assert count(warehouse, "document_sightings") == 1


def test_load_links_citation_made_before_the_cited_document_arrives(warehouse: duckdb.DuckDBPyConnection) -> None:
    load(warehouse, page(NEWS, "https://news.cn/2.html", "news"))
    assert count(warehouse, "document_links") == 0
    load(warehouse, page(PLAN, "https://a.gov.cn/1.html"), run_id="r2")
    assert count(warehouse, "document_links") == 1


def test_load_links_citation_of_a_known_document(warehouse: duckdb.DuckDBPyConnection) -> None:
    load(warehouse, page(PLAN, "https://a.gov.cn/1.html"), page(NEWS, "https://news.cn/2.html", "news"))
    rows = warehouse.execute("SELECT relation, evidence FROM document_links").fetchall()
    assert rows == [("cites", "十四五生物医药产业发展规划")]


def test_load_failed_page_is_recorded_not_lost(warehouse: duckdb.DuckDBPyConnection) -> None:
    broken = PageOutcome(
        url="https://a.gov.cn/bad",
        source_name="test",
        fetched_at=NOW,
        raw_sha256="y" * 64,
        raw_size=3,
        document=parse_document(b"", ParseOptions()),
    )
    assert load(warehouse, broken)["failed"] == 1
    assert warehouse.execute("SELECT outcome, raw_sha256 FROM pages").fetchall() == [("failed", "y" * 64)]


def test_writer_memory_and_threads_are_capped_unless_the_environment_says_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warehouse.connection import open_writer

    settings = "SELECT current_setting('memory_limit'), current_setting('threads')"
    monkeypatch.delenv("POLICYWATCH_DUCKDB_MEMORY", raising=False)
    monkeypatch.delenv("POLICYWATCH_DUCKDB_THREADS", raising=False)
    with open_writer(tmp_path / "w.duckdb") as con:
        assert con.execute(settings).fetchone() == ("64.0 MiB", 1)
    monkeypatch.setenv("POLICYWATCH_DUCKDB_MEMORY", "256MiB")
    monkeypatch.setenv("POLICYWATCH_DUCKDB_THREADS", "2")
    with open_writer(tmp_path / "w.duckdb") as con:
        assert con.execute(settings).fetchone() == ("256.0 MiB", 2)
