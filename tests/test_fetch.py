"""The fetcher against a real HTTP server on 127.0.0.1: politeness, retries, bounds, refusals."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from flows.adapters.fetch import Fetcher, FetchPolicy, FetchResult, HostPolicy, parse_resolve
from flows.adapters.politeness import fetch_policy
from flows.settings import load_settings
from parsers.errors import ConfigError
from tests.conftest import REPO
from tests.fixture_site import Response, Site, etag_route, once_then, serve

UA = "PolicyWatch/test (+mailto:test@example.org)"


@pytest.fixture
def site() -> Iterator[Site]:
    routes = {
        "/robots.txt": Response(b"User-agent: *\nDisallow: /private/\n"),
        "/ok.html": Response(b"<html><body>ok</body></html>", headers={"Content-Type": "text/html"}),
        "/private/secret.html": Response(b"secret"),
        "/etag.html": etag_route(b"<html>v1</html>", '"v1"'),
        "/flaky.html": once_then(Response(b"busy", 503), Response(b"<html>recovered</html>")),
        "/limited.html": once_then(Response(b"slow down", 429, {"Retry-After": "1"}), Response(b"<html>ok</html>")),
        "/slow.html": Response(b"late", delay=3.0),
        "/huge.html": Response(b"x" * 300_000),
        "/huge-unannounced.html": Response(b"x" * 300_000, send_length=False),
        "/away.html": Response(b"", 302, {"Location": "http://localhost:9/elsewhere.html"}),
        "/gone.html": Response(b"gone", 404),
    }
    with serve(Site(routes=routes)) as running:
        yield running


def fetch(site: Site, path: str, *, policy: FetchPolicy | None = None, **kwargs: object) -> FetchResult:
    async def go() -> FetchResult:
        policy_ = policy or FetchPolicy(
            user_agent=UA, timeout_seconds=1.0, retries=2, backoff_seconds=0.05, max_bytes=100_000
        )
        host = urlsplit(site.base).hostname or ""
        async with Fetcher(
            policy_, allowed_hosts={site.base}, host_policies={host: HostPolicy(concurrency=4, delay_seconds=0)}
        ) as fetcher:
            return await fetcher.get(site.url(path), **kwargs)  # type: ignore[arg-type]

    return asyncio.run(go())


def test_fetch_sends_our_user_agent(site: Site) -> None:
    result = fetch(site, "/ok.html")
    assert result.status == 200
    assert result.body == b"<html><body>ok</body></html>"
    assert all(headers["user-agent"] == UA for _, _, headers in site.log)


def test_fetch_honours_robots_txt(site: Site) -> None:
    result = fetch(site, "/private/secret.html")
    assert result.error_kind == "robots"
    assert site.hits["/private/secret.html"] == 0


def test_fetch_conditional_get_gets_304(site: Site) -> None:
    result = fetch(site, "/etag.html", etag='"v1"')
    assert result.not_modified
    assert result.body is None


def test_fetch_retries_a_503(site: Site) -> None:
    result = fetch(site, "/flaky.html")
    assert (result.status, result.body, result.attempts) == (200, b"<html>recovered</html>", 2)


def test_fetch_obeys_retry_after(site: Site) -> None:
    started = time.monotonic()
    result = fetch(site, "/limited.html")
    assert result.status == 200
    assert time.monotonic() - started >= 1.0
    assert site.hits["/limited.html"] == 2


def test_fetch_times_out_and_reports(site: Site) -> None:
    policy = FetchPolicy(user_agent=UA, timeout_seconds=0.5, retries=1, backoff_seconds=0.01)
    result = fetch(site, "/slow.html", policy=policy)
    assert result.error_kind == "timeout"
    assert result.attempts == 2


def test_fetch_refuses_a_body_announced_over_the_cap(site: Site) -> None:
    result = fetch(site, "/huge.html")
    assert (result.truncated, result.error_kind, result.body, result.ok) == (True, "too_large", None, False)
    assert "300000 bytes (Content-Length)" in (result.error or "")


def test_fetch_cuts_an_oversized_body(site: Site) -> None:
    result = fetch(site, "/huge-unannounced.html")
    assert result.truncated
    assert result.error_kind == "too_large"
    assert len(result.body or b"") == 100_000


def test_fetch_refuses_redirect_to_a_foreign_host(site: Site) -> None:
    result = fetch(site, "/away.html")
    assert result.error_kind == "redirect"
    assert "localhost" in (result.error or "")


def test_fetch_refuses_unconfigured_host(site: Site) -> None:
    async def go() -> FetchResult:
        async with Fetcher(FetchPolicy(user_agent=UA), allowed_hosts={"example.org"}) as fetcher:
            return await fetcher.get(site.url("/ok.html"))

    result = asyncio.run(go())
    assert result.error_kind == "redirect"
    assert site.hits["/ok.html"] == 0


def test_fetch_does_not_retry_a_404(site: Site) -> None:
    result = fetch(site, "/gone.html")
    assert (result.status, result.error, result.attempts) == (404, "HTTP 404", 1)


def test_fetch_fails_fast_on_a_host_that_does_not_resolve() -> None:
    async def go() -> list[FetchResult]:
        host = "policy.invalid"  # RFC 2606: never resolves
        async with Fetcher(FetchPolicy(user_agent=UA, retries=3), allowed_hosts={host}) as fetcher:
            return [await fetcher.get(f"http://{host}/{i}.html") for i in range(3)]

    started = time.monotonic()
    results = asyncio.run(go())
    assert all(r.error_kind in ("dns", "connect") for r in results)
    assert all(r.attempts == 1 for r in results)
    assert time.monotonic() - started < 10


def test_fetch_per_host_limit_spaces_requests(site: Site) -> None:
    async def go() -> None:
        host = urlsplit(site.base).hostname or ""
        policy = FetchPolicy(user_agent=UA, respect_robots=False)
        async with Fetcher(
            policy, allowed_hosts={site.base}, host_policies={host: HostPolicy(concurrency=1, delay_seconds=0.3)}
        ) as fetcher:
            await asyncio.gather(*(fetcher.get(site.url("/ok.html")) for _ in range(4)))

    asyncio.run(go())
    starts = sorted(t for t, path, _ in site.log if path == "/ok.html")
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(starts) == 4
    assert min(gaps) >= 0.25


def test_fetch_sends_our_contact_in_from_whatever_user_agent_a_source_sends(site: Site) -> None:
    policy = FetchPolicy(user_agent=UA, contact="ops@example.org", respect_robots=False)
    result = fetch(site, "/ok.html", policy=policy, headers={"User-Agent": "Mozilla/5.0", "from": "someone@else"})
    assert result.ok
    headers = next(h for _, path, h in site.log if path == "/ok.html")
    assert (headers["user-agent"], headers["from"]) == ("Mozilla/5.0", "ops@example.org")


def test_fetch_resolve_replays_a_site_host_on_a_local_server(site: Site) -> None:
    async def go() -> FetchResult:
        policy = FetchPolicy(user_agent=UA, resolve={"www.ndrc.gov.cn": urlsplit(site.base).netloc})
        async with Fetcher(
            policy, allowed_hosts={"www.ndrc.gov.cn"}, host_policies={"www.ndrc.gov.cn": HostPolicy(delay_seconds=0)}
        ) as fetcher:
            return await fetcher.get("https://www.ndrc.gov.cn/ok.html")

    result = asyncio.run(go())
    assert (result.status, result.final_url) == (200, "https://www.ndrc.gov.cn/ok.html")
    assert [h["host"] for _, path, h in site.log if path == "/ok.html"] == ["www.ndrc.gov.cn"]
    assert site.hits["/robots.txt"] == 1  # the site's own robots.txt, replayed too


@pytest.mark.parametrize(
    ("text", "mapping"),
    [
        (
            "www.ndrc.gov.cn=127.0.0.1:8000, WWW.GOV.CN=127.0.0.1:8001",
            {"www.ndrc.gov.cn": "127.0.0.1:8000", "www.gov.cn": "127.0.0.1:8001"},
        ),
        ("", {}),
    ],
)
def test_parse_resolve_reads_host_address_pairs(text: str, mapping: dict[str, str]) -> None:
    assert parse_resolve(text) == mapping


@pytest.mark.parametrize("text", ["www.ndrc.gov.cn", "www.ndrc.gov.cn=127.0.0.1", "=127.0.0.1:80"])
def test_parse_resolve_rejects_a_malformed_pair(text: str) -> None:
    with pytest.raises(ConfigError, match="POLICYWATCH_RESOLVE"):
        parse_resolve(text)


FETCH_SETTINGS = {
    "POLICYWATCH_FETCH_DEADLINE_SECONDS": ("fetch_deadline_seconds", "deadline_seconds"),
    "POLICYWATCH_RETRY_AFTER_MAX_SECONDS": ("retry_after_max_seconds", "retry_after_max_seconds"),
    "POLICYWATCH_CRAWL_DELAY_MAX_SECONDS": ("crawl_delay_max_seconds", "crawl_delay_max_seconds"),
}


@pytest.mark.parametrize("name", FETCH_SETTINGS)
def test_fetch_settings_reach_the_fetch_policy(name: str) -> None:
    setting, field = FETCH_SETTINGS[name]
    settings = load_settings({"POLICYWATCH_HOME": "/tmp/pw", name: "2.5"})
    assert getattr(settings, setting) == 2.5
    assert getattr(fetch_policy(settings, []), field) == 2.5


@pytest.mark.parametrize("value", ["0", "-1", "soon", "inf", "nan"])
def test_fetch_settings_reject_what_is_no_positive_number(value: str) -> None:
    with pytest.raises(ConfigError, match="POLICYWATCH_FETCH_DEADLINE_SECONDS must be a positive number"):
        load_settings({"POLICYWATCH_FETCH_DEADLINE_SECONDS": value})


def test_fetch_settings_defaults_are_those_the_readme_states() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(POLICYWATCH_\w+)` \| `([^`]+)` \|", readme, re.M))
    defaults = load_settings({"POLICYWATCH_HOME": "/tmp/pw"})
    for name, (setting, _) in FETCH_SETTINGS.items():
        assert float(rows[name]) == getattr(defaults, setting), name
