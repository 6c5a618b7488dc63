"""Discovery from list pages, feeds, sitemaps and JSON list APIs: pure functions from text to items."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from bs4 import BeautifulSoup
from lxml import etree

# Dates as list pages print them: 2026-03-27, 2026/03/27, 2026.03.27, 2026年3月27日.
_DATE = re.compile(r"(20\d{2}|19\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
# TRS-CMS pagers print the total page count in an inline call: createPageHTML(TOTAL, CURRENT, "index", "html").
_TRS_TOTAL = re.compile(r"createPageHTML\(\s*(\d+)\s*,")
# Search-result highlight tags in API titles.
_TAGS = re.compile(r"<[^>]+>")
_BEIJING = timezone(timedelta(hours=8))  # API epochs name Beijing days; China has had no DST since 1991
_XML_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class ListItem:
    """A link found by discovery, with whatever the list says about it."""

    url: str
    title: str | None = None
    published_on: date | None = None
    updated: str | None = None  # sitemap lastmod / feed updated: a change marker, compared as text
    facts: Mapping[str, Any] = field(default_factory=dict)  # issuer, doc_number … from a JSON API


def parse_date(text: str | None) -> date | None:
    """The first date in a string, in any of the forms lists use; None when there is none."""
    if not text:
        return None
    match = _DATE.search(text)
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None
    try:
        return parsedate_to_datetime(text).astimezone(UTC).date()  # RFC 822 feed dates
    except (TypeError, ValueError, IndexError):
        return None


def absolute(url: str, base: str) -> str | None:
    """A link resolved against its page, without fragment; None for javascript:, mailto: and the like."""
    url = (url or "").strip()
    if not url or url.lower().startswith(("javascript:", "mailto:", "tel:", "#")):
        return None
    resolved = urldefrag(urljoin(base, url))[0]
    return resolved if urlsplit(resolved).scheme in ("http", "https") else None


def html_links(html: str, *, base_url: str, selector: str) -> list[ListItem]:
    """Article links of a list page: `selector` picks the anchors (or rows holding one)."""
    soup = BeautifulSoup(html, "lxml")
    items: dict[str, ListItem] = {}
    for node in soup.select(selector):
        anchor = node if node.name == "a" else node.find("a")
        if anchor is None:
            continue
        url = absolute(str(anchor.get("href") or ""), base_url)
        if url is None or url in items:
            continue
        title = str(anchor.get("title") or "").strip() or anchor.get_text(" ", strip=True) or None
        row = anchor.find_parent("li") or anchor.find_parent("tr") or anchor.parent
        row_text = row.get_text(" ", strip=True) if row else ""
        items[url] = ListItem(url=url, title=title, published_on=parse_date(row_text))
    return list(items.values())


def next_page_url(html: str, *, base_url: str, selector: str) -> str | None:
    """The URL of the next list page named by a pagination link, if any."""
    node = BeautifulSoup(html, "lxml").select_one(selector)
    if node is None:
        return None
    return absolute(str(node.get("href") or ""), base_url)


def pattern_page_url(pattern: str, page: int) -> str:
    """The URL of list page `page` (1 = first) from a pattern.

    `{n}` counts from 1 on the second page (TRS: index.html, index_1.html …);
    `{page}` is the page number itself (Shanghai: index.html, index_2.html …).
    """
    return pattern.replace("{n}", str(page - 1)).replace("{page}", str(page))


def trs_total_pages(html: str) -> int | None:
    """Total pages announced by a TRS-CMS pager script, if present."""
    match = _TRS_TOTAL.search(html)
    return int(match[1]) if match else None


def feed_items(xml: bytes) -> list[ListItem]:
    """Items of an RSS 2.0 or Atom feed."""
    root = _xml_root(xml)
    if root is None:
        return []
    items = []
    for node in root.iter():
        tag = etree.QName(node).localname if isinstance(node.tag, str) else ""
        if tag == "item":
            link = _child_text(node, "link") or _child_text(node, "guid")
            published = _child_text(node, "pubDate") or _child_text(node, "date")
            items.append((link, _child_text(node, "title"), published))
        elif tag == "entry":
            links = (a for a in node if _local(a) == "link" and a.get("rel", "alternate") == "alternate")
            link = next((a.get("href") for a in links), None)
            published = _child_text(node, "published") or _child_text(node, "updated")
            items.append((link, _child_text(node, "title"), published))
    return [ListItem(url=u.strip(), title=t, published_on=parse_date(p), updated=p) for u, t, p in items if u]


def sitemap_items(xml: bytes) -> tuple[list[ListItem], list[str]]:
    """Page URLs of a sitemap, and the child sitemaps of a sitemap index."""
    root = _xml_root(xml)
    if root is None:
        return [], []
    pages, children = [], []
    for node in root:
        loc, lastmod = _child_text(node, "loc"), _child_text(node, "lastmod")
        if not loc:
            continue
        if _local(node) == "sitemap":
            children.append(loc.strip())
        elif _local(node) == "url":
            pages.append(ListItem(url=loc.strip(), published_on=parse_date(lastmod), updated=lastmod))
    return pages, children


def json_items(payload: Any, *, items_path: str, fields: Mapping[str, str], base_url: str) -> list[ListItem]:
    """Items of a JSON list API: `items_path` is a dotted path (`*` for every key), `fields` maps ours to theirs."""
    found = []
    for raw in _walk(payload, [p for p in items_path.split(".") if p]):
        if not isinstance(raw, dict):
            continue
        url = absolute(str(_get(raw, fields.get("url", "url")) or ""), base_url)
        if url is None:
            continue
        title = _clean(_get(raw, fields.get("title", "title")))
        published = _api_date(_get(raw, fields.get("published_on", "")))
        facts = {ours: _clean(_get(raw, theirs)) for ours, theirs in fields.items()
                 if ours not in ("url", "title", "published_on") and _get(raw, theirs) not in (None, "")}
        found.append(ListItem(url=url, title=title, published_on=published, facts=facts))
    return found


def load_json(text: str) -> Any:
    """JSON from an API body, tolerating a UTF-8 BOM and a JSONP wrapper `cb({...})`."""
    text = text.lstrip("\ufeff").strip()
    match = re.match(r"^[\w$.]+\((.*)\)\s*;?$", text, re.S)
    return json.loads(match[1] if match else text)


def _walk(node: Any, path: list[str]) -> Iterator[Any]:
    if not path:
        yield from (node if isinstance(node, list) else [node])
        return
    head, rest = path[0], path[1:]
    if head == "*":
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
        for child in children:
            yield from _walk(child, rest)
    elif isinstance(node, dict) and head in node:
        yield from _walk(node[head], rest)


def _get(raw: Mapping[str, Any], dotted: str) -> Any:
    value: Any = raw
    for part in dotted.split(".") if dotted else []:
        value = value.get(part) if isinstance(value, Mapping) else None
    return value if dotted else None


def _clean(value: Any) -> Any:
    return _TAGS.sub("", value).strip() if isinstance(value, str) else value


def _api_date(value: Any) -> date | None:
    """Dates as APIs give them: text in any list form, or epoch seconds / milliseconds."""
    if isinstance(value, int | float) and value > 0:
        seconds = value / 1000 if value > 10**11 else value
        return datetime.fromtimestamp(seconds, _BEIJING).date()
    return parse_date(str(value)) if value else None


def _xml_root(xml: bytes) -> Any:
    try:
        return etree.fromstring(xml.lstrip(), parser=_XML_PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None


def _local(node: Any) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _child_text(node: Any, name: str) -> str | None:
    for child in node:
        if _local(child) == name and child.text and child.text.strip():
            return str(child.text.strip())
    return None
