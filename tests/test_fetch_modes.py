"""Fetch modes without a browser: a challenge named in plain mode, cookies handed to httpx, what the browser forwards."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from flows.adapters.browser import MISSING, Browser, _forwarded, _replayed, _split_cookies
from flows.adapters.fetch import Fetcher, FetchPolicy, FetchResult, HostPolicy
from flows.adapters.fetch_modes import Challenged, Plain, _landing
from flows.adapters.loopback import Response, Site, serve
from flows.adapters.loopback_challenge import Guard

GUARD = Guard("token", 7919, 412, "ts")
PAGE = Response(
    b"<html><body><p>" + "正文。".encode() * 30 + b"</p></body></html>", headers={"Content-Type": "text/html"}
)


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    routes = {"/robots.txt": Response(b"User-agent: *\nAllow: /\n"), "/open.html": PAGE}
    with serve(Site(routes=routes, fallback=GUARD(PAGE))) as running:
        yield running


def fetch(site: Site, url: str, cookies: list[dict[str, object]] | None = None, *, plain: bool = False) -> FetchResult:
    async def go() -> FetchResult:
        hosts = {"127.0.0.1": HostPolicy(delay_seconds=0)}
        async with Fetcher(FetchPolicy(user_agent="t", retries=0), allowed_hosts={site.base}, host_policies=hosts) as f:
            f.add_cookies(cookies or [])
            return await (Plain(f).get(url) if plain else f.get(url))

    return asyncio.run(go())


def test_plain_mode_names_a_challenge_and_the_cure(site: Site) -> None:
    result = fetch(site, site.url("/list.html"), plain=True)
    assert result.status == 412 and result.error_kind == "challenge"
    assert result.error == "HTTP 412: a JavaScript challenge (HTTP 412 cookie challenge); set `fetch: browser`"


def test_plain_mode_leaves_an_ordinary_page_alone(site: Site) -> None:
    result = fetch(site, site.url("/open.html"), plain=True)
    assert result.ok and result.error is None and result.body == PAGE.body


def test_fetcher_add_cookies_sends_a_browser_cookie_in_its_scope(site: Site) -> None:
    earned = {"name": "token", "value": GUARD.token, "domain": "127.0.0.1", "path": "/", "expires": -1}
    assert fetch(site, site.url("/a.html"), [earned]).status == 200
    assert fetch(site, site.url("/a.html"), [{**earned, "path": "/elsewhere/"}]).status == 412  # other path
    assert fetch(site, site.url("/a.html"), [{**earned, "secure": True}]).status == 412  # never over plain http


def test_browser_split_cookies_undoes_the_comma_join_but_not_a_date() -> None:
    joined = "a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Path=/, b=2; HttpOnly"
    assert _split_cookies(joined) == ["a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Path=/", "b=2; HttpOnly"]
    assert _replayed({"set-cookie": joined, "content-encoding": "gzip", "x": "1"}) == {
        "set-cookie": "a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Path=/\nb=2; HttpOnly",
        "x": "1",
    }


def test_browser_forwards_neither_its_encodings_nor_its_cache_validators() -> None:
    sent = {"accept-encoding": "br", "if-none-match": '"x"', "cookie": "a=1", "host": "h", "user-agent": "UA"}
    assert _forwarded(sent) == {"cookie": "a=1", "user-agent": "UA"}


@pytest.mark.parametrize(
    ("referer", "landing"),
    [
        ("https://www.cde.org.cn/zdyz/listpage/1", "https://www.cde.org.cn/zdyz/listpage/1"),
        ("https://elsewhere.example/", "https://www.cde.org.cn/"),
        (None, "https://www.cde.org.cn/"),
    ],
)
def test_challenged_post_meets_its_challenge_on_the_referer_page(referer: str | None, landing: str) -> None:
    headers = {"Referer": referer} if referer else {}
    assert _landing("https://www.cde.org.cn/zdyz/getDomesticGuideList", headers) == landing


def test_challenged_without_chromium_says_so_for_every_page(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYWATCH_CHROMIUM", "/nonexistent/chromium")

    async def go() -> tuple[list[FetchResult], int]:
        hosts = {"127.0.0.1": HostPolicy(delay_seconds=0)}
        async with (
            Fetcher(FetchPolicy(user_agent="t", retries=0), allowed_hosts={site.base}, host_policies=hosts) as f,
            Browser(f) as browser,
        ):
            getter = Challenged(f, browser)
            return [await getter.get(site.url(f"/{i}.html")) for i in range(5)], browser.launches

    results, launches = asyncio.run(go())
    assert [r.error for r in results] == [MISSING] * 5 and launches == 0
