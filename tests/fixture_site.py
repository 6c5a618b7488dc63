"""A small government-style web site served on 127.0.0.1 for fetch and discovery tests.

Every route is plain data; faults (503 once, 429 with Retry-After, slow, oversized, lying charset,
redirect to another host) are routes too. The server counts requests per path so tests can assert
what was fetched.
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
    delay: float = 0.0
    reset: bool = False  # close the connection without answering
    truncate_to: int | None = None  # announce the whole body, send only this many bytes, close


Route = Response | Callable[["Site", BaseHTTPRequestHandler], Response]


@dataclass
class Site:
    """Routes by path (query included when the route names one), request counts, and the base URL."""

    routes: dict[str, Route] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    log: list[tuple[float, str, dict[str, str]]] = field(default_factory=list)
    base: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        """Absolute URL of a path on this site."""
        return self.base + path


def article(title: str, body: str, date: str, charset: str = "utf-8") -> bytes:
    """A detail page in the TRS style many ministries use."""
    html = f"""<!DOCTYPE html><html><head><meta charset="{charset}">
<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="{date} 09:00:00">
<title>{title}_某某网</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/list/">通知公告</a></div>
<div class="crumb">当前位置：首页 &gt; 通知公告</div>
<h1 class="article_title">{title}</h1><div class="time">发布时间：{date}</div>
<div class="article_con"><div class="TRS_Editor">{body}</div></div>
<div class="footer">版权所有：某某网 京ICP备00000000号</div></body></html>"""
    return html.encode("gb18030" if charset.lower() in ("gbk", "gb2312", "gb18030") else "utf-8")


def list_page(links: list[tuple[str, str, str]], next_href: str | None, charset: str = "utf-8") -> bytes:
    """A list page: `ul.u-list li` rows with a title link and a date, and a next-page link."""
    rows = "".join(f'<li><a href="{href}" title="{title}">{title}</a><span>{date}</span></li>'
                   for href, title, date in links)
    pager = f'<a class="next" href="{next_href}">下一页</a>' if next_href else ""
    html = f"""<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>通知公告</title></head><body><ul class="u-list">{rows}</ul><div class="page">{pager}</div></body></html>"""
    return html.encode("gb18030" if charset.lower() in ("gbk", "gb2312", "gb18030") else "utf-8")


class _Handler(BaseHTTPRequestHandler):
    site: Site

    def do_GET(self) -> None:
        site = self.site
        key = self.path if self.path in site.routes else self.path.split("?", 1)[0]
        with site.lock:
            site.hits[key] += 1
            site.log.append((time.monotonic(), key, {k.lower(): v for k, v in self.headers.items()}))
        route = site.routes.get(key)
        response = Response(b"not found", 404) if route is None else route if isinstance(route, Response) else \
            route(site, self)
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
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if response.truncate_to is not None:
                self.wfile.write(response.body[: response.truncate_to])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args: object) -> None:
        """Silence the per-request stderr log."""


@contextmanager
def serve(site: Site) -> Iterator[Site]:
    """Serve a site on 127.0.0.1 (a free port) for the duration of a with-block."""
    handler = type("Handler", (_Handler,), {"site": site})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


def once_then(first: Response, then: Response) -> Route:
    """A route that answers `first` to the first request and `then` afterwards."""
    def route(site: Site, handler: BaseHTTPRequestHandler) -> Response:
        return first if site.hits[handler.path.split("?", 1)[0]] <= 1 else then
    return route


def etag_route(body: bytes, etag: str) -> Route:
    """A page that answers 304 to a request carrying its ETag."""
    def route(site: Site, handler: BaseHTTPRequestHandler) -> Response:
        if handler.headers.get("If-None-Match") == etag:
            return Response(b"", 304, {"ETag": etag})
        return Response(body, 200, {"ETag": etag, "Content-Type": "text/html; charset=utf-8"})
    return route
