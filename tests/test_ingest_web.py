"""The nightly-ingest flow over a fixture web site on 127.0.0.1: every source kind, incremental runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import yaml

from flows.adapters.archive import raw_path
from tests.fixture_site import Response, Site, article, gov_policy_api, list_page, serve, write_registry

pytestmark = pytest.mark.usefixtures("prefect_server")

# Distinct paragraphs, so that the fixture articles are different documents, not near-copies of one.
TOPICS = (
    "抗体药物研发平台建设与临床试验机构备案管理",
    "疫苗批签发流程优化及冷链运输追溯体系",
    "高端医疗器械首台套保险补偿",
    "基因测序仪国产化替代和检测服务收费标准",
    "中药材种植基地道地药材溯源",
    "合成生物菌种库与发酵中试平台开放共享",
    "脑机接口医疗器械分类界定和伦理审查",
    "生物育种转基因玉米大豆品种审定",
)
NOTICE = "关于支持生物医药产业发展的通知（第{}号）"


def body(n: int, offsets: tuple[int, int, int] = (0, 3, 5)) -> str:
    """A fixture article whose text differs from every other's."""
    first, second, third = (TOPICS[(n + k) % len(TOPICS)] for k in offsets)
    return (
        f"<p>为推进{first}，支持创新药和医疗器械研发，现就有关事项通知如下。</p>"
        f"<p>一、{second}。二、{third}。三、请于{n}月底前报送进展。</p>"
    )


def gbk_article(n: int) -> Response:
    return Response(
        article(f"关于支持生物医药产业发展的通知（第{n}号）", body(n), f"2026-11-{n:02d}", charset="gb2312"),
        headers={"Content-Type": "text/html"},
    )


def utf8_article(title: str, n: int) -> Response:
    return Response(
        article(title, f"<p>{title}。</p>" + body(n, (1, 2, 6)), f"2026-10-{n:02d}"),
        headers={"Content-Type": "text/html; charset=utf-8"},
    )


def build_site() -> Site:
    site = Site()
    # Newest first, as lists are: an incremental walk may stop at a page it knows only on such a list.
    gbk_links = [(f"art/{n}.html", NOTICE.format(n), f"2026-11-{n:02d}") for n in range(5, 0, -1)]
    site.routes.update(
        {
            "/robots.txt": Response(b"User-agent: *\nDisallow: /private/\n"),
            "/gbk/index.html": Response(list_page(gbk_links[:3], "index_1.html", "gb2312")),
            "/gbk/index_1.html": Response(
                list_page([*gbk_links[3:], ("/private/p.html", "内部", "2026-11-09")], None, "gb2312")
            ),
            **{f"/gbk/art/{n}.html": gbk_article(n) for n in range(1, 6)},
            "/private/p.html": Response(b"never fetched"),
            "/feed.xml": Response(
                (
                    "<?xml version='1.0' encoding='utf-8'?><rss><channel>"
                    "<item><title>合成生物</title><link>{0}/news/1.html</link>"
                    "<pubDate>Mon, 02 Nov 2026 08:00:00 +0800</pubDate></item>"
                    "<item><title>脑机接口</title><link>{0}/news/2.html</link></item>"
                    "</channel></rss>"
                ).encode()
            ),
            "/news/1.html": utf8_article("推动合成生物制造产业高质量发展的实施意见", 2),
            "/news/2.html": utf8_article("关于促进脑机接口产业创新发展的若干措施", 3),
            "/sitemap.xml": Response(
                b"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
                b"<url><loc>{0}/sm/1.html</loc><lastmod>2026-10-05</lastmod></url>"
                b"<url><loc>{0}/sm/broken.html</loc></url></urlset>"
            ),
            "/sm/1.html": Response(
                article("中医药传承创新发展行动方案", body(4, (2, 4, 7)), "2026-10-05", "gbk"),
                headers={"Content-Type": "text/html; charset=utf-8"},
            ),  # a lying charset
            "/sm/broken.html": Response(bytes(range(256)) * 20, headers={"Content-Type": "text/html"}),
            "/api/list": Response(b""),
            "/api/doc/7.html": utf8_article("生物育种产业化应用管理办法", 7),
        }
    )
    return site


def finish_routes(site: Site) -> None:
    """Fill the routes that must name the server's own address."""
    for path in ("/feed.xml", "/sitemap.xml"):
        route = site.routes[path]
        assert isinstance(route, Response)
        route.body = route.body.replace(b"{0}", site.base.encode())
    site.routes["/api/list"] = gov_policy_api(
        [
            {
                "title": "<em>生物育种</em>产业化应用管理办法",
                "url": site.url("/api/doc/7.html"),
                "pubtimeStr": "2026.10.07",
                "puborg": "农业农村部",
                "pcode": "农农发〔2026〕7号",
            }
        ]
    )


@pytest.fixture
def site() -> Iterator[Site]:
    with serve(build_site()) as running:
        finish_routes(running)
        yield running


def registry(tmp_path: Path, site: Site) -> Path:
    common = {"delay_seconds": 0, "concurrency": 4, "enabled": True}
    sources = [
        {
            "name": "gbk-list",
            "kind": "html-list",
            "url": site.url("/gbk/index.html"),
            "link_selector": "ul.u-list li a",
            "next_selector": "a.next",
            "max_pages": 3,
            **common,
        },
        {"name": "feed", "kind": "rss", "url": site.url("/feed.xml"), **common},
        {"name": "sitemap", "kind": "sitemap", "url": site.url("/sitemap.xml"), **common},
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


def run(sources: Path, db: Path, backfill: bool = False):
    from flows.ingest import nightly_ingest

    return nightly_ingest(str(sources), str(db), backfill)


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_ingest_web_sources_end_to_end(tmp_path: Path, home: Path, site: Site) -> None:
    sources, db = registry(tmp_path, site), tmp_path / "w.duckdb"
    result = run(sources, db)
    titles = {t for (t,) in query(db, "SELECT title FROM documents")}
    assert {f"关于支持生物医药产业发展的通知（第{n}号）" for n in range(1, 6)} <= titles  # GBK list, both pages
    assert {"推动合成生物制造产业高质量发展的实施意见", "关于促进脑机接口产业创新发展的若干措施"} <= titles  # RSS
    assert "中医药传承创新发展行动方案" in titles  # sitemap page whose header lies about its charset
    assert "生物育种产业化应用管理办法" in titles  # JSON API
    assert query(db, "SELECT doc_number, issuers FROM documents WHERE title LIKE '生物育种%'") == [
        ("农农发〔2026〕7号", ["农业农村部"])
    ]
    assert site.hits["/private/p.html"] == 0
    assert query(db, "SELECT status FROM frontier WHERE url LIKE '%/private/p.html'") == [("robots",)]
    assert all(attempt.ok for attempt in result.attempts)


def test_ingest_web_keeps_a_page_that_fails_to_parse(tmp_path: Path, home: Path, site: Site) -> None:
    sources, db = registry(tmp_path, site), tmp_path / "w.duckdb"
    run(sources, db)
    rows = query(db, "SELECT outcome, raw_sha256, extraction_status FROM pages WHERE url LIKE '%/sm/broken.html'")
    assert len(rows) == 1
    outcome, raw, status = rows[0]
    assert (outcome, status) == ("failed", "undecodable")
    assert raw_path(home / "raw", raw).exists()


def test_ingest_web_keeps_a_doubted_article_as_a_low_confidence_document(
    tmp_path: Path, home: Path, site: Site
) -> None:
    short = "<html><head><title>关于公布脑机接口项目名单的通知</title></head><body><p>名单见附图。</p></body></html>"
    site.routes["/news/2.html"] = Response(short.encode(), headers={"Content-Type": "text/html; charset=utf-8"})
    sources, db = registry(tmp_path, site), tmp_path / "w.duckdb"
    run(sources, db)
    assert query(
        db,
        "SELECT extraction_status, extraction_reason LIKE '%link selector%' FROM documents "
        "WHERE title = '关于公布脑机接口项目名单的通知'",
    ) == [("low_confidence", True)]
    assert query(
        db, "SELECT outcome, doc_id IS NOT NULL, reason IS NOT NULL FROM pages WHERE url LIKE '%/news/2.html'"
    ) == [("new", True, True)]


def test_ingest_web_second_run_fetches_only_lists(tmp_path: Path, home: Path, site: Site) -> None:
    sources, db = registry(tmp_path, site), tmp_path / "w.duckdb"
    run(sources, db)
    details_before = {p: n for p, n in site.hits.items() if "/art/" in p or "/news/" in p or "/sm/1" in p}
    documents_before = query(db, "SELECT count(*) FROM documents")
    run(sources, db)
    details_after = {p: n for p, n in site.hits.items() if "/art/" in p or "/news/" in p or "/sm/1" in p}
    assert details_after == details_before
    assert query(db, "SELECT count(*) FROM documents") == documents_before
    assert site.hits["/gbk/index_1.html"] == 1  # page 1 was all known: the walk stopped there


def test_ingest_web_backfill_walks_every_list_page(tmp_path: Path, home: Path, site: Site) -> None:
    sources, db = registry(tmp_path, site), tmp_path / "w.duckdb"
    run(sources, db)
    run(sources, db, backfill=True)
    assert site.hits["/gbk/index_1.html"] == 2


def test_ingest_web_fetches_a_new_article_on_the_next_run(tmp_path: Path, home: Path, site: Site) -> None:
    sources, db = registry(tmp_path, site), tmp_path / "w.duckdb"
    run(sources, db)
    links = [(f"art/{n}.html", f"关于支持生物医药产业发展的通知（第{n}号）", f"2026-11-{n:02d}") for n in (6, 1, 2)]
    site.routes["/gbk/index.html"] = Response(list_page(links, "index_1.html", "gb2312"))
    site.routes["/gbk/art/6.html"] = gbk_article(6)
    result = run(sources, db)
    assert result.report.by_source["gbk-list"]["new"] == 1
    assert site.hits["/gbk/art/6.html"] == 1
    assert site.hits["/gbk/art/1.html"] == 1


def test_ingest_web_reports_an_unreachable_source_and_loads_the_rest(
    tmp_path: Path, home: Path, site: Site, capfd: pytest.CaptureFixture[str]
) -> None:
    sources = registry(tmp_path, site)
    data = yaml.safe_load(sources.read_text(encoding="utf-8"))
    data["sources"].append({"name": "nowhere", "kind": "rss", "url": "http://policy.invalid/feed.xml"})
    sources.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    db = tmp_path / "w.duckdb"
    result = run(sources, db)
    failed = {a.source_name: a.error for a in result.attempts if not a.ok}
    assert list(failed) == ["nowhere"]
    assert "does not resolve" in (failed["nowhere"] or "")
    assert query(db, "SELECT consecutive_failures FROM source_health WHERE source_name = 'nowhere'") == [(1,)]
    assert query(db, "SELECT count(*) > 5 FROM documents") == [(True,)]
    # reported once, by the command's summary (its table row and ✗ line): Prefect's console log (shown here
    # from WARNING up) does not repeat it; the Prefect run log keeps it at debug level
    assert "source nowhere failed" not in capfd.readouterr().err


def test_default_registry_lists_the_real_sources_after_the_seeds() -> None:
    from flows.sources import load_sources
    from tests.conftest import SEEDS

    sources = load_sources(SEEDS / "sources.yaml")
    assert sources[0].kind == "files"
    hosts = {s.host for s in sources[1:]}
    for host in (
        "www.gov.cn",
        "www.ndrc.gov.cn",
        "www.most.gov.cn",
        "www.miit.gov.cn",
        "www.nmpa.gov.cn",
        "www.cde.org.cn",
        "www.nhc.gov.cn",
        "kw.beijing.gov.cn",
        "fgw.sh.gov.cn",
        "yjj.sh.gov.cn",
        "gdstc.gd.gov.cn",
    ):
        assert host in hosts
    assert all(s.enabled for s in sources)
