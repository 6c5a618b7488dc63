"""Collecting pages from sources: files read or URLs fetched, every body archived before parsing."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from flows.adapters import archive
from flows.adapters.browser import Browser
from flows.adapters.clock import utcnow
from flows.adapters.fetch import Fetcher, FetchResult
from flows.adapters.fetch_modes import for_source
from flows.sources import Source
from flows.tasks import files_source
from flows.tasks.discover import Known, discover
from flows.tasks.options import file_item_options, list_facts, source_defaults
from flows.tasks.spool import Spool, SpooledList
from parsers.errors import PolicyWatchError
from parsers.listing import ListItem
from parsers.options import page_options
from parsers.records import ParseOptions
from parsers.run import FrontierRow, FrontierState, PageOutcome, SourceAttempt


class PageFeed(Protocol):
    """Where pages queued for parsing are announced as they are queued (their spool offset)."""

    def add(self, offset: int) -> None:
        """One page queued."""
        ...


RECEIVED_HEADER = "x-policywatch-received-sha256"  # a rendered page's archive key of the bytes as received
FETCH_WORKERS = 64  # coroutines fetching one source's pages; above any per-host concurrency we allow
# Detail pages that only differ in these headers are the same page to us; the rest is kept with the page.
_KEPT_HEADERS = (
    "content-type",
    "content-length",
    "etag",
    "last-modified",
    "date",
    "server",
    "content-encoding",
    "retry-after",
    "location",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RawPage:
    """A body read or fetched and already archived, waiting to be parsed."""

    url: str
    source_name: str
    fetched_at: datetime
    sha256: str  # the body is in the archive under this key: parsing reads it from there
    size: int
    options: ParseOptions
    content_type: str | None = None
    http_status: int | None = None
    final_url: str | None = None
    headers: dict[str, str] | None = None
    list_facts: dict[str, Any] | None = None  # what the list stated: stored with the page, for a reparse


@dataclass(slots=True)
class Collected:
    """What one source yielded this run; its pages wait in the run's spool, not in memory."""

    attempt: SourceAttempt
    raw: SpooledList[RawPage]
    failed: SpooledList[PageOutcome]  # pages that could not be read or fetched
    frontier: SpooledList[FrontierRow]
    unchanged: int = 0
    cookies: list[dict[str, Any]] = field(default_factory=list)  # a browser source's: for its attachments' client

    @classmethod
    def start(cls, attempt: SourceAttempt, spool: Spool) -> Collected:
        """Nothing collected yet."""
        return cls(attempt, SpooledList(spool), SpooledList(spool), SpooledList(spool))


def collect_files(source: Source, archive_root: Path, known: dict[str, set[str]], spool: Spool) -> Collected:
    """Read a `files` source; files whose bytes were already archived for their path count as unchanged."""
    try:
        items = files_source.discover(source)
        manifest = files_source.load_manifest(source)
    except PolicyWatchError as exc:
        return Collected.start(
            SourceAttempt(source_name=source.name, kind=source.kind, ok=False, error=str(exc)), spool
        )
    collected = Collected.start(
        SourceAttempt(source_name=source.name, kind=source.kind, ok=True, items=len(items)), spool
    )
    for item in items:
        now = utcnow()
        try:
            data = files_source.read(item)
            digest = archive.store(archive_root, data)
            options = file_item_options(source, item, manifest, now.date())
        except PolicyWatchError as exc:  # unreadable, or a manifest entry whose date is not one
            collected.failed.append(PageOutcome(url=item.url, source_name=source.name, fetched_at=now, error=str(exc)))
            continue
        if digest in known.get(item.url, set()):
            collected.unchanged += 1
            continue
        collected.raw.append(
            RawPage(
                url=item.url, source_name=source.name, fetched_at=now, sha256=digest, size=len(data), options=options
            )
        )
    return collected


async def collect_web(
    source: Source,
    fetcher: Fetcher,
    known: Known,
    archive_root: Path,
    spool: Spool,
    *,
    backfill: bool,
    browser: Browser | None = None,
    feed: PageFeed | None = None,
) -> Collected:
    """Discover a web source's new or changed pages and fetch them; a source failing is reported, not raised.

    `browser`: the run's headless Chromium, for sources whose `fetch` mode needs it (flows/adapters/fetch_modes.py).
    `feed`: told the spool offset of each page queued for parsing, as it is queued (flows/tasks/parse_feed.py).
    """
    getter = for_source(source, fetcher, browser)
    found = await discover(source, getter, known, backfill=backfill)
    now = utcnow()
    attempt = SourceAttempt(
        source_name=source.name, kind=source.kind, ok=found.error is None, items=len(found.items), error=found.error
    )
    if found.error is None and not found.items:
        attempt = SourceAttempt(
            source_name=source.name,
            kind=source.kind,
            ok=True,
            drifted=True,
            drift_reason="its lists yielded no links: the page layout may have changed",
        )
    collected = Collected.start(attempt, spool)
    collected.frontier.extend(
        FrontierRow(url=i.url, source_name=source.name, seen_at=now, list_updated=i.updated, title_hint=i.title)
        for i in found.items
    )
    states = known([i.url for i in found.items])
    todo: SpooledList[ListItem] = SpooledList(spool)
    todo.extend(i for i in found.items if _wanted(i, states))
    collected.unchanged = len(found.items) - len(todo)
    del found  # a backfill's list items wait in the spool while their pages are fetched
    headers = {"Referer": source.url, **(source.options.get("headers") or {})}

    async def fetch_and_keep(item: ListItem) -> None:
        # Archived as soon as it arrives: a run never holds more bodies than requests in flight.
        result = await getter.get(
            item.url,
            etag=_state(states, item, "etag"),
            last_modified=_state(states, item, "last_modified"),
            headers=headers,
        )
        # Archived on the event loop: a thread per body cost more than the file's creation (measured).
        offset = _take(source, item, _archived(archive_root, result), collected)
        if offset is not None and feed is not None:
            feed.add(offset)

    queue = iter(todo)

    async def worker() -> None:
        for item in queue:  # a shared iterator: each item is taken by exactly one worker
            await fetch_and_keep(item)

    # A fixed pool, not a task per page: 100 000 waiting tasks alone held ~300 MB in a backfill.
    # The fetcher's per-host limits still decide how many requests are in flight.
    workers = max(FETCH_WORKERS, int(source.options.get("concurrency") or 0))
    await asyncio.gather(*(worker() for _ in range(min(len(todo), workers))))
    if source.fetch != "plain":  # what the browser earned: the attachment stage presents it too
        collected.cookies = fetcher.cookies_for(source.hosts)
    return collected


def _wanted(item: ListItem, states: Mapping[str, FrontierState]) -> bool:
    """New URLs, URLs still failing, and known URLs whose list marker says they changed."""
    state = states.get(item.url)
    if state is None or not state.settled:
        return True
    return bool(item.updated and state.list_updated and item.updated != state.list_updated)


def _state(states: Mapping[str, FrontierState], item: ListItem, name: str) -> str | None:
    state = states.get(item.url)
    return getattr(state, name, None) if state is not None else None


@dataclass(frozen=True, slots=True)
class _Archived:
    """A fetch's result once its body is in the archive: its key, and the received bytes' key of a rendered page."""

    result: FetchResult
    digest: str | None = None
    received: str | None = None


def _archived(archive_root: Path, result: FetchResult) -> _Archived:
    """Archive a fetched body (and a rendered page's bytes as received); an archive failure fails the page."""
    if result.not_modified or result.body is None:
        return _Archived(result)
    try:
        received = archive.store(archive_root, result.received) if result.received is not None else None
        return _Archived(result, archive.store(archive_root, result.body), received)
    except PolicyWatchError as exc:
        failed = FetchResult(
            url=result.url,
            final_url=result.final_url,
            status=result.status,
            headers=result.headers,
            error=str(exc),
            error_kind="archive",
        )
        return _Archived(failed)


def _take(source: Source, item: ListItem, archived: _Archived, collected: Collected) -> int | None:
    """Queue an archived body for parsing (its spool offset), and note what the frontier should remember."""
    result, digest = archived.result, archived.digest
    headers = {k: v for k, v in result.headers.items() if k in _KEPT_HEADERS}
    if archived.received is not None:  # rendered: what the server sent is kept too, named by the page
        headers[RECEIVED_HEADER] = archived.received
    row = dict(
        url=item.url,
        source_name=source.name,
        seen_at=result.fetched_at,
        fetched_at=result.fetched_at,
        http_status=result.status,
        list_updated=item.updated,
        title_hint=item.title,
    )
    if result.not_modified:
        collected.frontier.append(FrontierRow(**row, status="not_modified"))  # type: ignore[arg-type]
        collected.unchanged += 1
        return None
    if result.error is not None or digest is None:
        status = "robots" if result.error_kind == "robots" else "failed"
        collected.frontier.append(
            FrontierRow(
                **row,
                status=status,
                raw_sha256=digest,  # type: ignore[arg-type]
                error=result.error,
            )
        )
        collected.failed.append(
            PageOutcome(
                url=item.url,
                source_name=source.name,
                fetched_at=result.fetched_at,
                raw_sha256=digest,
                raw_size=len(result.body) if result.body is not None else None,
                content_type=headers.get("content-type"),
                error=result.error or "no body",
                http_status=result.status,
                final_url=result.final_url,
                headers=headers,
                list_facts=list_facts(item) or None,
            )
        )
        return None
    collected.frontier.append(
        FrontierRow(
            **row,
            status="fetched",
            etag=headers.get("etag"),  # type: ignore[arg-type]
            last_modified=headers.get("last-modified"),
            raw_sha256=digest,
        )
    )
    facts = list_facts(item)
    options = page_options(
        url=result.final_url,
        source=source_defaults(source),
        fetched_on=result.fetched_at.date(),
        list_facts=facts,
        content_type=result.headers.get("content-type"),
    )
    return collected.raw.append(
        RawPage(
            url=item.url,
            source_name=source.name,
            fetched_at=result.fetched_at,
            sha256=digest,
            size=len(result.body or b""),
            options=options,
            content_type=headers.get("content-type"),
            http_status=result.status,
            final_url=result.final_url,
            headers=headers,
            list_facts=facts or None,
        )
    )
