"""A fetch killed mid-way: every archived body is whole, and the next run loads every page."""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import time
from contextlib import suppress
from pathlib import Path

import psutil
import pytest
import zstandard

from flows.adapters.loopback import Site, serve
from flows.bench.pipeline import Corpus, _registry, _route

DOCS = 400


def _fetch(home: str, sources: str) -> None:
    """A fetch of the synthetic site with parsing alongside, as the nightly flow runs it, in its own process."""
    import os

    os.environ["POLICYWATCH_HOME"] = home
    from flows.adapters.fetch import Fetcher
    from flows.adapters.politeness import allowed_hosts, fetch_policy, host_policies
    from flows.settings import load_settings
    from flows.sources import load_sources
    from flows.tasks.collect import collect_web
    from flows.tasks.parse_feed import ParseFeed
    from flows.tasks.spool import Spool

    settings = load_settings(sources=Path(sources))
    [source] = load_sources(settings.sources)

    async def fetch(spool: Spool, feed: ParseFeed) -> None:
        policy, hosts, polite = fetch_policy(settings, [source]), allowed_hosts([source]), host_policies([source])
        async with Fetcher(policy, allowed_hosts=hosts, host_policies=polite) as fetcher:
            await collect_web(source, fetcher, lambda urls: {}, settings.archive, spool, backfill=True, feed=feed)

    with Spool(settings.home) as spool, ParseFeed(settings.archive, spool, chunk=50) as feed:
        asyncio.run(fetch(spool, feed))


@pytest.mark.usefixtures("prefect_server")
def test_a_fetch_killed_mid_way_leaves_only_whole_bodies_and_the_next_run_loads_every_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.ingest import nightly_ingest

    monkeypatch.setenv("POLICYWATCH_HOME", str(tmp_path))
    with serve(Site(fallback=_route(Corpus(DOCS)), keep_log=False), keep_alive=True) as site:
        sources = _registry(tmp_path, site.base, DOCS)
        process = multiprocessing.get_context("spawn").Process(target=_fetch, args=(str(tmp_path), str(sources)))
        process.start()
        raw = tmp_path / "raw"
        deadline = time.monotonic() + 120
        while len(list(raw.glob("*/*.zst"))) < DOCS // 4 and time.monotonic() < deadline and process.is_alive():
            time.sleep(0.05)
        workers = psutil.Process(process.pid).children(recursive=True)  # its parse workers: they go with it
        process.kill()  # mid-fetch: archive writes in flight, chunks being parsed
        process.join()
        for worker in workers:
            with suppress(psutil.NoSuchProcess):
                worker.kill()
        kept = list(raw.glob("*/*.zst"))
        assert DOCS // 4 <= len(kept) < DOCS, "the fetch was not killed mid-way"
        for path in kept:  # whole: it decompresses, and to the bytes its name is the hash of
            body = zstandard.ZstdDecompressor().decompress(path.read_bytes())
            assert hashlib.sha256(body).hexdigest() == path.name.removesuffix(".zst")
        result = nightly_ingest(str(sources), str(tmp_path / "w.duckdb"), True)
    assert result.report.total("new") == DOCS
    assert len(list(raw.glob("*/*.zst"))) == DOCS
