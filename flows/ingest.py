"""The nightly-ingest flow: discover → fetch and archive → parse → load, one source failing alone."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import task_run

from flows.collect import Collected, RawPage, collect_files, collect_web, utcnow
from flows.discover import Known
from flows.fetch import Fetcher
from flows.parse_pool import parse_in_chunks
from flows.politeness import allowed_hosts, fetch_policy, host_policies
from flows.settings import Settings, load_settings
from flows.sources import Source, load_sources
from warehouse import frontier
from warehouse.connection import open_reader_if_exists, open_writer, writer_lock
from warehouse.frontier import FrontierRow, FrontierState
from warehouse.load import LoadReport, PageOutcome, SourceAttempt, load_run
from warehouse.runs import fail_run, known_pages, start_run
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


@task(name="open-run", cache_policy=NO_CACHE, persist_result=False, retries=2, retry_delay_seconds=5)
def open_run(settings: Settings, sources: list[Source], run_id: str) -> dict[str, dict[str, set[str]]]:
    """Record the run as started and read which pages each source already has."""
    with open_writer(settings.db) as con:
        start_run(con, run_id=run_id, flow=FLOW_NAME, now=utcnow())
        return {s.name: known_pages(con, s.name) for s in sources}


@task(name="collect-files", cache_policy=NO_CACHE, persist_result=False, task_run_name="collect {source.name}",
      timeout_seconds=3600)
def collect_files_task(source: Source, settings: Settings, known: dict[str, set[str]]) -> Collected:
    """Read one `files` source, archiving each body before anything parses it."""
    return collect_files(source, settings.archive, known)


def _source_run_name() -> str:
    source = task_run.parameters["source"]
    return f"ingest {source.name} {datetime.now(SHANGHAI):%Y-%m-%d}"


@task(name="ingest-source", cache_policy=NO_CACHE, persist_result=False, task_run_name=_source_run_name,
      timeout_seconds=3 * 3600)
async def ingest_web_source(
    source: Source, fetcher: Fetcher, known: Known, archive_root: Path, backfill: bool
) -> Collected:
    """Discover one web source's new or changed pages, fetch and archive them (no retries: the fetcher retries)."""
    collected = await collect_web(source, fetcher, known, archive_root, backfill=backfill)
    if collected.attempt.error:
        get_run_logger().warning("source %s failed: %s", source.name, collected.attempt.error)
    return collected


@flow(name="fetch-web", flow_run_name="fetch web sources", persist_result=False)
async def fetch_web(sources: list[Source], settings: Settings, backfill: bool) -> list[Collected]:
    """Every web source in one event loop, sharing one client and its per-host limits."""
    with open_reader_if_exists(settings.db) as con:
        def known(urls: list[str]) -> dict[str, FrontierState]:
            return frontier.lookup(con, urls) if con is not None else {}

        async with Fetcher(fetch_policy(settings, sources), allowed_hosts=allowed_hosts(sources),
                           host_policies=host_policies(sources)) as fetcher:
            return list(await asyncio.gather(*(
                ingest_web_source(s, fetcher, known, settings.archive, backfill) for s in sources
            )))


@task(name="parse", cache_policy=NO_CACHE, persist_result=False, timeout_seconds=3 * 3600)
def parse_pages(settings: Settings, raw: list[RawPage]) -> list[PageOutcome]:
    """Parse every archived body (across processes for a large run); a page that breaks the parser is kept."""
    return [outcome for chunk in parse_in_chunks(settings.archive, raw) for outcome in chunk]


# Retried: a load is one transaction, so a failed attempt left nothing behind.
@task(name="load", cache_policy=NO_CACHE, persist_result=False, retries=2, retry_delay_seconds=2,
      timeout_seconds=3600)
def load(
    settings: Settings, run_id: str, pages: list[PageOutcome], attempts: list[SourceAttempt], rows: list[FrontierRow]
) -> LoadReport:
    """Write the run to the warehouse in one transaction."""
    with open_writer(settings.db) as con:
        return load_run(con, run_id=run_id, pages=pages, attempts=attempts, now=utcnow(), frontier=rows)


def _run_name() -> str:
    return f"ingest {datetime.now(SHANGHAI):%Y-%m-%d}"


@flow(name=FLOW_NAME, flow_run_name=_run_name, persist_result=False)
def nightly_ingest(sources_file: str | None = None, db: str | None = None, backfill: bool = False) -> RunResult:
    """Visit every enabled source, keep every page, and load new documents into the warehouse."""
    settings = load_settings(db=Path(db) if db else None, sources=Path(sources_file) if sources_file else None)
    sources = [s for s in load_sources(settings.sources) if s.enabled]
    run_id = uuid.uuid4().hex[:16]
    with writer_lock(settings.db):
        known = open_run(settings, [s for s in sources if s.kind == "files"], run_id)
        collected = [collect_files_task(s, settings, known[s.name]) for s in sources if s.kind == "files"]
        web = [s for s in sources if s.kind != "files"]
        collected += asyncio.run(fetch_web(web, settings, backfill)) if web else []
        parsed = parse_pages(settings, [p for c in collected for p in c.raw])
        pages = [p for c in collected for p in c.failed] + parsed
        attempts = [with_drift(c.attempt, pages) for c in collected]
        try:
            report = load(settings, run_id, pages, attempts, [r for c in collected for r in c.frontier])
        except Exception as exc:
            with open_writer(settings.db) as con:
                fail_run(con, run_id=run_id, error=str(exc), now=utcnow())
            raise
    result = RunResult(run_id=run_id, db=settings.db, report=report, attempts=attempts,
                       unchanged={c.attempt.source_name: c.unchanged for c in collected})
    _publish_summary(result)
    return result


def with_drift(attempt: SourceAttempt, pages: list[PageOutcome]) -> SourceAttempt:
    """Flag a source whose fetched pages all extract as nothing: its detail-page layout probably changed."""
    own = [p for p in pages if p.source_name == attempt.source_name and p.raw_sha256 is not None]
    ok = [p for p in own if p.document is not None and p.document.ok]
    if attempt.drifted or len(own) < DRIFT_MIN_PAGES or ok:
        return attempt
    reason = f"none of its {len(own)} fetched pages yielded an article: the page layout may have changed"
    return replace(attempt, drifted=True, drift_reason=reason)


def summary_rows(result: RunResult) -> list[tuple[str, int, int, int, int, int, str]]:
    """Per source: name, new, versions, duplicates, unchanged, failed, and its error if any."""
    rows = []
    for attempt in result.attempts:
        counts = result.report.by_source.get(attempt.source_name, {})
        rows.append((
            attempt.source_name, counts.get("new", 0), counts.get("version", 0),
            counts.get("exact", 0) + counts.get("near", 0),
            result.unchanged.get(attempt.source_name, 0) + counts.get("unchanged", 0),
            counts.get("failed", 0), attempt.error or "",
        ))
    return rows


def _publish_summary(result: RunResult) -> None:
    lines = ["| source | new | changed | duplicates | unchanged | failed | error |", "|---|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(str(v).replace("|", "/") for v in row) + " |" for row in summary_rows(result)]
    if result.report.errors:
        lines.append("")
    lines += [f"- `{source}` {url}: {error}" for source, url, error in result.report.errors]
    create_markdown_artifact(markdown="\n".join(lines), key="ingest-summary", description="nightly-ingest summary")
    get_run_logger().info("run %s loaded: %s new documents", result.run_id, result.report.total("new"))
