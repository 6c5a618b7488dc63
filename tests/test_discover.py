"""Discovery walks over a list site on 127.0.0.1: where it goes on, where it may stop, which links it takes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from flows.adapters.fetch import Fetcher, FetchPolicy, HostPolicy
from flows.sources import Source
from flows.tasks.discover import Discovery, discover, read_list
from parsers.run import FrontierState
from tests.fixture_site import Response, Site, serve

FETCHED = FrontierState(status="fetched", etag=None, last_modified=None, list_updated=None, fetches=1)


def rows(*links: tuple[str, str]) -> str:
    return "".join(f'<li><a href="{href}" title="通知{href}">通知</a><span>{day}</span></li>' for href, day in links)


def page(body: str, script: str = "", after: str = "") -> Response:
    html = f"<html><body><ul class='u-list'>{body}</ul>{after}<script>{script}</script></body></html>"
    return Response(html.encode(), headers={"Content-Type": "text/html; charset=utf-8"})


@pytest.fixture
def site() -> Iterator[Site]:
    with serve(Site()) as running:
        yield running


def source(site: Site, path: str, **more: object) -> Source:
    defaults: dict[str, object] = {"link_selector": "ul.u-list li a", "max_pages": 3}
    return Source(name="t", title="t", kind="html-list", url=site.url(path), base_dir=Path("."), **{**defaults, **more})  # type: ignore[arg-type]


def walk(site: Site, src: Source, known: frozenset[str] = frozenset()) -> Discovery:
    async def go() -> Discovery:
        host = urlsplit(site.base).hostname or ""
        async with Fetcher(
            FetchPolicy(user_agent="t", retries=0),
            allowed_hosts={site.base, *src.allowed_hosts},
            host_policies={host: HostPolicy(delay_seconds=0)},
        ) as fetcher:
            return await discover(src, fetcher, lambda urls: {u: FETCHED for u in urls if u in known}, backfill=False)

    return asyncio.run(go())


def test_discover_follows_the_pages_a_pager_script_names(site: Site) -> None:
    site.routes.update(
        {
            "/l/index.html": page(rows(("a.html", "2026-03-03")), 'createPageHTML(3, 0, "index", "html");'),
            "/l/index_1.html": page(rows(("b.html", "2026-03-02")), 'createPageHTML(3, 1, "index", "html");'),
            "/l/index_2.html": page(rows(("c.html", "2026-03-01")), 'createPageHTML(3, 2, "index", "html");'),
        }
    )
    found = walk(site, source(site, "/l/index.html", max_pages=5))
    assert [urlsplit(i.url).path for i in found.items] == ["/l/a.html", "/l/b.html", "/l/c.html"]
    assert found.lists_read == 3


def test_discover_stops_at_a_known_page_of_a_newest_first_list(site: Site) -> None:
    site.routes.update(
        {
            "/l/index.html": page(
                rows(("a.html", "2026-03-03"), ("b.html", "2026-03-02")), 'createPageHTML(2, 0, "index", "html");'
            ),
            "/l/index_1.html": page(rows(("c.html", "2026-03-01"))),
        }
    )
    walk(site, source(site, "/l/index.html"), known=frozenset({site.url("/l/a.html"), site.url("/l/b.html")}))
    assert site.hits["/l/index_1.html"] == 0


@pytest.mark.parametrize(
    "first_page",
    [
        rows(("a.html", "2026-03-01"), ("b.html", "2026-03-05")),  # not in date order (NFRA, SASAC)
        '<li><a href="a.html">通知</a></li><li><a href="b.html">通知</a></li>',  # nothing shows the order
    ],
)
def test_discover_walks_on_past_a_known_page_of_an_unsorted_list(site: Site, first_page: str) -> None:
    site.routes.update(
        {
            "/l/index.html": page(first_page, 'createPageHTML(2, 0, "index", "html");'),
            "/l/index_1.html": page(rows(("new.html", "2026-03-09"))),
        }
    )
    found = walk(site, source(site, "/l/index.html"), known=frozenset({site.url("/l/a.html"), site.url("/l/b.html")}))
    assert site.url("/l/new.html") in {i.url for i in found.items}


def test_discover_walks_the_next_links_of_an_html_pager(site: Site) -> None:
    site.routes.update(
        {
            "/l/index.html": page(rows(("a.html", "2026-03-03")), after="<a href='index_1.html'>下一页</a>"),
            "/l/index_1.html": page(rows(("b.html", "2026-03-02")), after="<a href='index_2.html'>下一页</a>"),
            "/l/index_2.html": page(rows(("c.html", "2026-03-01"))),
        }
    )
    found = walk(site, source(site, "/l/index.html"))
    assert len(found.items) == 3


def test_read_list_skips_links_to_hosts_the_source_does_not_fetch() -> None:
    html = (
        b"<ul class='u-list'><li><a href='/a.html'>a</a></li>"
        b"<li><a href='https://www.gov.cn/zhengce/content_1.htm'>b</a></li></ul>"
    )
    src = Source(
        name="t",
        title="t",
        kind="html-list",
        url="http://www.sasac.gov.cn/l/index.html",
        base_dir=Path("."),
        link_selector="ul.u-list li a",
    )
    listed = read_list(src, html, url=src.url)
    assert ([i.url for i in listed.items], [i.url for i in listed.off_site]) == (
        ["http://www.sasac.gov.cn/a.html"],
        ["https://www.gov.cn/zhengce/content_1.htm"],
    )


def test_read_list_takes_links_to_a_declared_allowed_host() -> None:
    html = b"<ul class='u-list'><li><a href='https://www.gov.cn/zhengce/content_1.htm'>b</a></li></ul>"
    src = Source(
        name="t",
        title="t",
        kind="html-list",
        url="http://www.sasac.gov.cn/l/index.html",
        base_dir=Path("."),
        link_selector="ul.u-list li a",
        allowed_hosts=("www.gov.cn",),
    )
    assert [i.url for i in read_list(src, html, url=src.url).items] == ["https://www.gov.cn/zhengce/content_1.htm"]


def test_discover_json_api_sends_preset_and_source_headers(site: Site) -> None:
    site.routes["/search-gov/data"] = Response(b'{"searchVO": {"listVO": [{"url": "/a.htm", "title": "t"}]}}')
    src = Source(
        name="t",
        title="t",
        kind="json-api",
        url=site.url("/search-gov/data"),
        base_dir=Path("."),
        options={"api": "gov-policy-library", "headers": {"User-Agent": "Browser/1"}},
    )
    found = walk(site, src)
    headers = next(h for _, path, h in site.log if path == "/search-gov/data")
    assert len(found.items) == 1
    assert (headers["user-agent"], headers["referer"]) == (
        "Browser/1",
        "https://sousuo.www.gov.cn/zcwjk/policyDocumentLibrary",
    )


def test_discover_json_api_stops_when_a_page_repeats_the_last(site: Site) -> None:
    site.routes["/api"] = Response(b'{"list": [{"url": "/a.htm", "title": "t", "date": "2026-03-01"}]}')
    src = Source(
        name="t",
        title="t",
        kind="json-api",
        url=site.url("/api"),
        base_dir=Path("."),
        max_pages=5,
        options={"items_path": "list", "page_param": "page", "fields": {"published_on": "date"}},
    )
    found = walk(site, src)
    assert (len(found.items), site.hits["/api"]) == (1, 2)
