"""The parse stage: archived bodies parsed in chunks, across processes when there are many.

Parsing is pure and CPU-bound, so a large run fans out to one process per core (spawned, so that
no lock of the flow's threads is inherited); a small run parses in-process and skips the start-up.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from flows import archive
from flows.collect import RawPage
from parsers.parse import parse_document
from parsers.records import ParsedDocument
from warehouse.load import PageOutcome

CHUNK = 500  # pages parsed and handed to the loader at a time: bounds memory to a chunk of records
POOL_THRESHOLD = 400  # fewer pages than this parse in-process (a worker costs ~2 s to start)


def parse_one(root: Path, page: RawPage) -> tuple[ParsedDocument | None, str | None]:
    """Parse one archived body; a parser exception becomes an error message, never escapes."""
    try:
        return parse_document(archive.load(root, page.sha256), page.options), None
    except archive.ArchiveError as exc:
        return None, str(exc)
    except Exception as exc:  # a parser bug on one page must not cost the others
        return None, f"parser error: {type(exc).__name__}: {exc}"


def _outcome(page: RawPage, parsed: tuple[ParsedDocument | None, str | None]) -> PageOutcome:
    document, error = parsed
    return PageOutcome(url=page.url, source_name=page.source_name, fetched_at=page.fetched_at,
                       raw_sha256=page.sha256, raw_size=page.size, content_type=page.content_type,
                       document=document, error=error, http_status=page.http_status, final_url=page.final_url,
                       headers=page.headers)


def _parse_chunk(root: Path, pages: Sequence[RawPage]) -> list[tuple[ParsedDocument | None, str | None]]:
    return [parse_one(root, page) for page in pages]


def parse_in_chunks(root: Path, pages: Sequence[RawPage], *, workers: int | None = None) -> Iterator[list[PageOutcome]]:
    """Parse pages chunk by chunk, in order; processes are used only for a large run."""
    chunks = [pages[i:i + CHUNK] for i in range(0, len(pages), CHUNK)]
    workers = workers or os.cpu_count() or 1
    if len(pages) < POOL_THRESHOLD or workers < 2:
        for chunk in chunks:
            yield [_outcome(p, parse_one(root, p)) for p in chunk]
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        small = [[chunk[i::workers] for i in range(workers)] for chunk in chunks]
        pending = [[pool.submit(_parse_chunk, root, part) for part in parts] for parts in small[:2]]
        for index, chunk in enumerate(chunks):
            if index + 2 < len(chunks):  # keep two chunks in flight: the loader never waits for a cold pool
                pending.append([pool.submit(_parse_chunk, root, part) for part in small[index + 2]])
            results = [f.result() for f in pending[index]]
            merged: list[tuple[ParsedDocument | None, str | None]] = [None] * len(chunk)  # type: ignore[list-item]
            for offset, part in enumerate(results):
                merged[offset::workers] = part
            pending[index] = []
            yield [_outcome(p, r) for p, r in zip(chunk, merged, strict=True)]
