"""Parsing while the fetch goes on: pages handed to a process pool as they are archived, outcomes spooled.

The fetch keeps one core busy (the event loop, the archive's files) and left the other idle until it
ended; parsing is pure and per page, so it need not wait. The load still does: it places pages in
canonical order across every source (flows.ingest.placing_order), so that the warehouse never depends on
the order pages arrived in, and reads the outcomes back from the spool in that order. A page the feed did
not parse (a `files` source's, a carried-over one, any page of a chunk whose worker failed) is parsed by
the parse stage as before, so the feed can only save time, never lose a page.

The workers run at a lower priority (`WORKER_NICENESS`): the fetch is the critical path, and parsing
beside it on the same cores slowed it down as much as parsing during it saved.

Memory: the feed holds the spool offsets of waiting pages (8 bytes each) and at most `2 × workers`
chunks in flight; outcomes wait in the spool, not in memory.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from multiprocessing import get_context
from pathlib import Path
from types import TracebackType

from flows.tasks.collect import RawPage
from flows.tasks.parse_pool import CHUNK, POOL_THRESHOLD, parse_in_chunks, parse_pickled
from flows.tasks.spool import Spool, SpooledList
from parsers.run import PageOutcome
from warehouse.batches import chunked

FEED_CHUNK = 250  # pages a worker parses at a time while the fetch goes on (~0.3 s of one core)
IN_FLIGHT_PER_WORKER = 2  # chunks queued per worker: one parsing, one waiting
# The fetch's event loop is the run's critical path: parsing takes the CPU it leaves. Without this, two
# workers beside the loop on two cores made the fetch of 20 000 pages 34 % slower (44 → 59 s).
WORKER_NICENESS = 10


def lower_priority() -> None:
    """A parse worker's start: it yields the CPU to the fetch whenever both want it."""
    os.nice(WORKER_NICENESS)


class ParseFeed:
    """Raw pages (by their spool offset) parsed as they come; `finish` waits and maps each to its outcome's offset.

    Called from one thread only (the fetch's event loop, then the parse stage): chunks are handed over and
    their outcomes spooled there, on the next `add`. Use as a context manager: leaving it stops the pool.
    """

    def __init__(self, root: Path, spool: Spool, *, workers: int | None = None, chunk: int | None = None) -> None:
        self.root, self.spool, self.chunk = root, spool, chunk or FEED_CHUNK
        self.workers = workers or os.cpu_count() or 1
        self.error: str | None = None  # why some pages were left to the parse stage, if any were
        self._waiting: deque[int] = deque()
        self._in_flight: dict[Future[list[bytes]], list[int]] = {}
        self._outcomes: dict[int, int] = {}  # raw page offset -> outcome offset
        self._pool: ProcessPoolExecutor | None = None

    def add(self, offset: int) -> None:
        """A page archived and spooled at `offset`: parsed once a chunk of them is waiting and a worker is free."""
        if self.error is None:
            self._waiting.append(offset)
            if len(self._waiting) >= self.chunk:
                self._harvest()
                self._submit(final=False)

    def finish(self) -> dict[int, int]:
        """Parse what still waits, wait for every chunk, and return raw page offset -> outcome offset.

        A small run that never filled a chunk starts no process: the parse stage parses its pages in-process.
        """
        if self._pool is None and len(self._waiting) < POOL_THRESHOLD:
            self._waiting.clear()
        while self._in_flight or (self._waiting and self.error is None):
            self._submit(final=True)
            if self._in_flight:
                wait(list(self._in_flight), return_when=FIRST_COMPLETED)
            self._harvest()
        return self._outcomes

    @property
    def started(self) -> bool:
        """Whether a worker process was started."""
        return self._pool is not None

    def __enter__(self) -> ParseFeed:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def _submit(self, *, final: bool) -> None:
        """Hand waiting pages to the pool while it has room: whole chunks, and at the end what is left."""
        room = self.workers * IN_FLIGHT_PER_WORKER - len(self._in_flight)
        while self.error is None and room > 0 and (len(self._waiting) >= self.chunk or (final and self._waiting)):
            # The last pages are cut across the workers: the parse stage waits for the slowest.
            size = self._final_size() if final else self.chunk
            offsets = [self._waiting.popleft() for _ in range(size)]
            try:
                future = self._started().submit(parse_pickled, self.root, [self.spool.get_pickled(o) for o in offsets])
            except RuntimeError as exc:  # BrokenProcessPool: a worker died; the parse stage parses the rest
                self.error = f"parsing during the fetch stopped: {exc}"
                return
            self._in_flight[future] = offsets
            room -= 1

    def _harvest(self) -> None:
        """Spool the outcomes of the chunks that are back; a failed chunk's pages are left to the parse stage."""
        for future in [f for f in self._in_flight if f.done()]:
            offsets = self._in_flight.pop(future)
            failure = future.exception()
            if failure is not None:
                self.error = self.error or f"parsing during the fetch stopped: {failure}"
                continue
            for offset, data in zip(offsets, future.result(), strict=True):
                self._outcomes[offset] = self.spool.put_pickled(data)

    def _final_size(self) -> int:
        return min(self.chunk, max(1, -(-len(self._waiting) // self.workers)))

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=get_context("spawn"), initializer=lower_priority
            )
        return self._pool


def outcomes_in_order(root: Path, raw: SpooledList[RawPage], feed: ParseFeed) -> Iterator[list[PageOutcome]]:
    """Chunks of outcomes in the order of `raw`: the feed's read back, the pages it did not parse parsed first.

    Waits for the feed (its `error` then says if some of its pages were left); the outcomes are the ones
    `parse_in_chunks(root, raw)` gives, page for page (a feed parses on this machine: a Dask runner has none).
    """
    done = feed.finish()
    left = SpooledList[RawPage](raw.spool, (o for o in raw.offsets if o not in done))
    waiting = iter(left.offsets)
    for chunk in parse_in_chunks(root, left):
        for page in chunk:
            done[next(waiting)] = raw.spool.put(page)
    return (([raw.spool.get(done[o]) for o in offsets]) for offsets in chunked(raw.offsets, CHUNK))
