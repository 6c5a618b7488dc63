"""Rendering a digest to HTML (inlined CSS, autoescaped) and plain text with Jinja2."""

from __future__ import annotations

from pathlib import Path

import css_inline
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from flows.digest_model import Digest

TEMPLATES = Path(__file__).with_name("templates")
SQL_HINT = "SELECT * FROM documents WHERE week = '{week}' AND relevant ORDER BY published_on DESC;"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html.j2"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["bar_width"] = lambda n, peak, full=120: 0 if not peak else max(2, round(full * n / peak))


def render_html(digest: Digest) -> str:
    """The HTML part: table layout, CSS inlined into style attributes, every scraped string escaped."""
    html = _env.get_template("digest.html.j2").render(d=digest, sql_hint=SQL_HINT.format(week=digest.week))
    return css_inline.inline(html)


def render_text(digest: Digest) -> str:
    """The plain-text part, with the same content as the HTML."""
    return _env.get_template("digest.txt.j2").render(d=digest, sql_hint=SQL_HINT.format(week=digest.week))
