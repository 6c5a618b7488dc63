"""Mailing the digest: MIME messages (multipart/alternative, UTF-8) and SMTP delivery with smtplib."""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from flows.settings import SmtpSettings
from parsers.errors import ConfigError, SendError

UNDISCLOSED = "undisclosed-recipients:;"
TIMEOUT_SECONDS = 30.0


class PermanentSendError(SendError):
    """The server said no in a way a retry cannot change (login refused, 5xx, bad TLS setup)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Letter:
    """What every copy of one week's digest carries."""

    week: str
    subject: str
    text: str
    html: str
    mail_from: str


def unsubscribe_url(mail_from: str) -> str:
    """The List-Unsubscribe mailto: a mail to the sender asking to be taken off."""
    return f"mailto:{mail_from}?subject=unsubscribe"


def message_id(week: str, recipients: list[str], attempt: int, mail_from: str) -> str:
    """A Message-ID fixed by week, recipients and send number: a duplicate after a crash carries the same id."""
    key = hashlib.sha256("\n".join(sorted(r.lower() for r in recipients)).encode()).hexdigest()[:12]
    domain = mail_from.rpartition("@")[2] or "localhost"
    return f"<policywatch-digest-{week}.{key}.{attempt}@{domain}>"


def build_message(letter: Letter, *, to: list[str] | None, msgid: str, now: datetime) -> EmailMessage:
    """A multipart/alternative message: plain text first, HTML preferred; `to` None means all in BCC."""
    msg = EmailMessage()
    msg["Subject"] = letter.subject
    msg["From"] = letter.mail_from
    msg["To"] = ", ".join(to) if to else UNDISCLOSED
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = msgid
    msg["List-Unsubscribe"] = f"<{unsubscribe_url(letter.mail_from)}>"
    msg["X-PolicyWatch-Week"] = letter.week
    # base64 for both parts: long inlined-CSS lines and CJK text pass any server, 8BITMIME or not.
    msg.set_content(letter.text, subtype="plain", charset="utf-8", cte="base64")
    msg.add_alternative(letter.html, subtype="html", charset="utf-8", cte="base64")
    return msg


def smtp_password(smtp: SmtpSettings) -> str | None:
    """The password from the environment, else from the named Prefect Secret block (loaded only then)."""
    if smtp.password or not smtp.password_block:
        return smtp.password
    from prefect.blocks.system import Secret

    try:
        return str(Secret.load(smtp.password_block).get())
    except Exception as exc:
        message = f"cannot load the Prefect Secret block {smtp.password_block!r}: {type(exc).__name__}"
        raise ConfigError(message) from exc


@contextmanager
def connect(
    smtp: SmtpSettings, password: str | None, *, context: ssl.SSLContext | None = None
) -> Iterator[smtplib.SMTP]:
    """An SMTP session: TLS as configured (SSL or STARTTLS, certificates verified), logged in when configured."""
    if not smtp.host:
        raise ConfigError("POLICYWATCH_SMTP_HOST is not set: nowhere to send the digest")
    if smtp.user and not password:
        raise ConfigError("POLICYWATCH_SMTP_USER is set but no password (POLICYWATCH_SMTP_PASSWORD or _BLOCK)")
    context = context or ssl.create_default_context()
    client = _open(smtp, context)
    try:
        _secure_and_login(client, smtp, password, context)
        yield client
    finally:
        _quit(client)


def _open(smtp: SmtpSettings, context: ssl.SSLContext) -> smtplib.SMTP:
    """The TCP (or TLS) connection, its failures as SendError."""
    where = f"{smtp.host}:{smtp.port}"
    try:
        if smtp.security == "ssl":
            return smtplib.SMTP_SSL(smtp.host or "", smtp.port, timeout=TIMEOUT_SECONDS, context=context)
        return smtplib.SMTP(smtp.host or "", smtp.port, timeout=TIMEOUT_SECONDS)
    except ssl.SSLError as exc:
        raise PermanentSendError(f"TLS with {where} failed: {exc.reason or exc}") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(f"cannot connect to SMTP server {where}: {exc}") from exc


def _secure_and_login(client: smtplib.SMTP, smtp: SmtpSettings, password: str | None, context: ssl.SSLContext) -> None:
    """EHLO, STARTTLS when configured, then AUTH when a user is set; never says the password."""
    try:
        client.ehlo()
        if smtp.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if smtp.user:
            client.login(smtp.user, password or "")
    except smtplib.SMTPAuthenticationError as exc:
        raise PermanentSendError(f"SMTP login refused for {smtp.user}: {describe(exc)}") from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise PermanentSendError(f"SMTP server {smtp.host} does not support it: {exc}") from exc
    except ssl.SSLError as exc:
        raise PermanentSendError(f"STARTTLS with {smtp.host} failed: {exc.reason or exc}") from exc
    except smtplib.SMTPResponseException as exc:
        raise _by_code(exc.smtp_code, f"SMTP server {smtp.host} refused: {describe(exc)}") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(f"SMTP session with {smtp.host} failed: {exc}") from exc


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


def deliver(client: smtplib.SMTP, msg: EmailMessage, mail_from: str, recipients: list[str]) -> dict[str, SendError]:
    """Send one message to its envelope recipients; the refused ones, each with why."""
    try:
        refused = client.send_message(msg, from_addr=mail_from, to_addrs=recipients)
    except smtplib.SMTPRecipientsRefused as exc:
        refused = exc.recipients
    except smtplib.SMTPResponseException as exc:
        error = _by_code(exc.smtp_code, f"server refused the message: {describe(exc)}")
        return dict.fromkeys(recipients, error)
    except (OSError, smtplib.SMTPException) as exc:
        return dict.fromkeys(recipients, SendError(f"sending failed: {exc}"))
    return {rcpt: _by_code(code, f"{rcpt} refused: {code} {_text(reply)}") for rcpt, (code, reply) in refused.items()}


def describe(exc: smtplib.SMTPResponseException) -> str:
    """`535 5.7.8 Authentication credentials invalid` from an SMTP error."""
    return f"{exc.smtp_code} {_text(exc.smtp_error)}"


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _by_code(code: int, message: str) -> SendError:
    """5xx replies are permanent, anything else may pass on a retry."""
    return PermanentSendError(message) if 500 <= code < 600 else SendError(message)
