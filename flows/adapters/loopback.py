"""A web site served on 127.0.0.1, for the tests and the benchmarks: routes are data, requests are counted.

A route answers a path (its query included when the route names one) with a `Response`, or is a
function of the site and the request that returns one; faults (slow, reset, truncated, trickling) are
responses too. The site counts requests per path, logs when each arrived, and how many were in flight at most.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Response:
    """What a route answers."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # the server's think time before it answers (the request counts as in flight)
    reset: bool = False  # close the connection without answering
    truncate_to: int | None = None  # announce the whole body, send only this many bytes, close
    send_length: bool = True  # False: no Content-Length, the body ends when the connection closes
    trickle_seconds: float = 0.0  # send the body a byte at a time, this long apart (a stalled or crawling body)


Route = Response | Callable[["Site", BaseHTTPRequestHandler], Response]


@dataclass
class Site:
    """Routes by path, the route for any other path, what was asked, and the base URL once served."""

    routes: dict[str, Route] = field(default_factory=dict)
    fallback: Route = field(default_factory=lambda: Response(b"not found", 404))
    hits: Counter[str] = field(default_factory=Counter)
    log: list[tuple[float, str, dict[str, str]]] = field(default_factory=list)  # (monotonic time, path, headers)
    keep_log: bool = True  # a benchmark serving 100 000 pages needs no log
    in_flight: int = 0
    peak_in_flight: int = 0
    base: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        """Absolute URL of a path on this site."""
        return self.base + path


class _Handler(BaseHTTPRequestHandler):
    site: Site
    request_body: bytes = b""  # a POST's body, read before the route answers

    def do_POST(self) -> None:
        self.request_body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.do_GET()

    def do_GET(self) -> None:
        site = self.site
        key = self.path if self.path in site.routes else self.path.split("?", 1)[0]
        with site.lock:
            site.hits[key] += 1
            site.in_flight += 1
            site.peak_in_flight = max(site.peak_in_flight, site.in_flight)
            if site.keep_log:
                site.log.append((time.monotonic(), key, {k.lower(): v for k, v in self.headers.items()}))
        try:
            self._answer(site.routes.get(key, site.fallback))
        finally:
            with site.lock:
                site.in_flight -= 1

    def _answer(self, route: Route) -> None:
        response = route if isinstance(route, Response) else route(self.site, self)
        if response.delay:
            time.sleep(response.delay)
        if response.reset:
            self.close_connection = True
            self.connection.close()
            return
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if response.send_length:
                self.send_header("Content-Length", str(len(response.body)))
            else:
                self.close_connection = True
            self.end_headers()
            if response.truncate_to is not None:
                self.wfile.write(response.body[: response.truncate_to])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if response.trickle_seconds:
                self._trickle(response)
                return
            self.wfile.write(response.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _trickle(self, response: Response) -> None:
        for i in range(len(response.body)):
            self.wfile.write(response.body[i : i + 1])
            self.wfile.flush()
            time.sleep(response.trickle_seconds)

    def log_message(self, *args: object) -> None:
        """Silence the per-request stderr log."""


@contextmanager
def serve(site: Site, *, keep_alive: bool = False) -> Iterator[Site]:
    """Serve a site on 127.0.0.1 (a free port) for the duration of a with-block.

    `keep_alive`: HTTP/1.1 with persistent connections, as a benchmark's client expects of a real server;
    headers and body then leave in one segment (no Nagle / delayed-ACK stall per request).
    """
    attributes: dict[str, object] = {"site": site}
    if keep_alive:
        attributes |= {"protocol_version": "HTTP/1.1", "wbufsize": 1 << 16}
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Handler,), attributes))
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
