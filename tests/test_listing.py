"""The list-page rules of parsers/listing.py, each on a plain input."""

from __future__ import annotations

from datetime import date

import pytest

from parsers.listing import (
    ListItem,
    feed_items,
    find_pager,
    html_links,
    json_items,
    newest_first,
    sitemap_items,
    squash,
)

BASE = "https://www.example.gov.cn/zcfb/index.html"


def links(html: str, selector: str = "ul li a", exclude: str | None = None) -> list[tuple[str, str | None]]:
    return [
        (i.url.rsplit("/", 1)[-1], i.title) for i in html_links(html, base_url=BASE, selector=selector, exclude=exclude)
    ]


def test_html_links_skips_a_list_nested_in_a_row() -> None:
    html = """<ul><li><a href="a.html" title="令">令</a><div class="popbox"><ul>
      <li><a href="jd1.html">解读一</a></li><li><a href="jd2.html">解读二</a></li></ul></div><span>2026/04/09</span></li>
      <li><a href="b.html">通知</a><span>2026/04/01</span></li></ul>"""
    assert links(html) == [("a.html", "令"), ("b.html", "通知")]


def test_html_links_drops_links_inside_exclude_selector() -> None:
    html = '<div class="list"><a href="a.html">通知</a><p class="related"><a href="r.html">相关</a></p></div>'
    assert links(html, "div.list a", exclude=".related") == [("a.html", "通知")]


def test_html_links_takes_the_rows_own_link_not_its_download_buttons() -> None:
    html = """<table><tbody id="list"><tr><td>1</td><td><a href="c1/content.shtml"><span>期货交易所管理办法</span>
      <span>（2021年修订）</span></a></td><td><a href="c1/files/x.docx">下载文字版</a><a href="c1/files/x.pdf">下载图片版</a>
      </td></tr></tbody></table>"""
    assert links(html, "#list tr a") == [("content.shtml", "期货交易所管理办法 （2021年修订）")]


def test_html_links_leaves_out_a_rows_category_tag() -> None:
    html = '<ul><li><a href="/col/">[国务院文件]</a><a href="c1.htm">国务院关于加快发展生物制造产业的意见</a></li></ul>'
    assert links(html) == [("c1.htm", "国务院关于加快发展生物制造产业的意见")]


def test_html_links_takes_each_article_of_a_layout_row() -> None:
    html = """<table><tr><td><a href="a.html">关于推进生物医药产业高质量发展的通知</a><br>
      <a href="b.html">关于印发医疗器械创新发展行动方案的通知</a></td></tr></table>"""
    assert [url for url, _ in links(html, "td a")] == ["a.html", "b.html"]


def test_html_links_takes_a_row_linking_a_pdf_directly() -> None:
    html = '<ul><li><a href="/files/plan.pdf" title="实施方案">实施方案</a><span>2026-03-01</span></li></ul>'
    assert links(html) == [("plan.pdf", "实施方案")]


@pytest.mark.parametrize(
    ("anchor", "title"),
    [
        (
            '<a href="x.html" title="关于积极推进企业退休人员社会化管理服务工作的意见">关于积极推进...</a>',
            "关于积极推进企业退休人员社会化管理服务工作的意见",
        ),
        (
            '<a href="x.html" title="关于加快推进…">关于加快推进生物制造产业发展的意见</a>',
            "关于加快推进生物制造产业发展的意见",
        ),
        ('<a href="x.html" title="精神　暂停\n投资">链接</a>', "精神 暂停 投资"),
        (
            '<a href="x.html">\n  关于修改<证券登记结算管理办法>等七部规章的决定 </a>',
            "关于修改<证券登记结算管理办法>等七部规章的决定",
        ),
    ],
)
def test_html_links_title_is_the_fuller_one_on_one_line(anchor: str, title: str) -> None:
    assert links(f"<ul><li>{anchor}</li></ul>") == [("x.html", title)]


@pytest.mark.parametrize(
    ("row", "published"),
    [
        ('<a href="x.html">通知</a><span>[2025-12-18]</span>', date(2025, 12, 18)),
        ('<a href="x.html">通知<span class="date">(2025-10-14)</span></a>', date(2025, 10, 14)),
        ('<a href="x.html">规定（2015年10月29日证监会令第118号公布）</a>', None),
        (
            '<a href="x.html">令</a><div><ul><li><a href="j.html">2024年1月2日解读</a></li></ul></div><span>2024/06/19</span>',
            date(2024, 6, 19),
        ),
    ],
)
def test_html_links_row_date_is_outside_the_title(row: str, published: date | None) -> None:
    found = html_links(f"<ul><li>{row}</li></ul>", base_url=BASE, selector="ul li a")
    assert found[0].published_on == published


@pytest.mark.parametrize(
    ("script", "rule", "first", "total"),
    [
        ('createPageHTML(9, 0, "index", "html");', "trs", "index_1.html", 9),
        ("createPageHTML('page_div',5, 1,'fg','shtml',89);", "trs-div", "fg_2.shtml", 5),
        ("var currentPage = 0;//所在页从0开始\nvar countPage = 16//共多少页", "trs-countpage", "index_1.html", 16),
        (
            'var purl="../zcfb/index_2603340"\n var maxPageNum=0;\n maxPageNum = 16;',
            "countdown",
            "index_2603340_15.html",
            16,
        ),
    ],
)
def test_find_pager_reads_pager_scripts(script: str, rule: str, first: str, total: int) -> None:
    pager = find_pager(f"<html><body><script>{script}</script></body></html>", base_url=BASE, limit=50)
    assert pager is not None
    assert (pager.rule, pager.pages[0].rsplit("/", 1)[-1], pager.total, len(pager.pages)) == (
        rule,
        first,
        total,
        total - 1,
    )


def test_find_pager_counts_down_to_the_oldest_page() -> None:
    pager = find_pager('<script>var purl="index_7"; maxPageNum = 4;</script>', base_url=BASE, limit=5)
    assert pager is not None
    assert [p.rsplit("/", 1)[-1] for p in pager.pages] == ["index_7_3.html", "index_7_2.html", "index_7_1.html"]


def test_find_pager_names_no_more_pages_than_asked() -> None:
    pager = find_pager('<script>createPageHTML(1227, 0, "index", "html");</script>', base_url=BASE, limit=2)
    assert pager is not None and len(pager.pages) == 2


def test_find_pager_follows_an_html_next_link() -> None:
    html = '<div class="gray"><a href="index_1.html">2</a><a href="index_1.html">下一页</a><span>共1,227页</span></div>'
    pager = find_pager(html, base_url=BASE, limit=3)
    assert pager is not None
    assert (pager.rule, pager.pages, pager.total) == (
        "next-link",
        ("https://www.example.gov.cn/zcfb/index_1.html",),
        1227,
    )


def test_find_pager_finds_nothing_on_a_single_page() -> None:
    assert find_pager("<ul><li><a href='a.html'>通知</a></li></ul>", base_url=BASE, limit=3) is None


def test_json_items_builds_the_url_from_a_template() -> None:
    payload = {"data": {"lists": [{"docId": "1255777", "docSubtitle": "批复"}, {"docSubtitle": "no id"}]}}
    fields = {
        "url_template": "https://www.nfra.gov.cn/cbircweb/DocInfo/SelectByDocId?docId={docId}",
        "title": "docSubtitle",
    }
    found = json_items(payload, items_path="data.lists", fields=fields, base_url="https://www.nfra.gov.cn/api")
    assert [(i.url, i.title, dict(i.facts)) for i in found] == [
        ("https://www.nfra.gov.cn/cbircweb/DocInfo/SelectByDocId?docId=1255777", "批复", {})
    ]


@pytest.mark.parametrize(
    ("value", "published"),
    [
        ("20260601", date(2026, 6, 1)),
        (1790758800000, date(2026, 9, 30)),
        ("1790758800000", date(2026, 9, 30)),
        (1790758800, date(2026, 9, 30)),
        ("2026.09.30", date(2026, 9, 30)),
        ("2026-04-21 15:30:00", date(2026, 4, 21)),
        ("", None),
    ],
)
def test_json_items_reads_api_dates(value: object, published: date | None) -> None:
    found = json_items(
        [{"u": "/a.html", "d": value}], items_path="", fields={"url": "u", "published_on": "d"}, base_url=BASE
    )
    assert found[0].published_on == published


@pytest.mark.parametrize(
    ("raw", "title"),
    [
        (
            "国家广播电视总局令（第16号）<br/>\u3000\u3000微短剧发展管理办法",
            "国家广播电视总局令（第16号） 微短剧发展管理办法",
        ),
        ("<em>生物育种</em>产业化应用管理办法", "生物育种产业化应用管理办法"),
        ("关于修改<证券法>的决定\xa0", "关于修改<证券法>的决定"),
        ("  \u3000 ", None),
    ],
)
def test_squash_makes_a_title_one_clean_line(raw: str, title: str | None) -> None:
    assert squash(raw) == title


def item(url: str, published: date | None = None) -> ListItem:
    return ListItem(url=f"https://x.gov.cn/{url}", published_on=published)


@pytest.mark.parametrize(
    ("items", "ordered"),
    [
        ([item("a", date(2026, 3, 2)), item("b", date(2026, 3, 2)), item("c", date(2026, 1, 5))], True),
        ([item("a", date(2026, 3, 2)), item("b", date(2026, 4, 24))], False),  # NFRA, SASAC: not in date order
        ([item("c3217074/content.shtml"), item("c1942800/content.shtml")], True),  # undated: URL numbers descend
        ([item("c1653977/content.shtml"), item("c1653979/content.shtml")], False),  # CSRC
        ([item("about.html")], False),  # nothing shows the order
        ([item("t1.html", date(2026, 1, 1)), item("t2.html")], False),  # dates and numbers do not mix
    ],
)
def test_newest_first_needs_proof_of_order(items: list[ListItem], ordered: bool) -> None:
    assert newest_first(items)[0] is ordered


def test_newest_first_carries_the_order_across_pages() -> None:
    _, last = newest_first([item("a", date(2026, 3, 2))])
    assert newest_first([item("b", date(2026, 3, 9))], last)[0] is False
    assert newest_first([item("b", date(2026, 3, 1))], last)[0] is True


XXE_SITEMAP = (
    b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    b"<url><loc>http://a.gov.cn/c4/sm-&xxe;.html</loc></url><url><loc>http://a.gov.cn/c4/b&amp;c.html</loc></url>"
    b"</urlset>"
)


def test_sitemap_items_keep_the_text_after_an_unresolved_entity_as_written() -> None:
    pages, _ = sitemap_items(XXE_SITEMAP)
    assert [p.url for p in pages] == ["http://a.gov.cn/c4/sm-&xxe;.html", "http://a.gov.cn/c4/b&c.html"]
    assert all("root:" not in p.url for p in pages)  # the external entity is never read


def test_feed_items_read_an_html_entity_in_a_title_as_its_character() -> None:
    feed = b"<rss><channel><item><title>A&nbsp;B</title><link>http://a.gov.cn/1.html</link></item></channel></rss>"
    assert [(i.url, i.title) for i in feed_items(feed)] == [("http://a.gov.cn/1.html", "A\xa0B")]
