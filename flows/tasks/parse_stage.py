"""The parse stage's runner, chosen by configuration: processes on this machine, or a Dask cluster."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path

from flows.settings import DaskSettings
from flows.tasks import parse_pool
from flows.tasks.collect import RawPage
from parsers.run import PageOutcome


def parse_stage(
    root: Path, pages: Collection[RawPage], *, dask: DaskSettings | None = None
) -> Iterator[list[PageOutcome]]:
    """Chunks of outcomes, in order: on this machine (flows/tasks/parse_pool.py), or with `dask` on that cluster
    (flows/tasks/parse_dask.py): always when it has an address, a LocalCluster only for a large run."""
    if dask is not None and (dask.address or len(pages) >= parse_pool.POOL_THRESHOLD):
        from flows.tasks.parse_dask import parse_on_dask  # distributed is imported only when it is used

        return parse_on_dask(root, pages, dask)
    return parse_pool.parse_in_chunks(root, pages)
