"""`policywatch bench fetch`: fetcher throughput against a local server, and the per-host limit holding."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.table import Table

from flows.adapters.fetch import Fetcher, FetchPolicy, HostPolicy
from flows.adapters.loopback import Response, Site, serve
from flows.bench.app import bench_app

PAGE = ("<html><body><div class='TRS_Editor'>" + "生物医药产业发展政策。" * 700 + "</div></body></html>").encode()


ROBOTS = b"User-agent: *\nAllow: /\n"


def _site(latency: float) -> Site:
    """Every path answers the page after the server's think time (robots.txt allows everything)."""
    page = Response(PAGE, headers={"Content-Type": "text/html; charset=utf-8"}, delay=latency)
    return Site(routes={"/robots.txt": Response(ROBOTS, delay=latency)}, fallback=page)


async def _ours(base: str, pages: int, concurrency: int, delay: float) -> float:
    policy = FetchPolicy(user_agent="PolicyWatch-bench", retries=0)
    async with Fetcher(
        policy,
        allowed_hosts={base},
        host_policies={"127.0.0.1": HostPolicy(concurrency=concurrency, delay_seconds=delay)},
    ) as f:
        await f.get(f"{base}/warmup")
        started = time.perf_counter()
        results = await asyncio.gather(*(f.get(f"{base}/p/{i}.html") for i in range(pages)))
        elapsed = time.perf_counter() - started
    assert all(r.status == 200 for r in results)
    return pages / elapsed


async def _plain_httpx(base: str, pages: int, concurrency: int) -> float:
    """The peer: bare httpx with a semaphore, no robots, no retries, no size bound."""
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient() as client:

        async def one(i: int) -> int:
            async with gate:
                return (await client.get(f"{base}/p/{i}.html")).status_code

        await client.get(f"{base}/warmup")
        started = time.perf_counter()
        codes = await asyncio.gather(*(one(i) for i in range(pages)))
        elapsed = time.perf_counter() - started
    assert all(c == 200 for c in codes)
    return pages / elapsed


@bench_app.command("fetch")
def bench_fetch(
    pages: Annotated[int, typer.Option(help="pages fetched per measurement")] = 400,
    latency: Annotated[float, typer.Option(help="server think time per request, seconds")] = 0.02,
    limited: Annotated[int, typer.Option(min=2, help="pages fetched with the default per-host limit on")] = 20,
) -> None:
    """Pages/s at concurrency 1, 4, 16 (per-host limit lifted) vs bare httpx, then the default limit holding."""
    table = Table(
        "concurrency",
        "PolicyWatch pages/s",
        "bare httpx pages/s",
        "ratio",
        title=f"bench fetch: {pages} pages of {len(PAGE) // 1024} KB, server latency {latency * 1000:.0f} ms",
    )
    with serve(_site(latency), keep_alive=True) as site:
        for concurrency in (1, 4, 16):
            ours = asyncio.run(_ours(site.base, pages, concurrency, 0.0))
            peer = asyncio.run(_plain_httpx(site.base, pages, concurrency))
            table.add_row(str(concurrency), f"{ours:.0f}", f"{peer:.0f}", f"{ours / peer:.2f}")
    _console().print(table)
    with serve(_site(latency), keep_alive=True) as site:
        started = time.perf_counter()
        asyncio.run(_ours(site.base, limited, HostPolicy().concurrency, HostPolicy().delay_seconds))
        elapsed = time.perf_counter() - started
    starts = sorted(t for t, _, _ in site.log)[2:]  # after robots.txt and the warm-up request
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    _console().print(
        f"per-host limit on (defaults: {HostPolicy().concurrency} concurrent, {HostPolicy().delay_seconds:.0f} s "
        f"between starts): {limited} pages in {elapsed:.1f} s; peak in flight at the server {site.peak_in_flight}; "
        f"smallest gap between request starts {min(gaps):.2f} s"
    )


def _console() -> Console:
    """Standard output, as the terminal (and COLUMNS) of this run has it."""
    return Console()
