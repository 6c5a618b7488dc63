"""The reparse flow: parse → load again over the raw archive, after a parser change, without refetching."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.adapters import archive
from flows.adapters.clock import utcnow
from flows.settings import Settings, load_settings
from flows.sources import Source, load_sources
from flows.tasks import files_source
from flows.tasks.attachments import reread_attachments
from flows.tasks.options import manifest_entry, source_defaults
from parsers.options import SourceDefaults, page_options
from parsers.parse import parse_document
from parsers.records import ParsedDocument, ParseOptions
from warehouse import search
from warehouse.connection import open_reader, open_writer, writer_lock
from warehouse.load import load_run
from warehouse.reparse import ArchivedPage, ReparseReport, apply_reparse, latest_pages
from warehouse.runs import set_run_pages, start_run
from warehouse.snapshot import publish_read_copy

FLOW_NAME = "reparse"


@dataclass(frozen=True, slots=True)
class ReparseResult:
    """What a reparse did, for the CLI."""

    pages: int
    report: ReparseReport
    recovered_new: int
    missing_raw: int
    attachments_read: int = 0  # attachment files read again from the archive


@task(name="reparse-pages", cache_policy=NO_CACHE)
def reparse_pages(
    settings: Settings, pages: list[ArchivedPage]
) -> tuple[list[tuple[ArchivedPage, ParsedDocument]], int]:
    """Parse every archived body again; a body missing from the archive is counted, not fatal."""
    by_name = {s.name: s for s in load_sources(settings.sources)}
    manifests = {name: files_source.load_manifest(s) for name, s in by_name.items() if s.kind == "files"}
    parsed, missing = [], 0
    for page in pages:
        try:
            data = archive.load(settings.archive, page.raw_sha256)
        except archive.ArchiveError:
            missing += 1
            continue
        parsed.append((page, parse_document(data, _options(page, by_name.get(page.source_name), manifests))))
    return parsed, missing


def _options(page: ArchivedPage, source: Source | None, manifests: dict[str, dict[str, Any]]) -> ParseOptions:
    """The options the page was first read with: the registry and manifest as they are now, the page's own facts."""
    manifest = manifests.get(page.source_name)
    return page_options(
        url=page.final_url or page.url,
        # A source gone from the registry still named the page as an article: keep its name, lose its defaults.
        source=source_defaults(source) if source else SourceDefaults(name=page.source_name),
        fetched_on=page.fetched_at.date() if page.fetched_at else None,
        list_facts=page.list_facts,
        manifest_facts=manifest_entry(manifest, page.url) if manifest is not None else None,
        content_type=page.content_type,
    )


@flow(name=FLOW_NAME, flow_run_name="reparse")
def reparse_archive(sources_file: str | None = None, db: str | None = None) -> ReparseResult:
    """Re-run parse → load for the newest archived page of every URL."""
    settings = load_settings(db=Path(db) if db else None, sources=Path(sources_file) if sources_file else None)
    run_id = uuid.uuid4().hex[:16]
    with writer_lock(settings.db):
        with open_reader(settings.db) as con:
            pages = latest_pages(con)
        parsed, missing = reparse_pages(settings, pages)
        with open_writer(settings.db) as con:
            start_run(con, run_id=run_id, flow=FLOW_NAME, now=utcnow())
            report = apply_reparse(con, parsed, now=utcnow())
            loaded = load_run(con, run_id=run_id, pages=report.recovered, attempts=[], now=utcnow())
            set_run_pages(con, run_id=run_id, pages=len(pages))  # what `reparse` prints: one truth
            # The documents' classifications were rewritten from their pages alone: their files' part goes back.
            files, _ = reread_attachments(con, settings.archive)
            search.index_documents(con, now=utcnow(), commit_each=True)
        publish_read_copy(settings.db)
    return ReparseResult(
        pages=len(pages),
        report=report,
        recovered_new=loaded.total("new"),
        missing_raw=missing,
        attachments_read=files,
    )
