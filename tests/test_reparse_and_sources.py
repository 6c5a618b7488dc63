"""`policywatch reparse` over the raw archive, and `policywatch sources list / check`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import copy_seeds
from tests.fixture_site import Response, Site, gov_policy_api, serve, write_registry
from tests.tables import table_rows
from tests.test_ingest_web import build_site, finish_routes, registry

runner = CliRunner()
# A news report whose only date is its dateline: the year comes from the day it was fetched.
DATELINE_NEWS = """<html><head><meta charset="utf-8"><title>我国生物医药产业加快发展_新闻</title></head><body>
<h1>我国生物医药产业加快发展</h1><div class="article">
<p>新华社北京6月19日电（记者 王某）国家发展改革委19日表示，将加大对创新药、高端医疗器械和生物育种的支持力度。</p>
<p>有关负责人介绍，下一步将完善临床试验机构备案管理，优化疫苗批签发流程，支持合成生物中试平台开放共享。</p>
<p>他说，各地要结合实际制定配套措施，加快重大项目落地，培育一批具有国际竞争力的生物医药企业。</p></div>
</body></html>"""
# A detail page that names neither its issuer nor its 发文字号 nor its date: the JSON API's list does.
BARE_NOTICE = """<html><head><meta charset="utf-8"><title>生物育种产业化应用管理办法</title></head><body>
<h1>生物育种产业化应用管理办法</h1><div class="TRS_Editor">
<p>第一条 为规范生物育种产业化应用，保障粮食安全和生物安全，制定本办法。</p>
<p>第二条 转基因玉米、大豆品种的审定、生产经营许可和种植管理适用本办法。</p>
<p>第三条 本办法自发布之日起施行。</p></div></body></html>"""
DOCUMENT_FIELDS = (
    "doc_id, title, url, published_on, issuers, doc_number, regions, doc_type, source_name, relevant, "
    "text, summary, extraction_status"
)


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.mark.usefixtures("prefect_server")
def test_reparse_recovers_a_page_the_parser_failed_on(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows import ingest
    from flows.reparse import reparse_archive
    from flows.tasks import parse_pool

    sources, db = copy_seeds(tmp_path / "seeds"), tmp_path / "w.duckdb"
    real = parse_pool.parse_document

    def buggy(data: bytes, options: object) -> object:
        if "003_" in str(getattr(options, "url", "")):
            raise RuntimeError("parser bug")
        return real(data, options)  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(parse_pool, "parse_document", buggy)
        ingest.nightly_ingest(str(sources), str(db))
    assert query(db, "SELECT count(*) FROM documents") == [(4,)]
    assert query(db, "SELECT count(*) FROM pages WHERE outcome = 'failed' AND raw_sha256 IS NOT NULL") == [(1,)]
    result = reparse_archive(str(sources), str(db))
    assert result.recovered_new == 1
    assert result.report.updated + result.report.unchanged == 4
    assert query(db, "SELECT count(*) FROM documents") == [(5,)]
    assert query(db, "SELECT status FROM runs WHERE flow = 'reparse'") == [("success",)]
    # the row counts the pages re-read, as `policywatch reparse` prints them, not only the one recovered
    assert query(db, "SELECT pages FROM runs WHERE flow = 'reparse'") == [(result.pages,)] == [(5,)]


@pytest.fixture
def news_site() -> Iterator[Site]:
    site = Site(
        routes={
            "/robots.txt": Response(b"User-agent: *\nAllow: /\n"),
            "/news/index.html": Response(
                "<ul class='list'><li><a href='1.html'>新闻</a></li></ul>".encode(),
                headers={"Content-Type": "text/html; charset=utf-8"},
            ),
            "/news/1.html": Response(DATELINE_NEWS.encode(), headers={"Content-Type": "text/html; charset=utf-8"}),
            "/doc/7.html": Response(BARE_NOTICE.encode(), headers={"Content-Type": "text/html; charset=utf-8"}),
        }
    )
    with serve(site) as running:
        running.routes["/api/list"] = gov_policy_api(
            [
                {
                    "title": "生物育种产业化应用管理办法",
                    "url": running.url("/doc/7.html"),
                    "pubtimeStr": "2026.10.07",
                    "puborg": "农业农村部",
                    "pcode": "农农发〔2026〕7号",
                }
            ]
        )
        yield running


def news_registry(tmp_path: Path, site: Site) -> Path:
    common = {"delay_seconds": 0, "enabled": True}
    sources = [
        {
            "name": "news",
            "kind": "html-list",
            "url": site.url("/news/index.html"),
            "link_selector": "ul.list a",
            **common,
        },
        {
            "name": "api",
            "kind": "json-api",
            "url": site.url("/api/list"),
            "api": "gov-policy-library",
            "max_pages": 1,
            **common,
        },
    ]
    return write_registry(tmp_path / "sources.yaml", sources)


@pytest.mark.usefixtures("prefect_server")
def test_reparse_keeps_what_the_fetch_date_and_the_list_gave(tmp_path: Path, home: Path, news_site: Site) -> None:
    from flows import ingest
    from flows.reparse import reparse_archive

    sources, db = news_registry(tmp_path, news_site), tmp_path / "w.duckdb"
    ingest.nightly_ingest(str(sources), str(db))
    fetched = query(db, f"SELECT {DOCUMENT_FIELDS} FROM documents ORDER BY doc_id")
    facts = query(db, "SELECT source_name, published_on, issuers, doc_number FROM documents ORDER BY source_name")
    assert [(name, day.isoformat()[4:] if day else None, issuers, number) for name, day, issuers, number in facts] == [
        ("api", "-10-07", ["农业农村部"], "农农发〔2026〕7号"),  # all three from the API's list item
        ("news", "-06-19", [], None),  # the dateline's day, the year of the fetch date
    ]
    result = reparse_archive(str(sources), str(db))
    assert result.report.updated + result.report.unchanged == 2
    assert query(db, f"SELECT {DOCUMENT_FIELDS} FROM documents ORDER BY doc_id") == fetched


def test_sources_list_shows_every_source_with_its_kind_and_state(tmp_path: Path) -> None:
    sources = [
        {"name": "alpha", "title": "甲", "kind": "files", "url": "docs/*.txt", "verified": "no"},
        {"name": "beta", "title": "乙", "kind": "rss", "url": "https://www.example.gov.cn/feed.xml", "enabled": False},
    ]
    path = write_registry(tmp_path / "registry.yaml", sources)
    result = runner.invoke(app, ["sources", "list", "--sources", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert [row[:4] for row in table_rows(result.output)] == [
        ["alpha", "files", "yes", "no"],
        ["beta", "rss", "no", "no"],
    ]


def test_sources_check_probes_each_source(tmp_path: Path) -> None:
    with serve(build_site()) as site:
        finish_routes(site)
        result = runner.invoke(
            app, ["sources", "check", "--sources", str(registry(tmp_path, site))], env={"COLUMNS": "200"}
        )
    assert result.exit_code == 0, result.output
    statuses = {row[0]: (row[2], int(row[3]) > 0) for row in table_rows(result.output)}
    assert statuses == dict.fromkeys(("gbk-list", "feed", "sitemap", "api"), ("ok", True))
