"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, for the digest mail tests.

Faults are data: recipients it refuses, a login it refuses, DATA answered 451 a number of times.
TLS (implicit or STARTTLS) uses a self-signed certificate made at test time with `cryptography`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from flows.adapters.prefect_server import free_port

USER, PASSWORD = "digest-bot", "s3cret-pa55"


@dataclass
class Received:
    """One message as the server got it: envelope and parsed content."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        """The message parsed with the modern email policy."""
        return message_from_bytes(self.raw, policy=policy.default)  # type: ignore[return-value]


@dataclass
class Mailbox:
    """The server's behaviour and memory (handle_RCPT, handle_DATA: aiosmtpd's hook names)."""

    refuse: set[str] = field(default_factory=set)  # recipients answered 550
    fail_data: int = 0  # answer DATA with 451 this many times first
    received: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    login_peers: set[tuple[str, int]] = field(default_factory=set)  # one per connection that tried to log in
    port: int = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        """Accept a recipient unless told to refuse it."""
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the message, or fail it while failures remain."""
        if self.fail_data > 0:
            self.fail_data -= 1
            return "451 4.3.0 try again later"
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        """Accept exactly USER / PASSWORD, remembering every attempt."""
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = data.login.decode(), data.password.decode()
        self.logins.append((login, password))
        self.login_peers.add(tuple(session.peer))
        return AuthResult(success=(login, password) == (USER, PASSWORD), handled=False)


@contextmanager
def smtp_server(
    mailbox: Mailbox | None = None, *, auth: bool = False, tls: str = "none", cert: tuple[Path, Path] | None = None
) -> Iterator[Mailbox]:
    """Serve SMTP on 127.0.0.1; `tls` is none, starttls (required) or ssl (implicit TLS)."""
    box = mailbox or Mailbox()
    box.port = free_port()
    kwargs: dict[str, Any] = {"auth_require_tls": tls != "none", "auth_required": auth}
    if auth:
        kwargs["authenticator"] = box.authenticate
    if tls != "none":
        assert cert is not None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert[0]), str(cert[1]))
        kwargs["ssl_context" if tls == "ssl" else "tls_context"] = context
        if tls == "starttls":
            kwargs["require_starttls"] = True
    controller = Controller(box, hostname="127.0.0.1", port=box.port, **kwargs)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A certificate (and its key) for 127.0.0.1 and localhost, valid for a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "policywatch test smtp")])
    now = dt.datetime.now(dt.UTC)
    san = x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path
