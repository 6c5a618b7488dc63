"""The parse stage: archived bodies parsed in chunks, across processes when there are many.

Parsing is pure and CPU-bound, so a large run fans out to one process per core (spawned, so that
no lock of the flow's threads is inherited); a small run parses in-process and skips the start-up.
"""

from __future__ import annotations

import os
import pickle
from collections import deque
from collections.abc import Collection, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from multiprocessing import get_context
from pathlib import Path

from flows.adapters import archive
from flows.tasks.collect import RawPage
from parsers.parse import parse_document
from parsers.records import ParsedDocument
from parsers.run import PageOutcome
from warehouse.batches import chunked

CHUNK = 500  # pages parsed and handed to the loader at a time: bounds memory to a chunk of records
POOL_THRESHOLD = 400  # fewer pages than this parse in-process (a worker costs ~2 s to start)
Parsed = tuple[ParsedDocument | None, str | None]  # a document, or why there is none


def parse_one(root: Path, page: RawPage) -> Parsed:
    """Parse one archived body; a parser exception becomes an error message, never escapes."""
    try:
        return parse_document(archive.load(root, page.sha256), page.options), None
    except archive.ArchiveError as exc:
        return None, str(exc)
    except Exception as exc:  # a parser bug on one page must not cost the others
        return None, f"parser error: {type(exc).__name__}: {exc}"


def outcome(page: RawPage, parsed: Parsed) -> PageOutcome:
    document, error = parsed
    return PageOutcome(
        url=page.url,
        source_name=page.source_name,
        fetched_at=page.fetched_at,
        raw_sha256=page.sha256,
        raw_size=page.size,
        content_type=page.content_type,
        document=document,
        error=error,
        http_status=page.http_status,
        final_url=page.final_url,
        headers=page.headers,
        list_facts=page.list_facts,
    )


def parse_chunk(root: Path, pages: Sequence[RawPage]) -> list[Parsed]:
    return [parse_one(root, page) for page in pages]


def parse_pickled(root: Path, pages: Sequence[bytes]) -> list[bytes]:
    """Pickled pages to pickled outcomes: the flow's process then only moves bytes from and to its spool."""
    outcomes = []
    for data in pages:
        page: RawPage = pickle.loads(data)
        outcomes.append(pickle.dumps(outcome(page, parse_one(root, page)), protocol=pickle.HIGHEST_PROTOCOL))
    return outcomes


def parse_in_chunks(
    root: Path, pages: Collection[RawPage], *, workers: int | None = None
) -> Iterator[list[PageOutcome]]:
    """Parse pages chunk by chunk, in order, reading them as they are needed; processes only for a large run."""
    chunks = chunked(pages, CHUNK)
    workers = workers or os.cpu_count() or 1
    if len(pages) < POOL_THRESHOLD or workers < 2:
        for chunk in chunks:
            yield [outcome(p, parse_one(root, p)) for p in chunk]
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:

        def submit(chunk: list[RawPage]) -> tuple[list[RawPage], list[Future[list[Parsed]]]]:
            return chunk, [pool.submit(parse_chunk, root, chunk[i::workers]) for i in range(workers)]

        # Two chunks in flight: the loader never waits for a cold pool.
        pending = deque(submit(chunk) for chunk in islice(chunks, 2))
        while pending:
            chunk, futures = pending.popleft()
            if (following := next(chunks, None)) is not None:
                pending.append(submit(following))
            merged: list[Parsed] = [None] * len(chunk)  # type: ignore[list-item]
            for offset, future in enumerate(futures):
                merged[offset::workers] = future.result()
            yield [outcome(p, r) for p, r in zip(chunk, merged, strict=True)]
