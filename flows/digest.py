"""The weekly-digest flow: a week's new documents to the outbox (.html, .txt, .eml), mailed exactly once."""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.adapters.clock import utcnow
from flows.adapters.mail import Letter, PermanentSendError, build_message, connect, deliver, message_id, smtp_password
from flows.adapters.mail import unsubscribe_url as unsubscribe_for
from flows.settings import Settings, SmtpSettings, load_settings
from flows.tasks.digest_model import Digest, build_digest
from flows.tasks.digest_render import render_html, render_text
from parsers.errors import ConfigError, SendError
from warehouse.connection import open_reader, open_writer, writer_lock
from warehouse.runs import close_run, fail_run, start_run
from warehouse.sends import Send, normalise, record_send, sent_for_week
from warehouse.weeks import SHANGHAI, last_complete_week, parse_week

FLOW_NAME = "weekly-digest"
SEND_RETRIES = 2  # a refused login or a 5xx is not retried (see _transient): only what may pass next time
SEND_RETRY_DELAY_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class SendReport:
    """Who got the week's digest in this run, who had it already, who could not get it and why."""

    sent: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class DigestFiles:
    """Where a rendered digest was written, and what mailing it did (None when not asked to send)."""

    week: str
    subject: str
    html: Path
    text: Path
    eml: Path
    documents: int
    mail: SendReport | None = None


@task(name="gather", cache_policy=NO_CACHE)
def gather(settings: Settings, week: str) -> Digest:
    """Read the week's documents, trend and source health from the warehouse."""
    with open_reader(settings.db) as con:
        return build_digest(con, week)


def compose(digest: Digest, mail_from: str) -> tuple[Letter, int]:
    """The digest rendered to both parts, with its document count."""
    unsubscribe = unsubscribe_for(mail_from)
    html = render_html(digest, unsubscribe=unsubscribe)
    text = render_text(digest, unsubscribe=unsubscribe)
    return Letter(week=digest.week, subject=digest.subject, text=text, html=html, mail_from=mail_from), digest.total


@task(name="write-outbox", cache_policy=NO_CACHE)
def write_outbox(letter: Letter, documents: int, out_dir: Path, smtp: SmtpSettings) -> DigestFiles:
    """Write the HTML, text and whole-message (.eml) forms, each atomically (a reader never sees half a file)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"policywatch-digest-{letter.week}"
    to = list(smtp.recipients) if smtp.mode == "per-recipient" else None
    msg = build_message(
        letter,
        to=to,
        msgid=message_id(letter.week, list(smtp.recipients), 0, letter.mail_from),
        now=datetime.now(SHANGHAI),
    )
    html = _write_atomic(out_dir / f"{stem}.html", letter.html.encode("utf-8"))
    text = _write_atomic(out_dir / f"{stem}.txt", letter.text.encode("utf-8"))
    eml = _write_atomic(out_dir / f"{stem}.eml", msg.as_bytes())
    return DigestFiles(letter.week, letter.subject, html, text, eml, documents)


def _write_atomic(path: Path, content: bytes) -> Path:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; a digest is for the team to read
    os.replace(tmp, path)
    return path


def _transient(_task: Any, _run: Any, state: Any) -> bool:
    """Retry a send only when it may pass next time: not a refused login, a 5xx or bad configuration."""
    exc = state.result(raise_on_failure=False)
    return isinstance(exc, SendError) and not isinstance(exc, PermanentSendError)


@task(name="send", cache_policy=NO_CACHE, retry_condition_fn=_transient)
def send_mail(settings: Settings, letter: Letter, run_id: str, baseline: dict[str, int], resend: bool) -> None:
    """Mail the recipients not yet served in this run, recording each one the server accepts at once."""
    pending = _pending(settings, letter.week, baseline, resend)
    if not pending:
        return
    failures: dict[str, SendError] = {}
    with connect(settings.smtp, smtp_password(settings.smtp)) as client:
        for batch in _batches(settings.smtp.mode, pending):
            attempt = max(baseline.get(r, 0) for r in batch) + 1
            msg = build_message(
                letter,
                to=batch if settings.smtp.mode == "per-recipient" else None,
                msgid=message_id(letter.week, batch, attempt, letter.mail_from),
                now=datetime.now(SHANGHAI),
            )
            refused = {normalise(r): e for r, e in deliver(client, msg, letter.mail_from, batch).items()}
            failures.update(refused)
            _record(
                settings,
                [
                    Send(
                        week=letter.week,
                        recipient=r,
                        sent_at=utcnow(),
                        message_id=msg["Message-ID"],
                        subject=letter.subject,
                        mode=settings.smtp.mode,
                        run_id=run_id,
                    )
                    for r in batch
                    if r not in refused
                ],
            )
    if failures:
        raise _combined(failures)


def _pending(settings: Settings, week: str, baseline: dict[str, int], resend: bool) -> list[str]:
    """Recipients this run still owes the digest: not yet sent before (or resending), not sent by an earlier try."""
    current = _ledger(settings, week)
    return [
        r
        for r in recipients(settings.smtp)
        if current.get(r, 0) == baseline.get(r, 0) and (resend or r not in baseline)
    ]


def _batches(mode: str, pending: list[str]) -> list[list[str]]:
    """One message per recipient, or one message to all of them in BCC."""
    return [pending] if mode == "bcc" else [[r] for r in pending]


def _combined(failures: dict[str, SendError]) -> SendError:
    """One error for every refused recipient: permanent only if none of them may pass on a retry."""
    message = "; ".join(str(e) if r in str(e) else f"{r}: {e}" for r, e in sorted(failures.items()))
    permanent = all(isinstance(e, PermanentSendError) for e in failures.values())
    return PermanentSendError(message) if permanent else SendError(message)


def recipients(smtp: SmtpSettings) -> list[str]:
    """The configured recipients, normalised, each once, in the configured order."""
    return list(dict.fromkeys(normalise(r) for r in smtp.recipients))


def _ledger(settings: Settings, week: str) -> dict[str, int]:
    with open_reader(settings.db) as con:
        return sent_for_week(con, week)


def _record(settings: Settings, sends: list[Send]) -> None:
    """Write accepted sends to the ledger at once: a retry or a rerun must not mail them again."""
    if not sends:
        return
    with writer_lock(settings.db, wait=True), open_writer(settings.db) as con:
        for send in sends:
            record_send(con, send)


def mail_digest(settings: Settings, letter: Letter, run_id: str, resend: bool) -> SendReport:
    """Send with retries; report who got it, who had it and who did not (raising SendError if anyone did not)."""
    check_mail_settings(settings.smtp)
    baseline = _ledger(settings, letter.week)
    send = send_mail.with_options(retries=SEND_RETRIES, retry_delay_seconds=SEND_RETRY_DELAY_SECONDS)
    try:
        send(settings, letter, run_id, baseline, resend)
    except SendError as exc:
        sent = _sent_since(settings, letter.week, baseline)
        raise SendError(
            f"digest {letter.week} sent to {len(sent)} of {len(recipients(settings.smtp))} recipients; not sent: {exc}"
        ) from exc
    sent = _sent_since(settings, letter.week, baseline)
    return SendReport(sent=tuple(sent), skipped=tuple(r for r in recipients(settings.smtp) if r not in sent))


def _sent_since(settings: Settings, week: str, baseline: dict[str, int]) -> list[str]:
    current = _ledger(settings, week)
    return [r for r in recipients(settings.smtp) if current.get(r, 0) > baseline.get(r, 0)]


def check_mail_settings(smtp: SmtpSettings) -> None:
    """Refuse to try sending without a server or recipients (bad configuration, exit 2)."""
    if not smtp.host:
        raise ConfigError("--send needs POLICYWATCH_SMTP_HOST (and POLICYWATCH_DIGEST_TO)")
    if not smtp.recipients:
        raise ConfigError("--send needs POLICYWATCH_DIGEST_TO: nobody to send the digest to")


def _run_name() -> str:
    return f"digest {datetime.now(SHANGHAI):%Y-%m-%d}"


@flow(name=FLOW_NAME, flow_run_name=_run_name)
def weekly_digest(
    week: str | None = None,
    out_dir: str | None = None,
    db: str | None = None,
    send: bool = False,
    resend: bool = False,
) -> DigestFiles:
    """Write the digest of an ISO week (default: the last complete week, Asia/Shanghai); mail it with `send`."""
    settings = load_settings(db=Path(db) if db else None)
    week = week or last_complete_week(utcnow())
    parse_week(week)
    if send:
        check_mail_settings(settings.smtp)
    run_id = uuid.uuid4().hex[:16]
    _with_writer(settings, start_run, run_id=run_id, flow=FLOW_NAME, now=utcnow())
    try:
        letter, documents = compose(gather(settings, week), settings.smtp.mail_from)
        files = write_outbox(letter, documents, Path(out_dir) if out_dir else settings.outbox, settings.smtp)
        report = mail_digest(settings, letter, run_id, resend) if send else None
    except Exception as exc:
        _with_writer(settings, fail_run, run_id=run_id, error=str(exc), now=utcnow())
        raise
    _with_writer(settings, close_run, run_id=run_id, summary=_summary(files, report), now=utcnow())
    return replace(files, mail=report)


def _with_writer(settings: Settings, call: Any, **kwargs: Any) -> None:
    with writer_lock(settings.db, wait=True), open_writer(settings.db) as con:
        call(con, **kwargs)


def _summary(files: DigestFiles, report: SendReport | None) -> str:
    summary: dict[str, Any] = {"week": files.week, "documents": files.documents, "html": str(files.html)}
    if report is not None:
        summary |= {"sent": list(report.sent), "skipped": list(report.skipped)}
    return json.dumps(summary, ensure_ascii=False)
