"""Turning transport exceptions into a kind and a one-line message a run summary can show."""

from __future__ import annotations

import socket

import httpx

_DNS_MARKERS = (
    "name or service not known",
    "temporary failure in name resolution",
    "nodename nor servname",
    "no address associated",
    "getaddrinfo failed",
    "name resolution",
)


def classify_transport_error(exc: BaseException, host: str) -> tuple[str, str]:
    """(kind, message) for an exception raised while talking to `host`."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return "timeout", f"{host}: timed out ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError | ConnectionRefusedError | socket.gaierror):
        if isinstance(exc.__context__, socket.gaierror) or any(m in text.lower() for m in _DNS_MARKERS):
            return "dns", f"unreachable: {host} does not resolve (DNS)"
        return "connect", f"unreachable: cannot connect to {host} ({text})"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError | ConnectionResetError):
        return "reset", f"{host}: connection reset or closed early ({text})"
    return "http", f"{host}: {type(exc).__name__}: {text}"
