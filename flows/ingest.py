"""The nightly-ingest flow: discover → fetch and archive → parse → load, one source failing alone."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from flows import archive, files_source
from flows.settings import Settings, load_settings
from flows.sources import Source, load_sources
from parsers.errors import PolicyWatchError
from parsers.parse import parse_document
from parsers.records import ParseOptions
from warehouse.connection import open_writer, writer_lock
from warehouse.load import LoadReport, PageOutcome, SourceAttempt, load_run
from warehouse.runs import fail_run, known_pages, start_run
from warehouse.weeks import SHANGHAI

FLOW_NAME = "nightly-ingest"


@dataclass(frozen=True, slots=True, kw_only=True)
class RawPage:
    """A body read or fetched and already archived, waiting to be parsed."""

    url: str
    source_name: str
    fetched_at: datetime
    data: bytes
    sha256: str
    options: ParseOptions
    content_type: str | None = None


@dataclass(slots=True)
class Collected:
    """What one source yielded this run."""

    attempt: SourceAttempt
    raw: list[RawPage] = field(default_factory=list)
    failed: list[PageOutcome] = field(default_factory=list)  # pages that could not even be read
    unchanged: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    """The outcome of one ingest run, for the CLI and the summary artifact."""

    run_id: str
    db: Path
    report: LoadReport
    attempts: list[SourceAttempt]
    unchanged: dict[str, int]


def utcnow() -> datetime:
    """Now in UTC, naive (the warehouse stores UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


@task(name="open-run", cache_policy=NO_CACHE)
def open_run(settings: Settings, sources: list[Source], run_id: str) -> dict[str, dict[str, set[str]]]:
    """Record the run as started and read which pages each source already has."""
    with open_writer(settings.db) as con:
        start_run(con, run_id=run_id, flow=FLOW_NAME, now=utcnow())
        return {s.name: known_pages(con, s.name) for s in sources}


@task(name="collect", cache_policy=NO_CACHE, task_run_name="collect {source.name}")
def collect(source: Source, settings: Settings, known: dict[str, set[str]]) -> Collected:
    """Discover and read one source's pages, archiving each body before anything parses it."""
    if source.kind != "files":
        error = f"source kind {source.kind} is not supported by this version"
        return Collected(SourceAttempt(source_name=source.name, kind=source.kind, ok=False, error=error))
    try:
        items = files_source.discover(source)
        manifest = files_source.load_manifest(source)
    except PolicyWatchError as exc:
        return Collected(SourceAttempt(source_name=source.name, kind=source.kind, ok=False, error=str(exc)))
    collected = Collected(SourceAttempt(source_name=source.name, kind=source.kind, ok=True, items=len(items)))
    for item in items:
        _collect_file(item, source, settings, known, manifest, collected)
    return collected


def _collect_file(
    item: files_source.FileItem,
    source: Source,
    settings: Settings,
    known: dict[str, set[str]],
    manifest: dict[str, dict[str, object]],
    collected: Collected,
) -> None:
    now = utcnow()
    try:
        data = files_source.read(item)
        digest = archive.store(settings.archive, data)
    except PolicyWatchError as exc:
        collected.failed.append(PageOutcome(url=item.url, source_name=source.name, fetched_at=now, error=str(exc)))
        return
    if digest in known.get(item.url, set()):
        collected.unchanged += 1
        return
    options = files_source.options_for(item, source, dict(manifest.get(item.path.name) or {}), now.date())
    collected.raw.append(
        RawPage(url=item.url, source_name=source.name, fetched_at=now, data=data, sha256=digest, options=options)
    )


@task(name="parse", cache_policy=NO_CACHE)
def parse_pages(raw: list[RawPage]) -> list[PageOutcome]:
    """Parse every archived body; a page that breaks the parser is recorded with its error."""
    outcomes = []
    for page in raw:
        try:
            document, error = parse_document(page.data, page.options), None
        except Exception as exc:  # a parser bug on one page must not cost the others
            document, error = None, f"parser error: {type(exc).__name__}: {exc}"
        outcomes.append(
            PageOutcome(url=page.url, source_name=page.source_name, fetched_at=page.fetched_at,
                        raw_sha256=page.sha256, raw_size=len(page.data), content_type=page.content_type,
                        document=document, error=error)
        )
    return outcomes


@task(name="load", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def load(settings: Settings, run_id: str, pages: list[PageOutcome], attempts: list[SourceAttempt]) -> LoadReport:
    """Write the run to the warehouse in one transaction."""
    with open_writer(settings.db) as con:
        return load_run(con, run_id=run_id, pages=pages, attempts=attempts, now=utcnow())


def _run_name() -> str:
    return f"ingest {datetime.now(SHANGHAI):%Y-%m-%d}"


@flow(name=FLOW_NAME, flow_run_name=_run_name)
def nightly_ingest(sources_file: str | None = None, db: str | None = None) -> RunResult:
    """Visit every enabled source, keep every page, and load new documents into the warehouse."""
    settings = load_settings(db=Path(db) if db else None, sources=Path(sources_file) if sources_file else None)
    sources = [s for s in load_sources(settings.sources) if s.enabled]
    run_id = uuid.uuid4().hex[:16]
    with writer_lock(settings.db):
        known = open_run(settings, sources, run_id)
        collected = [collect(s, settings, known[s.name]) for s in sources]
        pages = [p for c in collected for p in c.failed] + parse_pages([p for c in collected for p in c.raw])
        attempts = [c.attempt for c in collected]
        try:
            report = load(settings, run_id, pages, attempts)
        except Exception as exc:
            with open_writer(settings.db) as con:
                fail_run(con, run_id=run_id, error=str(exc), now=utcnow())
            raise
    result = RunResult(run_id=run_id, db=settings.db, report=report, attempts=attempts,
                       unchanged={c.attempt.source_name: c.unchanged for c in collected})
    _publish_summary(result)
    return result


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
