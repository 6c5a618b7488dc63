"""Low-confidence documents in the warehouse: loaded as documents, their status and reason visible."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from parsers.parse import parse_document
from parsers.records import ParseOptions
from parsers.run import PageOutcome, SourceAttempt
from warehouse.load import load_run
from warehouse.migrate import available, migrate
from warehouse.reparse import apply_reparse, latest_pages

NOW = datetime(2026, 11, 20, 1, 0)
ARTICLE = (
    "<html><head><title>关于公布2026年度生物医药重点项目名单的通知</title></head><body><div class='TRS_Editor'>"
    "<p>各有关单位：根据工作安排，现将2026年度生物医药重点项目名单予以公布，请各单位按照要求做好项目实施工作。</p>"
    "<p>项目承担单位应当严格执行项目任务书，按期报送进展情况，确保各项任务按时保质完成。</p><p>特此通知。</p></div></body></html>"
)
SHORT = "<html><head><title>关于公布项目名单的通知</title></head><body><p>名单见附图。</p></body></html>"


def outcome(markup: str, url: str, *, article_link: bool = True) -> PageOutcome:
    doc = parse_document(markup.encode(), ParseOptions(url=url, source_name="test", article_link=article_link))
    return PageOutcome(
        url=url, source_name="test", fetched_at=NOW, raw_sha256=url[-1] * 64, raw_size=len(markup), document=doc
    )


def load(con: duckdb.DuckDBPyConnection, *pages: PageOutcome, run_id: str = "r1") -> None:
    con.execute(
        "INSERT INTO core.runs (run_id, flow, started_at, status) VALUES (?, 'test', ?, 'running')", [run_id, NOW]
    )
    load_run(
        con,
        run_id=run_id,
        pages=list(pages),
        attempts=[SourceAttempt(source_name="test", kind="html-list", ok=True)],
        now=NOW,
    )


def test_low_confidence_page_is_loaded_as_a_document(warehouse: duckdb.DuckDBPyConnection) -> None:
    load(warehouse, outcome(SHORT, "https://a.gov.cn/1"))
    status, reason, title = warehouse.execute(
        "SELECT extraction_status, extraction_reason, title FROM documents"
    ).fetchone()
    assert (status, title) == ("low_confidence", "关于公布项目名单的通知")
    assert "only 6 characters of text" in reason and "link selector" in reason


def test_confident_document_is_ok_without_reason(warehouse: duckdb.DuckDBPyConnection) -> None:
    load(warehouse, outcome(ARTICLE, "https://a.gov.cn/2"))
    assert warehouse.execute("SELECT extraction_status, extraction_reason FROM documents").fetchone() == ("ok", None)


def test_pages_view_shows_every_page_its_document_or_a_reason(warehouse: duckdb.DuckDBPyConnection) -> None:
    pages = [
        outcome(ARTICLE, "https://a.gov.cn/3"),
        outcome(SHORT, "https://a.gov.cn/4"),
        outcome(SHORT, "https://a.gov.cn/5", article_link=False),
    ]
    load(warehouse, *pages)
    rows = warehouse.execute(
        "SELECT url, outcome, extraction_status, doc_id IS NOT NULL, reason IS NOT NULL FROM pages ORDER BY url"
    ).fetchall()
    assert rows == [
        ("https://a.gov.cn/3", "new", "ok", True, False),
        ("https://a.gov.cn/4", "new", "low_confidence", True, True),
        ("https://a.gov.cn/5", "failed", "not_article", False, True),
    ]


def test_new_version_updates_the_extraction_status(warehouse: duckdb.DuckDBPyConnection) -> None:
    load(warehouse, outcome(SHORT, "https://a.gov.cn/6"))
    load(warehouse, outcome(ARTICLE, "https://a.gov.cn/6"), run_id="r2")
    assert warehouse.execute("SELECT version, extraction_status, extraction_reason FROM documents").fetchone() == (
        2, "ok", None)  # fmt: skip


def test_reparse_writes_the_extraction_status(warehouse: duckdb.DuckDBPyConnection) -> None:
    load(warehouse, outcome(SHORT, "https://a.gov.cn/7"))
    (page,) = latest_pages(warehouse)
    reparsed = parse_document(SHORT.encode(), ParseOptions(url=page.url, article_link=False))
    ok = parse_document(ARTICLE.encode(), ParseOptions(url=page.url))
    assert not reparsed.ok  # without the flag the page would fail: reparse keeps the document as it was
    apply_reparse(warehouse, [(page, ok)], now=NOW)
    assert warehouse.execute("SELECT extraction_status, extraction_reason FROM documents").fetchone() == ("ok", None)


def test_migration_marks_documents_already_loaded_ok(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        migrate(con, upto=8)
        con.execute(
            "INSERT INTO core.documents (doc_id, first_seen_at, week, updated_at, issuers, regions, relevant, text, "
            "keywords, content_hash, minhash, cited_titles, version) "
            "VALUES ('d1', now(), '2026-W47', now(), [], [], false, '正文', [], 'h', [], [], 1)"
        )
        assert 9 in migrate(con)
        assert con.execute("SELECT extraction_status, extraction_reason FROM documents").fetchone() == ("ok", None)


@pytest.mark.parametrize(
    ("table", "column"),
    [("documents", "extraction_status"), ("documents", "extraction_reason"), ("pages", "extraction_reason")],
)
def test_new_columns_are_described(warehouse: duckdb.DuckDBPyConnection, table: str, column: str) -> None:
    comment = warehouse.execute(
        "SELECT comment FROM duckdb_columns() WHERE schema_name = 'core' AND table_name = ? AND column_name = ?",
        [table, column],
    ).fetchone()
    assert comment is not None and comment[0]


def test_latest_migration_is_this_one() -> None:
    assert max(m.version for m in available()) >= 9


STORY = (
    "<html><head><title>国家发改委发布《“十四五”生物经济发展规划》</title></head><body><div class='TRS_Editor'>"
    "<p>5月10日，国家发展改革委印发《“十四五”生物经济发展规划》，提出推动生物技术和信息技术融合创新，"
    "加快发展生物医药、生物育种、生物材料、生物能源等产业，做大做强生物经济。</p>"
    "<p>记者了解到，规划明确了生物经济发展的主要目标和重点任务，部署了一批重大工程。</p></div></body></html>"
)
RELEASE = (
    "<html><head><title>《“十四五”生物经济发展规划》政策发布会</title></head><body><div class='TRS_Editor'>"
    "<p>国家发展改革委召开新闻发布会，介绍《“十四五”生物经济发展规划》有关情况，回答记者提问。"
    "发布会上，有关司局负责同志介绍了规划编制的背景、主要内容和下一步工作安排。</p></div></body></html>"
)


def test_title_quoting_a_document_is_not_that_document(warehouse: duckdb.DuckDBPyConnection) -> None:
    # The news story's title quotes the plan: a page citing the plan must not be linked to the story.
    load(warehouse, outcome(STORY, "https://news.cn/1"), outcome(RELEASE, "https://www.ndrc.gov.cn/2"))
    assert warehouse.execute("SELECT count(*) FROM document_links").fetchone() == (0,)
