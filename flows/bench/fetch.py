"""`policywatch bench fetch`: fetcher throughput against a local server, and the per-host limit holding."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.table import Table

from flows.bench.app import bench_app
from flows.fetch import Fetcher, FetchPolicy, HostPolicy

PAGE = ("<html><body><div class='TRS_Editor'>" + "生物医药产业发展政策。" * 700 + "</div></body></html>").encode()
console = Console()


@dataclass
class _Stats:
    """Requests in flight at the server, and when each started."""

    lock: threading.Lock
    in_flight: int = 0
    peak: int = 0
    starts: list[float] | None = None


@contextmanager
def _server(latency: float) -> Iterator[tuple[str, _Stats]]:
    stats = _Stats(threading.Lock(), starts=[])

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = 1 << 16  # headers and body in one segment: no Nagle / delayed-ACK stall per request

        def do_GET(self) -> None:
            with stats.lock:
                stats.in_flight += 1
                stats.peak = max(stats.peak, stats.in_flight)
                assert stats.starts is not None
                stats.starts.append(time.monotonic())
            time.sleep(latency)  # a remote server's think time
            body = b"User-agent: *\nAllow: /\n" if self.path == "/robots.txt" else PAGE
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            with stats.lock:
                stats.in_flight -= 1

        def log_message(self, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", stats
    finally:
        server.shutdown()
        server.server_close()


async def _ours(base: str, pages: int, concurrency: int, delay: float) -> float:
    policy = FetchPolicy(user_agent="PolicyWatch-bench", retries=0)
    async with Fetcher(policy, allowed_hosts={"127.0.0.1"},
                       host_policies={"127.0.0.1": HostPolicy(concurrency=concurrency, delay_seconds=delay)}) as f:
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
) -> None:
    """Pages/s at concurrency 1, 4, 16 (per-host limit lifted) vs bare httpx, then the default limit holding."""
    table = Table("concurrency", "PolicyWatch pages/s", "bare httpx pages/s", "ratio",
                  title=f"bench fetch: {pages} pages of {len(PAGE) // 1024} KB, server latency {latency * 1000:.0f} ms")
    with _server(latency) as (base, _):
        for concurrency in (1, 4, 16):
            ours = asyncio.run(_ours(base, pages, concurrency, 0.0))
            peer = asyncio.run(_plain_httpx(base, pages, concurrency))
            table.add_row(str(concurrency), f"{ours:.0f}", f"{peer:.0f}", f"{ours / peer:.2f}")
    console.print(table)
    limited = 20
    with _server(latency) as (base, stats):
        started = time.perf_counter()
        asyncio.run(_ours(base, limited, HostPolicy().concurrency, HostPolicy().delay_seconds))
        elapsed = time.perf_counter() - started
    starts = sorted(stats.starts or [])[2:]  # after robots.txt and the warm-up request
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    console.print(
        f"per-host limit on (defaults: {HostPolicy().concurrency} concurrent, {HostPolicy().delay_seconds:.0f} s "
        f"between starts): {limited} pages in {elapsed:.1f} s; peak in flight at the server {stats.peak}; "
        f"smallest gap between request starts {min(gaps):.2f} s"
    )
