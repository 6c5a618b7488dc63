"""Compression bombs on a real server (127.0.0.1): the decoded body is bounded, a run's memory stays flat.

The bombs are pre-built bytes served with the headers a hostile server would send: zstd (132 KB that
inflate to 4 GiB), gzip (4 MB to 4 GiB), deflate, and `gzip, gzip` (5 KB to 2 GiB through two layers).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import subprocess
import sys
import textwrap
import zlib
from collections.abc import Iterator

import pytest
import zstandard

from flows.adapters.fetch import Fetcher, FetchPolicy, FetchResult, HostPolicy
from tests.bombs import deflate_bomb, double_gzip_bomb, zstd_bomb
from tests.conftest import REPO
from tests.fixture_site import Response, Site, serve

UA = "PolicyWatch/test (+mailto:test@example.org)"
PAGE = "<html><body>生物医药产业</body></html>".encode() * 50


def encoded(body: bytes, coding: str) -> Response:
    return Response(body, headers={"Content-Type": "text/html", "Content-Encoding": coding})


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    routes = {
        "/robots.txt": Response(b"User-agent: *\nAllow: /\n"),
        "/bomb/zstd": encoded(zstd_bomb(4096), "zstd"),
        "/bomb/gzip": encoded(deflate_bomb(4096, gzip=True), "gzip"),
        "/bomb/deflate": encoded(deflate_bomb(1024, gzip=False), "deflate"),
        "/bomb/gzip-gzip": encoded(double_gzip_bomb(2048), "gzip, gzip"),
        "/page/plain": Response(PAGE, headers={"Content-Type": "text/html"}),
        "/page/gzip": encoded(gzip.compress(PAGE), "gzip"),
        "/page/x-gzip": encoded(gzip.compress(PAGE), "x-gzip"),
        "/page/deflate": encoded(zlib.compress(PAGE), "deflate"),
        "/page/raw-deflate": encoded(zlib.compress(PAGE, wbits=-15), "deflate"),
        "/page/zstd": encoded(zstandard.ZstdCompressor().compress(PAGE), "zstd"),
        "/page/br": encoded(b"\x1b\x00\x00", "br"),
        "/page/corrupt-gzip": encoded(b"\x1f\x8b\x08\x00not gzip at all", "gzip"),
    }
    with serve(Site(routes=routes)) as running:
        yield running


def fetch(site: Site, path: str, max_bytes: int = 1_000_000) -> FetchResult:
    async def go() -> FetchResult:
        policy = FetchPolicy(user_agent=UA, max_bytes=max_bytes, retries=0)
        async with Fetcher(
            policy, allowed_hosts={site.base}, host_policies={"127.0.0.1": HostPolicy(concurrency=4, delay_seconds=0)}
        ) as fetcher:
            return await fetcher.get(site.url(path))

    return asyncio.run(go())


@pytest.mark.parametrize(
    "path", ["/page/plain", "/page/gzip", "/page/x-gzip", "/page/deflate", "/page/raw-deflate", "/page/zstd"]
)
def test_fetch_decodes_each_coding_it_asks_for(site: Site, path: str) -> None:
    result = fetch(site, path)
    assert (result.status, result.error, result.body) == (200, None, PAGE)


def test_fetch_asks_only_for_codings_it_bounds(site: Site) -> None:
    fetch(site, "/page/plain")
    headers = next(h for _, path, h in site.log if path == "/page/plain")
    assert headers["accept-encoding"] == "gzip, deflate, zstd"


@pytest.mark.parametrize("path", ["/bomb/zstd", "/bomb/gzip", "/bomb/deflate"])
def test_fetch_cuts_a_bomb_at_the_cap_of_decoded_bytes(site: Site, path: str) -> None:
    result = fetch(site, path, max_bytes=5_000_000)  # above each bomb's own size: read, decoded, cut
    assert (result.truncated, result.error_kind) == (True, "too_large")
    assert result.body == bytes(5_000_000)
    assert "decoded" in (result.error or "")


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/bomb/gzip-gzip", "stacked content codings (gzip, gzip)"),
        ("/page/br", "content coding 'br' refused"),
        ("/page/corrupt-gzip", "corrupt gzip body"),
    ],
)
def test_fetch_refuses_stacked_unknown_and_corrupt_codings(site: Site, path: str, reason: str) -> None:
    result = fetch(site, path)
    assert (result.body, result.error_kind, result.attempts) == (None, "encoding", 1)
    assert reason in (result.error or "")


# Fetches the URLs given in a child process, each body dropped once read; prints the peak RSS (MiB).
# The address space is capped at 1 GiB: an unbounded decoder fails here instead of swapping the machine.
PEAK_RSS = textwrap.dedent("""
    import asyncio, json, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    from flows.adapters.fetch import Fetcher, FetchPolicy, HostPolicy

    async def main(base, urls):
        policy = FetchPolicy(user_agent="t", retries=0)
        async with Fetcher(policy, allowed_hosts={base}, host_policies={"127.0.0.1": HostPolicy(delay_seconds=0)}) as f:
            kinds = [(await f.get(url)).error_kind for url in urls]
        return kinds

    kinds = asyncio.run(main(sys.argv[1], sys.argv[2:]))
    print(json.dumps({"kinds": kinds, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")


def peak_rss(site: Site, paths: list[str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, site.base, *(site.url(p) for p in paths)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]  # an unbounded decoder dies here of MemoryError
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_fetch_peak_memory_of_bombs_stays_within_100_mb_of_plain_pages(site: Site) -> None:
    bombs = peak_rss(site, ["/bomb/zstd", "/bomb/gzip", "/bomb/deflate", "/bomb/gzip-gzip"])
    plain = peak_rss(site, ["/page/plain", "/page/gzip", "/page/deflate", "/page/zstd"])
    assert bombs["kinds"] == ["too_large", "too_large", "too_large", "encoding"]  # 20 MB of each read, then cut
    assert plain["kinds"] == [None, None, None, None]
    assert float(bombs["peak_mib"]) - float(plain["peak_mib"]) < 100, (bombs, plain)  # type: ignore[arg-type]
