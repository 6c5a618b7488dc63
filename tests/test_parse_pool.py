"""The parse stage: in order, in chunks, across processes for a large run, same results as in-process."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pytest import MonkeyPatch

from flows.adapters import archive
from flows.tasks import parse_pool
from flows.tasks.collect import RawPage
from flows.tasks.parse_pool import CHUNK, POOL_THRESHOLD, parse_in_chunks
from flows.tasks.spool import Spool, SpooledList
from parsers.records import ParseOptions


def raw_pages(root: Path, count: int) -> list[RawPage]:
    pages = []
    for i in range(count):
        body = f"关于支持第{i}批生物医药创新平台建设的通知\n发布时间:2026-11-02\n支持创新药和疫苗研发，编号{i * 7919}。".encode()
        if i == 3:
            body = bytes(range(256)) * 4  # binary: fails to parse, must stay in its place
        sha = archive.store(root, body)
        pages.append(
            RawPage(
                url=f"https://example.gov.cn/{i}.html",
                source_name="s",
                fetched_at=datetime(2026, 11, 2),
                sha256=sha,
                size=len(body),
                options=ParseOptions(url=f"https://example.gov.cn/{i}.html"),
            )
        )
    return pages


def test_parse_in_chunks_across_processes_keeps_order_and_results(tmp_path: Path) -> None:
    pages = raw_pages(tmp_path, POOL_THRESHOLD + 50)
    chunks = list(parse_in_chunks(tmp_path, pages, workers=2))
    outcomes = [o for chunk in chunks for o in chunk]
    assert max(len(c) for c in chunks) <= CHUNK
    assert [o.url for o in outcomes] == [p.url for p in pages]
    assert outcomes[3].document is not None and not outcomes[3].document.ok
    titles = [o.document.extraction.title for o in outcomes if o.document and o.document.ok]
    assert titles[0] == "关于支持第0批生物医药创新平台建设的通知"
    assert len(titles) == len(pages) - 1


def test_parse_in_chunks_reports_a_missing_archive_body(tmp_path: Path) -> None:
    page = raw_pages(tmp_path, 1)[0]
    archive.raw_path(tmp_path, page.sha256).unlink()
    [[outcome]] = list(parse_in_chunks(tmp_path, [page]))
    assert outcome.document is None
    assert "missing" in (outcome.error or "")


def test_parse_in_chunks_streams_a_spooled_run_through_many_chunks(tmp_path: Path, monkeypatch: MonkeyPatch) -> None:
    monkeypatch.setattr(parse_pool, "CHUNK", 100)  # five chunks: more than the two kept in flight
    with Spool(tmp_path / "spool") as spool:
        pages: SpooledList[RawPage] = SpooledList(spool)
        pages.extend(raw_pages(tmp_path, POOL_THRESHOLD + 50))
        chunks = list(parse_in_chunks(tmp_path, pages, workers=2))
    assert [len(c) for c in chunks] == [100, 100, 100, 100, 50]
    expected = [f"https://example.gov.cn/{i}.html" for i in range(POOL_THRESHOLD + 50)]
    assert [o.url for c in chunks for o in c] == expected
