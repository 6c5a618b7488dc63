"""Mail building and SMTP sessions against a real aiosmtpd server on 127.0.0.1 (no Prefect)."""

from __future__ import annotations

import ssl
from datetime import datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from flows.adapters.mail import (
    UNDISCLOSED,
    Letter,
    PermanentSendError,
    build_message,
    connect,
    deliver,
    message_id,
    smtp_password,
)
from flows.adapters.prefect_server import free_port
from flows.settings import SmtpSettings
from parsers.errors import ConfigError, SendError
from tests.smtp_server import PASSWORD, USER, Mailbox, self_signed_cert, smtp_server
from warehouse.weeks import SHANGHAI

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

LETTER = Letter(
    week="2026-W47",
    subject="PolicyWatch 周报 2026-W47: 12 项新政策",
    text="纯文本：生物制造\n",
    html="<p>生物制造</p>",
    mail_from="policywatch@example.org",
)
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=SHANGHAI)


def smtp(port: int, **overrides: object) -> SmtpSettings:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "user": None,
        "password": None,
        "security": "none",
        "mail_from": LETTER.mail_from,
        "recipients": ("a@example.org",),
    }
    return SmtpSettings(**(values | overrides))  # type: ignore[arg-type]


def send_one(settings: SmtpSettings, password: str | None = None, context: ssl.SSLContext | None = None) -> None:
    """Open a session as configured and deliver one message to a@e.org."""
    with connect(settings, password, context=context) as client:
        deliver(client, build_message(LETTER, to=None, msgid="<x@e.org>", now=NOW), LETTER.mail_from, ["a@e.org"])


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_cert(tmp_path_factory.mktemp("cert"))


def test_build_message_is_multipart_alternative_text_then_html() -> None:
    msg = build_message(LETTER, to=["a@example.org"], msgid="<x@example.org>", now=NOW)
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" and p["Content-Transfer-Encoding"] == "base64" for p in parts)


def test_build_message_headers_survive_the_wire() -> None:
    raw = build_message(LETTER, to=["a@example.org"], msgid="<x@example.org>", now=NOW).as_bytes()
    assert raw.isascii()  # the subject travels as an RFC 2047 UTF-8 encoded word
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] == "PolicyWatch 周报 2026-W47: 12 项新政策"
    assert "=?utf-8?" in raw.split(b"\n", 1)[0].decode()
    assert msg["Date"] == "Mon, 23 Nov 2026 08:00:00 +0800"
    assert msg["Message-ID"] == "<x@example.org>"
    assert msg["List-Unsubscribe"] == "<mailto:policywatch@example.org?subject=unsubscribe>"


def test_build_message_for_bcc_names_no_recipient() -> None:
    msg = build_message(LETTER, to=None, msgid="<x@example.org>", now=NOW)
    assert msg["To"] == UNDISCLOSED
    assert msg["Bcc"] is None


def test_message_id_is_fixed_by_week_recipients_and_attempt() -> None:
    first = message_id("2026-W47", ["A@example.org"], 1, "pw@example.org")
    assert first == message_id("2026-W47", ["a@example.org"], 1, "pw@example.org")
    assert first != message_id("2026-W47", ["a@example.org"], 2, "pw@example.org")
    assert first.endswith("@example.org>")


def test_connect_plain_delivers_to_each_envelope_recipient() -> None:
    with smtp_server() as box, connect(smtp(box.port), None) as client:
        msg = build_message(LETTER, to=None, msgid="<x@example.org>", now=NOW)
        assert deliver(client, msg, LETTER.mail_from, ["a@example.org", "b@example.org"]) == {}
    assert box.received[0].rcpt_tos == ["a@example.org", "b@example.org"]


def test_connect_logs_in_when_a_user_is_configured() -> None:
    with smtp_server(auth=True) as box, connect(smtp(box.port, user=USER), PASSWORD):
        pass
    assert box.logins == [(USER, PASSWORD)]


def test_connect_refused_login_is_a_permanent_error_without_the_password() -> None:
    with smtp_server(auth=True) as box, pytest.raises(PermanentSendError, match="login refused") as caught:
        send_one(smtp(box.port, user=USER), "wrong-password")
    assert box.received == []
    assert "wrong-password" not in str(caught.value)


def test_connect_starttls_verifies_the_certificate(cert: tuple[Path, Path]) -> None:
    context = ssl.create_default_context(cafile=str(cert[0]))
    with smtp_server(tls="starttls", auth=True, cert=cert) as box:
        send_one(smtp(box.port, security="starttls", user=USER), PASSWORD, context)
    assert box.logins == [(USER, PASSWORD)]
    assert len(box.received) == 1


def test_connect_ssl_verifies_the_certificate(cert: tuple[Path, Path]) -> None:
    context = ssl.create_default_context(cafile=str(cert[0]))
    with smtp_server(tls="ssl", cert=cert) as box:
        send_one(smtp(box.port, security="ssl"), None, context)
    assert len(box.received) == 1


def test_connect_starttls_refuses_an_untrusted_certificate(cert: tuple[Path, Path]) -> None:
    with smtp_server(tls="starttls", cert=cert) as box, pytest.raises(PermanentSendError, match="STARTTLS"):
        send_one(smtp(box.port, security="starttls"), None, ssl.create_default_context())
    assert box.received == []


def test_connect_without_a_server_is_a_transient_error() -> None:
    with pytest.raises(SendError, match="cannot connect") as caught, connect(smtp(free_port()), None):
        pass
    assert not isinstance(caught.value, PermanentSendError)


def test_connect_user_without_password_is_bad_configuration() -> None:
    with pytest.raises(ConfigError, match="no password"), connect(smtp(25, user=USER), None):
        pass


def test_deliver_reports_only_the_refused_recipient() -> None:
    with smtp_server(Mailbox(refuse={"bad@example.org"})) as box, connect(smtp(box.port), None) as client:
        msg = build_message(LETTER, to=None, msgid="<x@example.org>", now=NOW)
        refused = deliver(client, msg, LETTER.mail_from, ["good@example.org", "bad@example.org"])
    assert list(refused) == ["bad@example.org"]
    assert isinstance(refused["bad@example.org"], PermanentSendError)
    assert box.received[0].rcpt_tos == ["good@example.org"]


def test_smtp_password_prefers_the_environment() -> None:
    assert smtp_password(smtp(25, password="env-pass", password_block="never-loaded")) == "env-pass"
    assert smtp_password(smtp(25)) is None


def test_smtp_settings_repr_hides_the_password() -> None:
    assert "env-pass" not in repr(smtp(25, password="env-pass"))
