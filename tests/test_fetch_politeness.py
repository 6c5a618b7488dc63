"""Politeness and deadlines against a real server (127.0.0.1), times taken at the server.

A 429 with Retry-After pauses the whole host; a longer pause than we wait fails the host's URLs for
the run; robots.txt's Crawl-delay spaces request starts (capped); a body that trickles meets the
deadline per URL, one that stalls is tried twice at most.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable, Iterator

import pytest

from flows.adapters.fetch import Fetcher, FetchPolicy, FetchResult, HostPolicy
from tests.fixture_site import Response, Site, once_then, serve

UA = "PolicyWatch/test (+mailto:test@example.org)"


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    """One server for the module: each test asks its own paths, and puts robots.txt back as it was."""
    routes = {
        "/robots.txt": Response(b"User-agent: *\nAllow: /\n"),
        "/busy.html": once_then(Response(b"slow down", 429, {"Retry-After": "2"}), Response(b"<html>ok</html>")),
        "/closed.html": Response(b"come back tomorrow", 503, {"Retry-After": "3600"}),
        "/trickle.html": Response(b"x" * 200, trickle_seconds=0.2),  # a byte every 0.2 s: never a read timeout
        "/stall.html": Response(b"x" * 200, trickle_seconds=30),  # one byte, then nothing
    }
    with serve(Site(routes=routes), keep_alive=True) as running:
        yield running


def fetch_all(site: Site, paths: list[str], policy: FetchPolicy, concurrency: int = 1) -> list[FetchResult]:
    async def go() -> list[FetchResult]:
        gate = {"127.0.0.1": HostPolicy(concurrency=concurrency, delay_seconds=0)}
        async with Fetcher(policy, allowed_hosts={site.base}, host_policies=gate) as fetcher:
            return await asyncio.gather(*(fetcher.get(site.url(p)) for p in paths))

    return asyncio.run(go())


def starts(site: Site, prefix: str = "/") -> list[float]:
    return sorted(t for t, path, _ in site.log if path.startswith(prefix) and path != "/robots.txt")


def test_fetch_retry_after_pauses_the_whole_host(site: Site) -> None:
    policy = FetchPolicy(user_agent=UA, retries=2, backoff_seconds=0.01)
    results = fetch_all(site, ["/busy.html", "/q/a.html", "/q/b.html", "/q/c.html"], policy)
    assert results[0].status == 200 and results[0].attempts == 2
    refused_at = min(t for t, path, _ in site.log if path == "/busy.html")
    after = [t for t in starts(site, "/q/") + starts(site, "/busy.html") if t > refused_at]
    assert len(after) == 4  # the three others and the retry, all asked after the 429
    assert min(after) - refused_at >= 1.95  # none during the pause the host asked for


def test_fetch_a_pause_longer_than_the_cap_fails_the_host_for_the_run(site: Site) -> None:
    policy = FetchPolicy(user_agent=UA, retries=2, backoff_seconds=0.01, retry_after_max_seconds=1)
    started = time.monotonic()
    closed, *others = fetch_all(site, ["/closed.html", "/w/a.html", "/w/b.html"], policy)
    assert time.monotonic() - started < 5
    assert (closed.error_kind, closed.attempts) == ("throttled", 1)
    assert "pause of 3600 s (Retry-After)" in (closed.error or "")
    assert [r.error_kind for r in others] == ["throttled", "throttled"]
    assert (site.hits["/closed.html"], starts(site, "/w/")) == (1, [])  # only the 503 itself was asked


@pytest.fixture
def robots(site: Site) -> Iterator[Callable[[bytes], None]]:
    """Serve another robots.txt for one test."""
    before = site.routes["/robots.txt"]
    yield lambda text: site.routes.update({"/robots.txt": Response(text)})
    site.routes["/robots.txt"] = before


def test_fetch_honours_crawl_delay_between_request_starts(
    site: Site, robots: Callable[[bytes], None], caplog: pytest.LogCaptureFixture
) -> None:
    robots(b"User-agent: *\nCrawl-delay: 0.5\nAllow: /\n")
    with caplog.at_level(logging.INFO, logger="policywatch.fetch"):
        fetch_all(site, [f"/p/{i}.html" for i in range(4)], FetchPolicy(user_agent=UA, retries=0), concurrency=4)
    gaps = [b - a for a, b in itertools.pairwise(starts(site, "/p/"))]
    assert len(gaps) == 3 and min(gaps) >= 0.45
    assert sum("Crawl-delay 0.5 s" in r.getMessage() for r in caplog.records) == 1  # once per origin


def test_fetch_caps_a_long_crawl_delay(
    site: Site, robots: Callable[[bytes], None], caplog: pytest.LogCaptureFixture
) -> None:
    robots(b"User-agent: *\nCrawl-delay: 3600\n")
    policy = FetchPolicy(user_agent=UA, retries=0, crawl_delay_max_seconds=0.3)
    with caplog.at_level(logging.INFO, logger="policywatch.fetch"):
        started = time.monotonic()
        fetch_all(site, ["/c/0.html", "/c/1.html", "/c/2.html"], policy, concurrency=3)
    gaps = [b - a for a, b in itertools.pairwise(starts(site, "/c/"))]
    assert min(gaps) >= 0.25 and time.monotonic() - started < 5
    assert any("capped at 0.3 s" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


def test_fetch_gives_up_on_a_trickling_body_at_the_deadline(site: Site) -> None:
    policy = FetchPolicy(user_agent=UA, timeout_seconds=1, retries=3, backoff_seconds=0.01, deadline_seconds=1.5)
    started = time.monotonic()
    (result,) = fetch_all(site, ["/trickle.html"], policy)
    assert time.monotonic() - started < 1.5 + 1.0
    assert result.error_kind == "timeout"
    assert "1.5 s deadline per URL" in (result.error or "")
    assert site.hits["/trickle.html"] <= 2


def test_fetch_retries_a_stalled_body_once(site: Site) -> None:
    policy = FetchPolicy(user_agent=UA, timeout_seconds=0.3, retries=3, backoff_seconds=0.01, deadline_seconds=20)
    started = time.monotonic()
    (result,) = fetch_all(site, ["/stall.html"], policy)
    assert time.monotonic() - started < 3
    assert (result.error_kind, result.attempts) == ("timeout", 2)
    assert "timed out" in (result.error or "")
    assert site.hits["/stall.html"] == 2
