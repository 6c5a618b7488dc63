"""Parsing during the fetch: the outcomes the parse stage reads back are the ones it would have parsed itself."""

from __future__ import annotations

from contextlib import nullcontext
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import duckdb
import psutil
import pytest
import yaml

from flows.adapters.loopback import Response, Site, serve
from flows.bench.pipeline import PER_LIST_PAGE, Corpus, _route
from flows.tasks import parse_feed
from flows.tasks.collect import RawPage
from flows.tasks.parse_feed import WORKER_NICENESS, ParseFeed, outcomes_in_order
from flows.tasks.parse_pool import POOL_THRESHOLD, parse_in_chunks
from flows.tasks.spool import Spool, SpooledList
from parsers.run import PageOutcome
from tests.test_parse_pool import raw_pages


def _staged(root: Path, pages: list[RawPage]) -> list[PageOutcome]:
    return [o for chunk in parse_in_chunks(root, pages, workers=1) for o in chunk]


def test_pages_parsed_during_the_fetch_come_back_in_placing_order_as_the_staged_parse_gives_them(
    tmp_path: Path,
) -> None:
    pages = raw_pages(tmp_path, POOL_THRESHOLD + 100)
    with Spool(tmp_path / "spool") as spool, ParseFeed(tmp_path, spool, workers=2, chunk=60) as feed:
        arrived: SpooledList[RawPage] = SpooledList(spool)
        for page in pages:  # arrival order: fed as they are spooled, some chunks back while others are fed
            feed.add(arrived.append(page))
        placed = SpooledList[RawPage](spool, reversed(arrived.offsets))  # the load's order is not arrival order
        chunks = list(outcomes_in_order(tmp_path, placed, feed))
        assert feed.started and feed.error is None
        assert feed._pool is not None  # its workers give way to the fetch's event loop
        assert {psutil.Process(p.pid).nice() for p in feed._pool._processes.values()} == {
            min(19, psutil.Process().nice() + WORKER_NICENESS)
        }
    outcomes = [o for chunk in chunks for o in chunk]
    assert outcomes == _staged(tmp_path, pages[::-1])
    assert outcomes[-4].document is not None and not outcomes[-4].document.ok  # page 3, binary, in its place


def test_pages_the_feed_never_saw_are_parsed_by_the_parse_stage_in_their_place(tmp_path: Path) -> None:
    pages = raw_pages(tmp_path, POOL_THRESHOLD + 20)
    with Spool(tmp_path / "spool") as spool, ParseFeed(tmp_path, spool, workers=2, chunk=100) as feed:
        raw: SpooledList[RawPage] = SpooledList(spool)
        for i, page in enumerate(pages):
            offset = raw.append(page)
            if i % 3:  # every third page (a `files` source's, a carried-over one) is not fed
                feed.add(offset)
        outcomes = [o for chunk in outcomes_in_order(tmp_path, raw, feed) for o in chunk]
    assert outcomes == _staged(tmp_path, pages)


def test_a_small_run_starts_no_process_during_the_fetch(tmp_path: Path) -> None:
    pages = raw_pages(tmp_path, 30)
    with Spool(tmp_path / "spool") as spool, ParseFeed(tmp_path, spool, workers=2) as feed:
        raw: SpooledList[RawPage] = SpooledList(spool)
        for page in pages:
            feed.add(raw.append(page))
        outcomes = [o for chunk in outcomes_in_order(tmp_path, raw, feed) for o in chunk]
        assert not feed.started
    assert outcomes == _staged(tmp_path, pages)


def test_a_worker_that_dies_leaves_its_pages_to_the_parse_stage(tmp_path: Path) -> None:
    pages = raw_pages(tmp_path, POOL_THRESHOLD + 20)
    with Spool(tmp_path / "spool") as spool, ParseFeed(tmp_path, spool, workers=2, chunk=100) as feed:
        raw: SpooledList[RawPage] = SpooledList(spool)
        offsets = [raw.append(page) for page in pages]
        for offset in offsets[:200]:
            feed.add(offset)
        assert feed._pool is not None
        for process in list(feed._pool._processes.values()):  # a worker killed (out of memory, a crash)
            process.kill()
        for offset in offsets[200:]:
            feed.add(offset)
        outcomes = [o for chunk in outcomes_in_order(tmp_path, raw, feed) for o in chunk]
        assert feed.error is not None and "parsing during the fetch stopped" in feed.error
    assert outcomes == _staged(tmp_path, pages)


def _registry(folder: Path, base: str, docs: int) -> Path:
    # Two sources of one corpus: every document twice, under two URLs, so that which copy becomes the
    # document depends on the placing order, never on which arrived first.
    sources = [
        {
            "name": name,
            "kind": "html-list",
            "url": f"{base}{prefix}/list/index.html",
            "link_selector": "ul.u-list li a",
            "next_selector": "a.next",
            "max_pages": -(-docs // PER_LIST_PAGE),
            "concurrency": 8,
            "delay_seconds": 0,
        }
        for name, prefix in (("first", ""), ("second", "/copy"))
    ]
    path = folder / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": sources}, allow_unicode=True), encoding="utf-8")
    return path


def _warehouse(db: Path) -> dict[str, list[tuple[object, ...]]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            "documents": con.sql(
                "SELECT doc_id, title, url, source_name, text, content_hash, version FROM core.documents ORDER BY doc_id"
            ).fetchall(),
            "pages": con.sql(
                "SELECT url, source_name, raw_sha256, outcome, extraction_status, error, doc_id FROM core.pages "
                "ORDER BY url, source_name"
            ).fetchall(),
            "sightings": con.sql("SELECT * EXCLUDE (seen_at) FROM core.document_sightings ORDER BY ALL").fetchall(),
        }


@pytest.mark.usefixtures("prefect_server")
def test_the_flow_parsing_during_the_fetch_loads_the_warehouse_the_staged_flow_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows import ingest

    docs = 90
    corpus = Corpus(docs)
    route = _route(corpus)

    def both(site: Site, handler: BaseHTTPRequestHandler) -> Response:
        handler.path = handler.path.removeprefix("/copy")
        return route(site, handler)

    monkeypatch.setattr(parse_feed, "FEED_CHUNK", 20)  # chunks handed over while the fetch goes on
    monkeypatch.setattr(parse_feed, "POOL_THRESHOLD", 20)
    fed: list[ParseFeed] = []
    overlapped = ingest._feed
    monkeypatch.setattr(ingest, "_feed", lambda settings, spool: fed.append(overlapped(settings, spool)) or fed[-1])
    with serve(Site(fallback=both, keep_log=False), keep_alive=True) as site:
        warehouses = []
        for mode in ("overlapped", "staged"):
            home = tmp_path / mode
            monkeypatch.setenv("POLICYWATCH_HOME", str(home))
            if mode == "staged":
                monkeypatch.setattr(ingest, "_feed", lambda settings, spool: nullcontext())
            home.mkdir()
            result = ingest.nightly_ingest(str(_registry(home, site.base, docs)), str(home / "w.duckdb"), True)
            assert result.report.total("new") == docs
            warehouses.append(_warehouse(home / "w.duckdb"))
    assert fed and isinstance(fed[0], ParseFeed) and fed[0].started and fed[0].error is None
    assert len(warehouses[0]["pages"]) == 2 * docs
    assert warehouses[0] == warehouses[1]
