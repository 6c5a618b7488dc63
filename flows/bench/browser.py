"""`policywatch bench browser`: pages/s and peak memory of `fetch: browser` and `render` vs plain, one challenge site.

The loopback site answers every page behind a 412 cookie challenge (flows/adapters/loopback_challenge.py).
Plain HTTP is measured on the same pages with the challenge off (behind it, it gets none: shown too);
browser mode passes the challenge once in Chromium and fetches the rest over HTTP with its cookies; render
loads every page in Chromium. Memory is that of this process and all its children (the Playwright
driver, Chromium's processes), summed as RSS and as PSS, sampled while the pages are fetched.
"""

from __future__ import annotations

import asyncio
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import psutil
import typer
from rich.console import Console
from rich.table import Table

from flows.adapters.browser import Browser, chromium_path
from flows.adapters.fetch import Fetcher, FetchPolicy, HostPolicy
from flows.adapters.fetch_modes import for_source
from flows.adapters.loopback import Response, Site, serve
from flows.adapters.loopback_challenge import Guard
from flows.bench.app import bench_app
from flows.sources import Source

PAGE = ("<html><body><div class='TRS_Editor'>" + "药品注册管理办法实施细则。" * 600 + "</div></body></html>").encode()
SAMPLE_SECONDS = 0.1  # reading every process's smaps takes a few ms


@dataclass(frozen=True, slots=True)
class Measured:
    """One mode's run over the site."""

    ok: int
    pages_per_second: float
    peak_rss_mib: float
    peak_pss_mib: float
    launches: int


class TreePeak:
    """The peak memory of this process and its descendants while a block runs, sampled by a thread.

    RSS summed over processes counts the pages Chromium's processes share once per process; PSS shares
    them out, so its sum is what the tree really holds.
    """

    def __init__(self) -> None:
        self.rss_mib = 0.0
        self.pss_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreePeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        me = psutil.Process()
        while True:
            rss, pss = _tree_memory(me)
            self.rss_mib, self.pss_mib = max(self.rss_mib, rss / 2**20), max(self.pss_mib, pss / 2**20)
            if self._stop.wait(SAMPLE_SECONDS):
                return


def _tree_memory(process: psutil.Process) -> tuple[int, int]:
    """(RSS, PSS) summed over a process and its descendants (PSS is RSS where the system does not tell it)."""
    rss = pss = 0
    for member in (process, *process.children(recursive=True)):
        with suppress(psutil.Error):  # gone between the listing and the reading
            full = member.memory_full_info()
            rss += full.rss
            pss += getattr(full, "pss", full.rss)
    return rss, pss


async def _measure(base: str, mode: str, pages: int, concurrency: int) -> Measured:
    policy = FetchPolicy(user_agent="PolicyWatch-bench", retries=0)
    hosts = {"127.0.0.1": HostPolicy(concurrency=concurrency, delay_seconds=0.0)}
    source = Source(
        name="bench", title="bench", kind="html-list", url=base, base_dir=Path("."), options={"fetch": mode}
    )
    async with Fetcher(policy, allowed_hosts={base}, host_policies=hosts) as fetcher, Browser(fetcher) as browser:
        getter = for_source(source, fetcher, browser)
        with TreePeak() as peak:
            started = time.perf_counter()
            results = await asyncio.gather(*(getter.get(f"{base}/p/{i}.html") for i in range(pages)))
            elapsed = time.perf_counter() - started
        ok = sum(r.error is None and b"TRS_Editor" in (r.body or b"") for r in results)
        return Measured(ok, ok / elapsed, peak.rss_mib, peak.pss_mib, browser.launches)


@bench_app.command("browser")
def bench_browser(
    pages: Annotated[int, typer.Option(help="pages fetched per mode")] = 200,
    concurrency: Annotated[int, typer.Option(help="per-host concurrent requests (no delay between starts)")] = 4,
) -> None:
    """Pages/s and peak RSS (process tree) of plain, browser and render modes on one 412-challenge site."""
    if chromium_path() is None:
        raise typer.BadParameter("no chromium: install it (make test does) or set POLICYWATCH_CHROMIUM")
    guard = Guard("bench_token", 7919, 412, "ts")
    site = Site(routes={"/robots.txt": Response(b"User-agent: *\nAllow: /\n")})
    site.fallback = guard(Response(PAGE, headers={"Content-Type": "text/html; charset=utf-8"}))
    site.keep_log = False
    table = Table(
        "mode",
        "challenge",
        "pages read",
        "pages/s",
        "peak RSS MiB",
        "peak PSS MiB",
        "browsers",
        title=f"bench browser: {pages} pages of {len(PAGE) // 1024} KB, concurrency {concurrency}",
    )
    with serve(site, keep_alive=True):
        for mode, challenged in (("plain", False), ("plain", True), ("browser", True), ("render", True)):
            guard.enabled = challenged
            measured = asyncio.run(_measure(site.base, mode, pages, concurrency))
            table.add_row(
                mode,
                "412" if challenged else "off",
                f"{measured.ok}/{pages}",
                f"{measured.pages_per_second:.1f}",
                f"{measured.peak_rss_mib:.0f}",
                f"{measured.peak_pss_mib:.0f}",
                str(measured.launches),
            )
    Console().print(table)
