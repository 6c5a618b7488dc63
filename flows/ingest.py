"""The nightly-ingest flow: discover → fetch and archive → parse → load, one source failing alone."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import chain
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import task_run
from prefect.states import State

from flows.adapters.browser import Browser
from flows.adapters.clock import utcnow
from flows.adapters.fetch import Fetcher
from flows.adapters.memory import release_freed_memory
from flows.adapters.politeness import allowed_hosts, fetch_policy, host_policies
from flows.settings import Settings, load_settings
from flows.sources import Source, load_sources
from flows.tasks.attachments import AttachmentReport, PageLinks, attach_files, page_links
from flows.tasks.carryover import CarriedOver, RunFailure, keep_unloaded, read_carried
from flows.tasks.collect import Collected, RawPage, collect_files, collect_web
from flows.tasks.discover import Known
from flows.tasks.parse_feed import ParseFeed, outcomes_in_order
from flows.tasks.parse_pool import CHUNK
from flows.tasks.parse_stage import parse_stage
from flows.tasks.search_index import update_search_index
from flows.tasks.spool import Spool, SpooledList, sorted_spooled
from parsers.errors import PolicyWatchError, WarehouseHeldError
from parsers.run import FrontierState, LoadReport, PageOutcome, SourceAttempt
from parsers.urls import canonical_url, site_rank
from warehouse import frontier
from warehouse.batches import chunked
from warehouse.connection import open_reader_if_exists, open_writer, writer_lock
from warehouse.load import RunLoader
from warehouse.runs import fail_run, known_pages, start_run
from warehouse.snapshot import publish_read_copy
from warehouse.weeks import SHANGHAI

FLOW_NAME = "nightly-ingest"
DRIFT_MIN_PAGES = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    """The outcome of one ingest run, for the CLI and the summary artifact."""

    run_id: str
    db: Path
    report: LoadReport
    attempts: list[SourceAttempt]
    unchanged: dict[str, int]
    attachments: AttachmentReport | None = None


def not_held(task: object, task_run: object, state: State[Any]) -> bool:
    """Retry a stage unless the warehouse was held open past the wait: a retry would only wait again."""
    return not isinstance(state.data, WarehouseHeldError)


@task(
    name="open-run",
    cache_policy=NO_CACHE,
    persist_result=False,
    retries=2,
    retry_delay_seconds=5,
    retry_condition_fn=not_held,
)
def open_run(
    settings: Settings, sources: list[Source], run_id: str, carried: CarriedOver
) -> dict[str, dict[str, set[str]]]:
    """Record the run as started (and how earlier runs ended), and read which pages each source already has."""
    failed = [(f.run_id, f.error, f.failed_at) for f in carried.failures]
    with open_writer(settings.db, wait_seconds=settings.writer_wait_seconds) as con:
        start_run(con, run_id=run_id, flow=FLOW_NAME, now=utcnow(), failed=failed)
        known = {s.name: known_pages(con, s.name) for s in sources}
    for name, pages in known.items():
        for url, hashes in carried.raw_hashes(name).items():
            pages.setdefault(url, set()).update(hashes)
    return known


@task(
    name="collect-files",
    cache_policy=NO_CACHE,
    persist_result=False,
    task_run_name="collect {source.name}",
    timeout_seconds=3600,
)
def collect_files_task(source: Source, settings: Settings, known: dict[str, set[str]], spool: Spool) -> Collected:
    """Read one `files` source, archiving each body before anything parses it."""
    return collect_files(source, settings.archive, known, spool)


def _source_run_name() -> str:
    source = task_run.parameters["source"]
    return f"ingest {source.name} {datetime.now(SHANGHAI):%Y-%m-%d}"


@task(
    name="ingest-source",
    cache_policy=NO_CACHE,
    persist_result=False,
    task_run_name=_source_run_name,
    timeout_seconds=3 * 3600,
)
async def ingest_web_source(
    source: Source,
    fetcher: Fetcher,
    known: Known,
    archive_root: Path,
    spool: Spool,
    backfill: bool,
    browser: Browser | None = None,
    feed: ParseFeed | None = None,
) -> Collected:
    """Discover one web source's new or changed pages, fetch and archive them (no retries: the fetcher retries)."""
    collected = await collect_web(
        source, fetcher, known, archive_root, spool, backfill=backfill, browser=browser, feed=feed
    )
    if collected.attempt.error:
        # debug, not warning: the run's summary reports each failed source once (a table row and a ✗ line);
        # a warning would print it to the console a second time. source_health keeps it for the server.
        get_run_logger().debug("source %s failed: %s", source.name, collected.attempt.error)
    return collected


@flow(name="fetch-web", flow_run_name="fetch web sources", persist_result=False)
async def fetch_web(
    sources: list[Source],
    settings: Settings,
    backfill: bool,
    spool: Spool,
    carried: CarriedOver,
    feed: ParseFeed | None = None,
) -> list[Collected]:
    """Every web source in one event loop, sharing one client and its per-host limits; `feed` parses meanwhile."""
    with open_reader_if_exists(settings.db) as con:

        def known(urls: list[str]) -> dict[str, FrontierState]:
            return carried.known(frontier.lookup(con, urls) if con is not None else {}, urls)

        async with (
            Fetcher(
                fetch_policy(settings, sources),
                allowed_hosts=allowed_hosts(sources),
                host_policies=host_policies(sources),
            ) as fetcher,
            Browser(fetcher) as browser,  # launched only if a browser source meets a challenge or renders
        ):
            return list(
                await asyncio.gather(
                    *(
                        ingest_web_source(s, fetcher, known, settings.archive, spool, backfill, browser, feed)
                        for s in sources
                    )
                )
            )


# Retried: the load is one transaction, so a failed attempt left nothing behind.
@task(
    name="parse-and-load",
    cache_policy=NO_CACHE,
    persist_result=False,
    retries=2,
    retry_delay_seconds=2,
    retry_condition_fn=not_held,
    timeout_seconds=6 * 3600,
)
def parse_and_load(
    settings: Settings, run_id: str, collected: list[Collected], spool: Spool, feed: ParseFeed | None = None
) -> tuple[LoadReport, list[SourceAttempt], SpooledList[PageLinks]]:
    """Parse archived bodies chunk by chunk (in processes or on Dask for a large run) into one load transaction.

    With a `feed`, most pages were parsed while they were fetched: their outcomes are read back, in the same
    order. Also returns the attachment links of the parsed pages, for the attachment stage.
    """
    raw = sorted_spooled((c.raw for c in collected), placing_order, spool)
    fetched = Counter({c.attempt.source_name: len(c.raw) for c in collected})
    articles: Counter[str] = Counter()
    links: SpooledList[PageLinks] = SpooledList(spool)
    with (
        open_writer(settings.db, wait_seconds=settings.writer_wait_seconds) as con,
        RunLoader(con, run_id=run_id, now=utcnow()) as loader,
    ):
        for failed in chunked(chain.from_iterable(c.failed for c in collected), CHUNK):
            loader.add(failed)
        release_freed_memory()  # what the fetch stage freed
        for chunk in _parsed(settings, raw, feed):
            articles.update(p.source_name for p in chunk if p.document is not None and p.document.ok)
            links.extend(page_links(chunk))
            loader.add(chunk)
            release_freed_memory()
        attempts = [
            with_drift(c.attempt, fetched[c.attempt.source_name], articles[c.attempt.source_name]) for c in collected
        ]
        report = loader.finish(attempts, chain.from_iterable(c.frontier for c in collected), search=False)
    return report, attempts, links


# Not retried: a file failing is a row with a reason, and the stage failing is reported, never raised.
@task(name="attachments", cache_policy=NO_CACHE, persist_result=False, timeout_seconds=3 * 3600)
def attachments_task(
    settings: Settings,
    sources: list[Source],
    run_id: str,
    links: SpooledList[PageLinks],
    cookies: list[dict[str, Any]] | None = None,
) -> AttachmentReport:
    """Fetch, archive and read the files the run's new and changed documents link; merge them into those.

    `cookies`: what the browser earned for browser sources this run (their files sit behind the same challenge).
    """
    attached = attach_files(settings, sources, run_id, links, cookies=cookies or [])
    if attached.error:
        get_run_logger().warning("%s", attached.error)
    return attached


@task(name="search-index", cache_policy=NO_CACHE, persist_result=False)
def search_index_task(settings: Settings, report: LoadReport, attached: AttachmentReport) -> None:
    """Index the documents whose text (or attachments' text) changed; a failure keeps the load and is reported."""
    changed = report.total("new") + report.total("version") + attached.merged
    report.search_error = update_search_index(
        settings.db, utcnow(), documents=changed, wait_seconds=settings.writer_wait_seconds
    )
    if report.search_error:
        get_run_logger().warning("%s", report.search_error)


def carried_over(settings: Settings, spool: Spool) -> CarriedOver:
    """What earlier runs fetched and could not load, to be loaded by this one."""
    carried, warnings = read_carried(settings.home, spool)
    logger = get_run_logger()
    for warning in warnings:
        logger.warning("%s", warning)
    if carried.pages:
        runs = len(carried.files)
        logger.info("loading %s pages fetched by %s earlier runs that could not load them", carried.pages, runs)
    return carried


def _parsed(settings: Settings, raw: SpooledList[RawPage], feed: ParseFeed | None) -> Iterator[list[PageOutcome]]:
    """Chunks of outcomes in the order of `raw`: parsed now, or (with a feed) mostly parsed during the fetch."""
    if feed is None:
        return parse_stage(settings.archive, raw, dask=settings.dask)
    chunks = outcomes_in_order(settings.archive, raw, feed)
    if feed.error:
        get_run_logger().warning("%s; the parse stage parsed the pages left", feed.error)
    return chunks


def keep_for_next_run(
    settings: Settings, run_id: str, collected: list[Collected], carried: CarriedOver, exc: Exception
) -> None:
    """A failed load loses nothing: the pages wait on disk for the next run, and the run row says why.

    The row is written now if the warehouse can be opened at once, else by the next run (its file says why).
    """
    pages = sum(len(c.raw) for c in collected)
    error = f"the load failed: {exc}; its {pages} fetched pages load with the next run, without refetching"
    failure = RunFailure(run_id=run_id, error=error, failed_at=utcnow())
    try:
        keep_unloaded(settings.home, collected, failure)
        carried.discard()  # now part of this run's file
    except OSError as exc_keep:
        get_run_logger().error("cannot keep the unloaded pages (%s): the next run fetches them again", exc_keep)
    try:
        with open_writer(settings.db) as con:
            fail_run(con, run_id=run_id, error=error, now=failure.failed_at)
    except PolicyWatchError as exc_row:
        get_run_logger().warning("run row left for the next run to close: %s", exc_row)


def placing_order(page: RawPage) -> tuple[int, str]:
    """Official sites first, then by canonical URL: the load order never depends on arrival order."""
    url = canonical_url(page.url)
    named = canonical_url(page.options.url) if page.options.url else url
    return min(site_rank(url), site_rank(named)), url


def _feed(settings: Settings, spool: Spool) -> AbstractContextManager[ParseFeed | None]:
    """Parsing during the fetch, on this machine's cores; a Dask runner parses after it, on its cluster."""
    return nullcontext() if settings.dask is not None else ParseFeed(settings.archive, spool)


def _run_name() -> str:
    return f"ingest {datetime.now(SHANGHAI):%Y-%m-%d}"


@flow(name=FLOW_NAME, flow_run_name=_run_name, persist_result=False)
def nightly_ingest(sources_file: str | None = None, db: str | None = None, backfill: bool = False) -> RunResult:
    """Visit every enabled source, keep every page, and load new documents into the warehouse."""
    settings = load_settings(db=Path(db) if db else None, sources=Path(sources_file) if sources_file else None)
    sources = [s for s in load_sources(settings.sources) if s.enabled]
    run_id = uuid.uuid4().hex[:16]
    with writer_lock(settings.db), Spool(settings.home) as spool:
        carried = carried_over(settings, spool)
        known = open_run(settings, [s for s in sources if s.kind == "files"], run_id, carried)
        collected = [collect_files_task(s, settings, known[s.name], spool) for s in sources if s.kind == "files"]
        web = [s for s in sources if s.kind != "files"]
        with _feed(settings, spool) as feed:
            collected += asyncio.run(fetch_web(web, settings, backfill, spool, carried, feed)) if web else []
            collected = carried.merged_into(collected)
            try:
                report, attempts, links = parse_and_load(settings, run_id, collected, spool, feed)
            except Exception as exc:
                keep_for_next_run(settings, run_id, collected, carried, exc)
                raise
        carried.discard()
        attached = attachments_task(settings, sources, run_id, links, [k for c in collected for k in c.cookies])
        search_index_task(settings, report, attached)
        _publish_read_copy(settings)
    result = RunResult(
        run_id=run_id,
        db=settings.db,
        report=report,
        attempts=attempts,
        unchanged={c.attempt.source_name: c.unchanged for c in collected},
        attachments=attached,
    )
    _publish_summary(result)
    return result


def _publish_read_copy(settings: Settings) -> None:
    """Refresh the copy analysts query while a run holds the file; the load is committed either way."""
    try:
        publish_read_copy(settings.db)
    except PolicyWatchError as exc:
        get_run_logger().warning("%s", exc)


def with_drift(attempt: SourceAttempt, fetched: int, articles: int) -> SourceAttempt:
    """Flag a source whose fetched pages all extract as nothing: its detail-page layout probably changed."""
    if attempt.drifted or fetched < DRIFT_MIN_PAGES or articles:
        return attempt
    reason = f"none of its {fetched} fetched pages yielded an article: the page layout may have changed"
    return replace(attempt, drifted=True, drift_reason=reason)


def summary_rows(result: RunResult) -> list[tuple[str, int, int, int, int, int, str]]:
    """Per source: name, new, versions, duplicates, unchanged, failed, and its error if any."""
    rows = []
    for attempt in result.attempts:
        counts = result.report.by_source.get(attempt.source_name, {})
        rows.append(
            (
                attempt.source_name,
                counts.get("new", 0),
                counts.get("version", 0),
                counts.get("exact", 0) + counts.get("near", 0),
                result.unchanged.get(attempt.source_name, 0) + counts.get("unchanged", 0),
                counts.get("failed", 0),
                attempt.error or "",
            )
        )
    return rows


def _attachment_line(attached: AttachmentReport) -> str:
    """One line on the attachment stage: files, what became of them, and its error if any."""
    statuses = ", ".join(f"{status} {n}" for status, n in sorted(attached.statuses.items())) or "none"
    line = (
        f"attachments: {attached.documents} documents, {attached.files} files ({statuses}); "
        f"{attached.read} read, {attached.not_modified} not modified, {attached.links} links"
    )
    return line + (f"; {attached.error}" if attached.error else "")


def _publish_summary(result: RunResult) -> None:
    lines = ["| source | new | changed | duplicates | unchanged | failed | error |", "|---|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(str(v).replace("|", "/") for v in row) + " |" for row in summary_rows(result)]
    if result.report.errors:
        lines.append("")
    lines += [f"- `{source}` {url}: {error}" for source, url, error in result.report.errors]
    if result.attachments is not None:
        lines += ["", _attachment_line(result.attachments)]
    create_markdown_artifact(markdown="\n".join(lines), key="ingest-summary", description="nightly-ingest summary")
    get_run_logger().info("run %s loaded: %s new documents", result.run_id, result.report.total("new"))
