"""The weekly-digest flow: a week's new documents to HTML and text in the outbox."""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.digest_model import Digest, build_digest
from flows.digest_render import render_html, render_text
from flows.settings import Settings, load_settings
from warehouse.connection import open_reader, open_writer, writer_lock
from warehouse.runs import close_run, fail_run, start_run
from warehouse.weeks import last_complete_week, parse_week

FLOW_NAME = "weekly-digest"


@dataclass(frozen=True, slots=True)
class DigestFiles:
    """Where a rendered digest was written."""

    week: str
    subject: str
    html: Path
    text: Path
    documents: int


def utcnow() -> datetime:
    """Now in UTC, naive (the warehouse stores UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


@task(name="gather", cache_policy=NO_CACHE)
def gather(settings: Settings, week: str) -> Digest:
    """Read the week's documents, trend and source health from the warehouse."""
    with open_reader(settings.db) as con:
        return build_digest(con, week)


@task(name="write-outbox", cache_policy=NO_CACHE)
def write_outbox(digest: Digest, out_dir: Path) -> DigestFiles:
    """Write the HTML and text parts, each atomically (a reader never sees half a file)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"policywatch-digest-{digest.week}"
    html = _write_atomic(out_dir / f"{stem}.html", render_html(digest))
    text = _write_atomic(out_dir / f"{stem}.txt", render_text(digest))
    return DigestFiles(digest.week, digest.subject, html, text, digest.total)


def _write_atomic(path: Path, content: str) -> Path:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
    os.replace(tmp, path)
    return path


def _run_name() -> str:
    return f"digest {datetime.now(UTC):%Y-%m-%d}"


@flow(name=FLOW_NAME, flow_run_name=_run_name)
def weekly_digest(week: str | None = None, out_dir: str | None = None, db: str | None = None) -> DigestFiles:
    """Render the digest of an ISO week (default: the last complete week, Asia/Shanghai)."""
    settings = load_settings(db=Path(db) if db else None)
    week = week or last_complete_week(utcnow())
    parse_week(week)
    run_id = uuid.uuid4().hex[:16]
    with writer_lock(settings.db, wait=True), open_writer(settings.db) as con:
        start_run(con, run_id=run_id, flow=FLOW_NAME, now=utcnow())
    try:
        files = write_outbox(gather(settings, week), Path(out_dir) if out_dir else settings.outbox)
    except Exception as exc:
        with writer_lock(settings.db, wait=True), open_writer(settings.db) as con:
            fail_run(con, run_id=run_id, error=str(exc), now=utcnow())
        raise
    summary = json.dumps({"week": week, "documents": files.documents, "html": str(files.html)}, ensure_ascii=False)
    with writer_lock(settings.db, wait=True), open_writer(settings.db) as con:
        close_run(con, run_id=run_id, summary=summary, now=utcnow())
    return files
