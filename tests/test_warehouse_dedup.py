"""Deduplication in the warehouse: reposts, traditional and trimmed copies, versions, canonical copies, order."""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path

import duckdb
import opencc
import pytest

from parsers.parse import parse_document
from parsers.records import ParseOptions
from parsers.run import PageOutcome
from tests.test_warehouse_load import NOW, load
from warehouse.load import load_run

SEEDS = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))
_S2T = opencc.OpenCC("s2t")


def seed(i: int) -> str:
    return SEEDS[i].read_text(encoding="utf-8")


def page(text: str, url: str, source: str = "test", *, fetched_at: datetime = NOW) -> PageOutcome:
    doc = parse_document(text.encode("utf-8"), ParseOptions(url=url, source_name=source))
    return PageOutcome(
        url=url, source_name=source, fetched_at=fetched_at, raw_sha256="x" * 64, raw_size=len(text), document=doc
    )


def rows(con: duckdb.DuckDBPyConnection, query: str) -> list[tuple[object, ...]]:
    return con.execute(query).fetchall()


def with_chrome(text: str, site: str = "新华财经网") -> str:
    """The text as another site's HTML page: navigation, breadcrumb, footer around the article."""
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n") if p.strip())
    return (
        f"<html><head><meta charset='utf-8'><title>{site}</title></head><body>"
        "<div class='nav'><a href='/'>首页</a> <a href='/zc'>政策</a> <a href='/xw'>新闻</a></div>"
        "<div class='breadcrumb'>当前位置：首页 &gt; 政策 &gt; 正文</div>"
        f"<div class='article'>{paragraphs}</div>"
        f"<div class='footer'>责任编辑：王小明 版权所有：{site} 京ICP备12345678号 <a href='/about'>关于我们</a></div>"
        "</body></html>"
    )


def trimmed(text: str) -> str:
    """The copy without its first paragraph (a one-paragraph PDF text loses its first tenth)."""
    body = parse_document(text.encode("utf-8"), ParseOptions()).extraction.text
    paragraphs = body.split("\n")
    return "\n".join(paragraphs[1:]) if len(paragraphs) >= 3 else body[len(body) // 10 :]


VARIANTS = {
    "repost with other chrome": with_chrome,
    "traditional copy": _S2T.convert,
    "trimmed copy": trimmed,
}


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("i", range(len(SEEDS)))
def test_dedup_copy_of_each_seed_is_a_sighting(warehouse: duckdb.DuckDBPyConnection, i: int, variant: str) -> None:
    original = page(seed(i), f"https://www.example.gov.cn/{i}.html")
    copy = page(VARIANTS[variant](seed(i)), f"https://repost.example.com/{i}.html", "repost")
    counts = load(warehouse, original, copy)
    assert counts["new"] == 1 and counts["exact"] + counts["near"] == 1
    assert rows(warehouse, "SELECT count(*) FROM documents") == [(1,)]
    assert rows(warehouse, "SELECT count(*) FROM document_sightings") == [(2,)]


def test_dedup_traditional_copy_is_an_exact_duplicate(warehouse: duckdb.DuckDBPyConnection) -> None:
    counts = load(
        warehouse, page(seed(1), "https://a.gov.cn/1.html"), page(_S2T.convert(seed(1)), "https://b.com/1.html")
    )
    assert counts["exact"] == 1


def test_dedup_copy_in_a_later_run_is_a_sighting(warehouse: duckdb.DuckDBPyConnection) -> None:
    load(warehouse, page(seed(3), "https://a.gov.cn/3.html"))
    assert load(warehouse, page(trimmed(seed(3)), "https://b.com/3.html"), run_id="r2")["near"] == 1
    assert rows(warehouse, "SELECT count(*) FROM documents") == [(1,)]


def test_dedup_changed_page_at_same_url_is_a_version(warehouse: duckdb.DuckDBPyConnection) -> None:
    load(warehouse, page(seed(4), "https://a.gov.cn/4.html"))
    changed = seed(4).replace("生物医药产业是关系国计民生", "生物医药产业是关系民生福祉")
    assert load(warehouse, page(changed, "https://a.gov.cn/4.html?utm_source=x"), run_id="r2")["version"] == 1
    ((version, change),) = rows(warehouse, "SELECT version, change_ratio FROM document_versions WHERE version = 2")
    assert version == 2 and 0 < change < 0.2
    assert rows(warehouse, "SELECT count(*) FROM documents") == [(1,)]


SHARED_OPENING = "各地级以上市人民政府，省政府各部门、各直属机构：\n"
SHARED_CLOSING = (
    "\n实施过程中遇到的重大问题，请径向广东省科学技术厅反映。\n广东省科学技术厅\n广东省发展和改革委员会\n"
    "广东省工业和信息化厅\n2024年2月7日\n（联系人：张三，电话：020-12345678）\n"
)
BODY_A = (
    "为加快合成生物产业发展，支持建设合成生物中试平台，培育一批底盘细胞和酶制剂企业，"
    "对购置发酵设备给予补助，推动生物制造在食品、化工和材料领域的应用示范。"
)
BODY_B = (
    "为加快细胞与基因治疗产业发展，支持建设病毒载体生产平台，培育一批CAR-T和干细胞企业，"
    "对开展临床试验给予补助，推动细胞治疗产品在医院的应用示范和医保准入。"
)


def test_dedup_same_topic_with_shared_boilerplate_is_not_merged(warehouse: duckdb.DuckDBPyConnection) -> None:
    a = "关于支持合成生物产业发展的通知\n" + SHARED_OPENING + BODY_A + SHARED_CLOSING
    b = "关于支持细胞与基因治疗产业发展的通知\n" + SHARED_OPENING + BODY_B + SHARED_CLOSING
    counts = load(warehouse, page(a, "https://gdstc.gd.gov.cn/a.html"), page(b, "https://gdstc.gd.gov.cn/b.html"))
    assert counts["new"] == 2
    assert rows(warehouse, "SELECT count(*) FROM documents") == [(2,)]


def test_dedup_official_copy_is_canonical_whatever_arrives_first(warehouse: duckdb.DuckDBPyConnection) -> None:
    load(warehouse, page(with_chrome(seed(3)), "https://repost.example.com/3.html", "repost"))
    (doc_id,) = rows(warehouse, "SELECT doc_id FROM documents")[0]
    load(warehouse, page(seed(3), "https://gdstc.gd.gov.cn/3.html", "gdstc"), run_id="r2")
    assert rows(warehouse, "SELECT doc_id, url, source_name FROM documents") == [
        (doc_id, "https://gdstc.gd.gov.cn/3.html", "gdstc")
    ]  # the doc_id stays
    load(warehouse, page(_S2T.convert(seed(3)), "http://www.news.cn/3.htm", "xinhua"), run_id="r3")
    assert rows(warehouse, "SELECT url FROM documents") == [("https://gdstc.gd.gov.cn/3.html",)]


def _load_all(db: Path, pages: list[PageOutcome]) -> list[tuple[object, ...]]:
    from warehouse.connection import open_writer

    with open_writer(db) as con:
        load(con, *pages)
        return rows(
            con,
            "SELECT d.doc_id, d.url, list(s.url ORDER BY s.url) FROM documents d "
            "JOIN document_sightings s USING (doc_id) GROUP BY ALL ORDER BY 1",
        )


def test_dedup_same_pages_in_any_order_give_the_same_documents(tmp_path: Path) -> None:
    pages = [page(seed(i), f"https://repost.example.com/{i}.html", "repost") for i in range(len(SEEDS))]
    pages += [page(_S2T.convert(seed(i)), f"https://www.news.cn/{i}.htm", "xinhua") for i in (1, 3)]
    pages += [page(trimmed(seed(i)), f"https://www.gd.gov.cn/{i}.html", "gd") for i in (3, 4)]
    first = _load_all(tmp_path / "a.duckdb", pages)
    second = _load_all(tmp_path / "b.duckdb", pages[::-1])
    assert first == second
    assert len(first) == len(SEEDS)
    assert dict((url, n) for _, url, n in first)["https://www.gd.gov.cn/3.html"]  # official copy is canonical


def test_dedup_run_reads_only_what_its_pages_can_match(warehouse: duckdb.DuckDBPyConnection) -> None:
    load(warehouse, *(page(seed(i), f"https://a.gov.cn/{i}.html") for i in range(len(SEEDS))))
    assert rows(warehouse, "SELECT count(DISTINCT doc_id) FROM core.document_bands") == [(len(SEEDS),)]
    assert rows(warehouse, "SELECT count(*) FROM core.documents WHERE indexed_hash = content_hash") == [(len(SEEDS),)]


def test_dedup_documents_loaded_before_the_index_are_indexed(warehouse: duckdb.DuckDBPyConnection) -> None:
    load(warehouse, page(seed(3), "https://a.gov.cn/3.html"))
    warehouse.execute("DELETE FROM core.document_bands")
    warehouse.execute("UPDATE core.documents SET indexed_hash = NULL, minhash = [1, 2, 3]")  # as before 0005
    assert load(warehouse, page(trimmed(seed(3)), "https://b.com/3.html"), run_id="r2")["near"] == 1


PLAN = (
    "关于印发生物制造行动方案的通知\n粤科发〔2024〕12号\n各有关单位：现将生物制造行动方案印发给你们，请认真贯彻执行。\n"
)
NEWS = "记者获悉\n省科技厅日前印发粤科发〔2024〕12号文件，部署生物制造产业发展，支持合成生物中试平台建设。\n"


def test_links_citation_by_document_number_made_when_the_cited_arrives(warehouse: duckdb.DuckDBPyConnection) -> None:
    load(warehouse, page(NEWS, "https://news.example.com/1.html"))
    load(warehouse, page(PLAN, "https://gdstc.gd.gov.cn/p.html"), run_id="r2")
    assert rows(warehouse, "SELECT relation, evidence FROM document_links") == [("cites", "粤科发〔2024〕12号")]


def test_frontier_urls_are_canonical(warehouse: duckdb.DuckDBPyConnection) -> None:
    from parsers.run import FrontierRow
    from warehouse.frontier import lookup

    warehouse.execute(
        "INSERT INTO core.runs (run_id, flow, started_at, status) VALUES ('r1', 'test', ?, 'running')", [NOW]
    )
    frontier = [FrontierRow(url="HTTPS://A.gov.cn:443/x/index.html?utm_source=wx#top", source_name="s", seen_at=NOW)]
    load_run(warehouse, run_id="r1", pages=[], attempts=[], now=NOW, frontier=frontier)
    assert rows(warehouse, "SELECT url FROM core.frontier") == [("https://a.gov.cn/x/",)]
    assert set(lookup(warehouse, ["https://a.gov.cn/x/index.html"])) == {"https://a.gov.cn/x/index.html"}


def test_frontier_keeps_the_last_fetch_of_a_url_else_its_first_sighting(
    warehouse: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from parsers.run import FrontierRow
    from warehouse import load as loader

    monkeypatch.setattr(loader, "FRONTIER_CHUNK", 2)  # the rows of one URL land in different staged chunks
    warehouse.execute(
        "INSERT INTO core.runs (run_id, flow, started_at, status) VALUES ('r1', 'test', ?, 'running')", [NOW]
    )
    a, b = "https://a.gov.cn/1.html", "https://a.gov.cn/2.html"
    frontier = [
        FrontierRow(url=a, source_name="s", seen_at=NOW, title_hint="first"),
        FrontierRow(url=b, source_name="s", seen_at=NOW, title_hint="listed"),
        FrontierRow(url=a, source_name="s", seen_at=NOW, status="failed", fetched_at=NOW, error="timeout"),
        FrontierRow(url=a, source_name="t", seen_at=NOW, status="fetched", fetched_at=NOW, etag="e2"),
        FrontierRow(url=a + "#top", source_name="s", seen_at=NOW, title_hint="later"),
        FrontierRow(url=b, source_name="t", seen_at=NOW, title_hint="again"),
    ]
    load_run(warehouse, run_id="r1", pages=[], attempts=[], now=NOW, frontier=iter(frontier))
    assert rows(
        warehouse, "SELECT url, source_name, status, etag, error, title_hint, fetches FROM core.frontier ORDER BY url"
    ) == [(a, "t", "fetched", "e2", None, None, 1), (b, "s", "discovered", None, None, "listed", 0)]
