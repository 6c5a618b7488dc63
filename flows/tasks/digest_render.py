"""Rendering a digest to HTML (inlined CSS, autoescaped) and plain text with Jinja2."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import css_inline
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from flows.tasks.digest_model import Digest
from warehouse import queries
from warehouse.queries import DigestDocument

TEMPLATES = Path(__file__).with_name("templates")
SUMMARY_CHARS = 90  # about two lines of a 640 px column at 13 px
BAR_PX = 20  # the tallest trend bar


def safe_href(url: str | None) -> str | None:
    """The URL when it is an absolute http(s) link, else None: no javascript:, data: or file: hrefs."""
    if not url or any(ch in url for ch in "\r\n\t "):
        return None
    parts = urlsplit(url)
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def clip(text: str, limit: int = SUMMARY_CHARS) -> str:
    """At most `limit` characters, cut at the end with an ellipsis (the summary's two lines)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def meta(doc: DigestDocument) -> str:
    """The line under a title: publication date first (new to us, maybe years old) · issuers · 发文字号 · type."""
    date = f"发布于 {doc.published_on.isoformat()}" if doc.published_on else "发布日期不详"
    parts = [date, "、".join(doc.issuers), doc.doc_number or "", doc.doc_type or ""]
    return " · ".join(p for p in parts if p)


def bar_height(count: int, peak: int, full: int = BAR_PX) -> int:
    """Pixel height of a trend bar; a week with none shows a 1 px baseline."""
    return 1 if not peak or not count else max(3, round(full * count / peak))


_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html.j2"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(safe_href=safe_href, clip=clip, meta=meta, bar_height=bar_height)


def _context(digest: Digest, unsubscribe: str | None) -> dict[str, object]:
    return {"d": digest, "sql_hint": queries.sql_hint(digest.week), "unsubscribe": unsubscribe}


def render_html(digest: Digest, *, unsubscribe: str | None = None) -> str:
    """The HTML part: table layout, CSS inlined into style attributes, every scraped string escaped."""
    html = _env.get_template("digest.html.j2").render(_context(digest, unsubscribe))
    return css_inline.inline(html)


def render_text(digest: Digest, *, unsubscribe: str | None = None) -> str:
    """The plain-text part, with the same content as the HTML."""
    return _env.get_template("digest.txt.j2").render(_context(digest, unsubscribe))
