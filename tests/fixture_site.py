"""A small government-style web site for fetch and discovery tests, served by flows.adapters.loopback on 127.0.0.1.

Every route is plain data; faults (503 once, 429 with Retry-After, slow, oversized, lying charset,
redirect to another host) are routes too. The server counts requests per path so tests can assert
what was fetched.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import yaml

from flows.adapters.loopback import Response, Route, Site, serve

__all__ = [
    "Response",
    "Route",
    "Site",
    "article",
    "attachment_route",
    "etag_route",
    "gov_policy_api",
    "list_page",
    "once_then",
    "serve",
    "write_registry",
]


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
    rows = "".join(
        f'<li><a href="{href}" title="{title}">{title}</a><span>{date}</span></li>' for href, title, date in links
    )
    pager = f'<a class="next" href="{next_href}">下一页</a>' if next_href else ""
    html = f"""<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>通知公告</title></head><body><ul class="u-list">{rows}</ul><div class="page">{pager}</div></body></html>"""
    return html.encode("gb18030" if charset.lower() in ("gbk", "gb2312", "gb18030") else "utf-8")


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


def attachment_route(body: bytes, etag: str, content_type: str = "application/octet-stream") -> Route:
    """A file served with an ETag: 304 to a request that carries it, the bytes otherwise."""

    def route(site: Site, handler: BaseHTTPRequestHandler) -> Response:
        if handler.headers.get("If-None-Match") == etag:
            return Response(b"", 304, {"ETag": etag})
        return Response(body, 200, {"ETag": etag, "Content-Type": content_type})

    return route


def gov_policy_api(items: list[dict[str, Any]]) -> Response:
    """The gov.cn policy library's JSON answer (sources-reference §1.3) listing these items under 公文."""
    body = {"searchVO": {"catMap": {"gongwen": {"listVO": items}}}}
    return Response(json.dumps(body, ensure_ascii=False).encode(), headers={"Content-Type": "application/json"})


def write_registry(path: Path, sources: list[dict[str, Any]]) -> Path:
    """A sources.yaml holding these entries, as a user would write it."""
    path.write_text(yaml.safe_dump({"sources": sources}, allow_unicode=True), encoding="utf-8")
    return path
