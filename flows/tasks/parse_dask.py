"""The parse stage on Dask (POLICYWATCH_PARSE_RUNNER=dask): chunks parsed as Prefect tasks by a DaskTaskRunner.

The cluster is the scheduler at POLICYWATCH_DASK_ADDRESS, or else a LocalCluster of POLICYWATCH_DASK_WORKERS
processes (one thread each: parsing holds the GIL) started for the run and stopped after it. A worker reads
each body from the raw archive itself, by the path the flow gives it: on another machine that path must be
the same shared folder (docs/scaling.md). Like the process pool, chunks are cut into one slice per worker
thread (up to ten: a slice is a Prefect task run, worth its overhead) and come back in order; two chunks
are in flight, more on a cluster with more threads than a chunk has slices, so the loader's memory is
bounded by the cluster's size, never by the run's.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext
from prefect_dask import DaskTaskRunner

from flows.adapters import archive
from flows.settings import DaskSettings
from flows.tasks import parse_pool
from flows.tasks.collect import RawPage
from parsers.errors import ConfigError
from parsers.run import PageOutcome
from warehouse.batches import chunked

IN_FLIGHT = 2  # chunks submitted ahead, at least: the loader never waits for an idle cluster
MIN_SLICE = 50  # pages per task, at least: a task run costs a few Prefect API calls (~0.4 s on 2 busy cores)


@task(name="parse-chunk", cache_policy=NO_CACHE, persist_result=False)
def parse_chunk(root: Path, pages: list[RawPage]) -> list[parse_pool.Parsed]:
    """Parse a slice of a chunk on a Dask worker; a page that fails is an error message, never an exception."""
    return [parse_pool.parse_one(root, page) for page in pages]


def runner_for(dask: DaskSettings) -> DaskTaskRunner:
    """The configured scheduler, or a LocalCluster of worker processes on 127.0.0.1 (no dashboard port taken)."""
    if dask.address:
        return DaskTaskRunner(address=dask.address)
    cluster = {"n_workers": dask.workers, "threads_per_worker": 1, "processes": True, "host": "127.0.0.1"}
    return DaskTaskRunner(cluster_kwargs={**cluster, "dashboard_address": "127.0.0.1:0"})


def parse_on_dask(root: Path, pages: Collection[RawPage], dask: DaskSettings) -> Iterator[list[PageOutcome]]:
    """Parse pages chunk by chunk on the cluster, in order, as `parse_pool.parse_in_chunks` does in processes."""
    chunks = chunked(pages, parse_pool.CHUNK)
    with runner_for(dask) as runner:
        threads = max(1, sum(runner.client.nthreads().values()))
        slices = max(1, min(threads, parse_pool.CHUNK // MIN_SLICE))
        ahead = max(IN_FLIGHT, -(-threads // slices) + 1)  # a big cluster: enough chunks to keep every thread busy
        if pages:
            _check_shared(runner, root, next(iter(pages)))

        def submit(chunk: list[RawPage]) -> tuple[list[RawPage], list[Any]]:
            parts = [chunk[i::slices] for i in range(slices)]
            return chunk, [_submit(runner, root, part) for part in parts if part]

        pending = deque(submit(chunk) for chunk in islice(chunks, ahead))
        while pending:
            chunk, futures = pending.popleft()
            if (following := next(chunks, None)) is not None:
                pending.append(submit(following))
            yield [parse_pool.outcome(p, r) for p, r in zip(chunk, _merged(futures, len(chunk), slices), strict=True)]


def _check_shared(runner: DaskTaskRunner, root: Path, page: RawPage) -> None:
    """Fail the stage, before anything is parsed, when a worker cannot read a body this machine has archived.

    Otherwise every page would be recorded as failed ("raw body … is missing"); failing keeps the run's pages
    for the next run instead (data/unloaded).
    """
    path = archive.raw_path(root, page.sha256)
    if not path.exists():
        return  # missing here too: the page fails on its own, as it would in-process
    blind = sorted(worker for worker, seen in runner.client.run(Path.exists, path).items() if not seen)
    if blind:
        raise ConfigError(
            f"Dask workers {', '.join(blind)} cannot read the raw archive {root}: "
            "mount it at the same path on every worker (docs/scaling.md)"
        )


def _merged(futures: Sequence[Any], size: int, slices: int) -> list[parse_pool.Parsed]:
    """The slices' results back in the chunk's order (slice i holds pages i, i + slices, …)."""
    merged: list[parse_pool.Parsed] = [(None, None)] * size
    for offset, future in enumerate(futures):
        merged[offset::slices] = future.result()
    return merged


def _submit(runner: DaskTaskRunner, root: Path, pages: list[RawPage]) -> Any:
    """Submit one slice as a task of the flow run, not a child of the parse-and-load task.

    A DaskTaskRunner ships the current task run's context, its parameters included, with every task it
    submits: parse-and-load's are the whole run's collected pages and the spool's open file, neither small
    nor picklable.
    """
    token = TaskRunContext.__var__.set(None)  # type: ignore[arg-type]
    try:
        return runner.submit(parse_chunk, {"root": root, "pages": pages})
    finally:
        TaskRunContext.__var__.reset(token)
