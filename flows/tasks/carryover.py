"""Pages a failed load leaves behind, kept on disk so that the next run loads them without fetching them again.

A run whose load fails (an analyst's session held the warehouse past the wait, DuckDB ran out of disk)
has fetched and archived its pages already, but the spool listing them dies with the process, and the
frontier, written by the load, never heard of them. So the run's records (raw pages, failed pages,
frontier rows, source attempts) go to `<home>/unloaded/<run_id>.pickle`, with the reason the load
failed. The next run reads the file first: the run row gets its true failure, its pages are loaded with
the new run's and not requested again, and the file goes once that load commits. A file the code can no
longer read (an upgrade changed a record) is set aside as `.unreadable`; the frontier then refetches.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flows.tasks.collect import Collected, RawPage
from flows.tasks.spool import Spool, SpooledList
from parsers.run import FrontierRow, FrontierState, SourceAttempt
from parsers.urls import canonical_url

FOLDER = "unloaded"
SUFFIX = ".pickle"


@dataclass(frozen=True, slots=True)
class RunFailure:
    """A run whose load failed, for its row in the ledger."""

    run_id: str
    error: str
    failed_at: datetime


class CarriedOver:
    """What earlier runs fetched and could not load. A plain class: Prefect must not walk its pages."""

    def __init__(self, files: list[Path], failures: list[RunFailure], collected: list[Collected]) -> None:
        self.files = files
        self.failures = failures
        self.collected = collected
        self.urls = {canonical_url(page.url) for c in collected for page in c.raw}

    @property
    def pages(self) -> int:
        """Pages waiting to be loaded."""
        return sum(len(c.raw) for c in self.collected)

    def known(self, states: dict[str, FrontierState], urls: list[str]) -> dict[str, FrontierState]:
        """The frontier's states, with the carried pages as fetched: discovery does not request them again."""
        fetched = FrontierState(status="fetched", etag=None, last_modified=None, list_updated=None, fetches=1)
        return {**{url: fetched for url in urls if canonical_url(url) in self.urls}, **states}

    def raw_hashes(self, source_name: str) -> dict[str, set[str]]:
        """URL → raw hashes carried for a `files` source: its files count as read, not read twice."""
        hashes: dict[str, set[str]] = {}
        for c in self.collected:
            if c.attempt.source_name == source_name:
                for page in c.raw:
                    hashes.setdefault(page.url, set()).add(page.sha256)
        return hashes

    def merged_into(self, collected: list[Collected]) -> list[Collected]:
        """This run's collections with the carried pages added to their sources (a source gone: its own entry)."""
        by_name = {c.attempt.source_name: c for c in collected}
        extra = []
        for carried in self.collected:
            current = by_name.get(carried.attempt.source_name)
            if current is None:
                extra.append(carried)
                continue
            current.raw.extend(carried.raw)
            current.failed.extend(carried.failed)
            current.frontier = _frontier_first(carried, current)
        return collected + extra

    def discard(self) -> None:
        """The carried pages are loaded: forget them."""
        for path in self.files:
            path.unlink(missing_ok=True)


def _frontier_first(carried: Collected, current: Collected) -> SpooledList[FrontierRow]:
    """The carried frontier rows before this run's: for one URL, this run's news wins."""
    rows = carried.frontier[:]
    rows.extend(current.frontier)
    return rows


def keep_unloaded(home: Path, collected: list[Collected], failure: RunFailure) -> Path:
    """Write a failed run's records where the next run finds them; atomic, so a crash leaves no half file."""
    folder = home / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{failure.run_id}{SUFFIX}"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            for record in _records(collected, failure):
                pickle.dump(record, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _records(collected: list[Collected], failure: RunFailure) -> Iterator[tuple[str, Any]]:
    yield "failure", failure
    for c in collected:
        yield "source", (c.attempt, c.unchanged)
        yield from (("raw", page) for page in c.raw)
        yield from (("failed", outcome) for outcome in c.failed)
        yield from (("frontier", row) for row in c.frontier)


def read_carried(home: Path, spool: Spool) -> tuple[CarriedOver, list[str]]:
    """Every failed run's leftovers, their pages in this run's spool; and a warning per file set aside."""
    files, failures, collected, warnings = [], [], [], []
    for path in sorted((home / FOLDER).glob(f"*{SUFFIX}")):
        try:
            failure, found = _read_file(path, spool)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError) as exc:
            path.replace(path.with_suffix(".unreadable"))
            warnings.append(f"{path.name} cannot be read ({type(exc).__name__}: {exc}); its pages will be refetched")
            continue
        files.append(path)
        failures.append(failure)
        collected += found
    return CarriedOver(files, failures, collected), warnings


def _read_file(path: Path, spool: Spool) -> tuple[RunFailure, list[Collected]]:
    failure: RunFailure | None = None
    found: list[Collected] = []
    with path.open("rb") as handle:
        while True:
            try:
                kind, value = pickle.load(handle)
            except EOFError:
                break
            if kind == "failure":
                failure = value
            elif kind == "source":
                attempt, unchanged = value
                found.append(Collected.start(_checked(attempt, SourceAttempt), spool))
                found[-1].unchanged = unchanged
            else:
                _add(found[-1], kind, value)
    if failure is None:
        raise ValueError("no failure record")
    return _checked(failure, RunFailure), found


def _add(collected: Collected, kind: str, value: Any) -> None:
    if kind == "raw":
        collected.raw.append(_checked(value, RawPage))
    elif kind == "failed":
        collected.failed.append(value)
    elif kind == "frontier":
        collected.frontier.append(value)
    else:
        raise ValueError(f"unknown record {kind!r}")


def _checked(value: Any, kind: type) -> Any:
    if not isinstance(value, kind):
        raise TypeError(f"expected {kind.__name__}, found {type(value).__name__}")
    return value
