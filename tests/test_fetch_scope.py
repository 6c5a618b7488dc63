"""Scope by origin on two real servers of one host (127.0.0.1, two ports): another port is another site.

A source names the first server; the second is reached only when `allowed_hosts` names its port, and
then with its own robots.txt. Links and redirects to it are refused otherwise, before any request;
a URL with credentials is never requested.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from flows.adapters.fetch import Fetcher, FetchPolicy, FetchResult, HostPolicy
from tests.fixture_site import Response, Site, serve

UA = "PolicyWatch/test (+mailto:test@example.org)"
QUICK = {"127.0.0.1": HostPolicy(concurrency=2, delay_seconds=0)}


@pytest.fixture(scope="module")
def other() -> Iterator[Site]:
    """The second port: its own robots.txt keeps /private/ to itself."""
    routes = {
        "/robots.txt": Response(b"User-agent: *\nDisallow: /private/\n"),
        "/page.html": Response(b"<html>other port</html>"),
        "/private/admin.html": Response(b"admin"),
    }
    with serve(Site(routes=routes)) as running:
        yield running


@pytest.fixture(scope="module")
def site(other: Site) -> Iterator[Site]:
    """The source's own server: robots.txt allows everything, one page redirects to the other port."""
    routes = {
        "/robots.txt": Response(b"User-agent: *\nAllow: /\n"),
        "/private/ok.html": Response(b"<html>mine</html>"),
        "/hop.html": Response(b"", 302, {"Location": other.url("/page.html")}),
    }
    with serve(Site(routes=routes)) as running:
        yield running


def fetch(scope: set[str], *urls: str) -> list[FetchResult]:
    async def go() -> list[FetchResult]:
        async with Fetcher(FetchPolicy(user_agent=UA, retries=0), allowed_hosts=scope, host_policies=QUICK) as fetcher:
            return [await fetcher.get(url) for url in urls]

    return asyncio.run(go())


def requests_to(site: Site, path: str) -> int:
    return sum(1 for _, logged, _ in site.log if logged == path)


def test_fetch_refuses_another_port_of_the_source_host(site: Site, other: Site) -> None:
    before = len(other.log)
    (result,) = fetch({site.url("/list/")}, other.url("/page.html"))
    assert result.error_kind == "redirect"
    assert f"{other.base} is not an origin" in (result.error or "")
    assert len(other.log) == before  # not even its robots.txt


def test_fetch_refuses_a_redirect_to_another_port_before_following_it(site: Site, other: Site) -> None:
    before = len(other.log)
    (result,) = fetch({site.url("/list/")}, site.url("/hop.html"))
    assert (result.status, result.error_kind, result.final_url) == (302, "redirect", other.url("/page.html"))
    assert "redirect refused" in (result.error or "")
    assert len(other.log) == before


def test_fetch_reads_robots_per_origin(site: Site, other: Site) -> None:
    port = urlsplit(other.base).port
    mine, theirs, open_page = fetch(
        {site.url("/list/"), f"127.0.0.1:{port}"},  # allowed_hosts naming the second port
        site.url("/private/ok.html"),
        other.url("/private/admin.html"),
        other.url("/page.html"),
    )
    assert (mine.status, theirs.error_kind, open_page.status) == (200, "robots", 200)
    assert requests_to(other, "/private/admin.html") == 0
    assert requests_to(other, "/robots.txt") == 1 and requests_to(site, "/robots.txt") >= 1


def test_fetch_follows_a_redirect_to_a_named_port(site: Site, other: Site) -> None:
    port = urlsplit(other.base).port
    (result,) = fetch({site.url("/list/"), f"127.0.0.1:{port}"}, site.url("/hop.html"))
    assert (result.status, result.body, result.final_url) == (200, b"<html>other port</html>", other.url("/page.html"))


def test_fetch_never_requests_a_url_with_credentials(site: Site) -> None:
    before = len(site.log)
    secret = site.base.replace("http://", "http://alice:s3cret@") + "/private/ok.html"
    (result,) = fetch({site.url("/list/")}, secret)
    assert result.error_kind == "redirect"
    assert "credentials" in (result.error or "")
    assert "s3cret" not in f"{result.url} {result.final_url} {result.error}"
    assert len(site.log) == before
