"""Discovery from list pages, feeds, sitemaps and JSON list APIs: pure functions from text to items."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from itertools import islice
from typing import Any
from urllib.parse import quote, urldefrag, urljoin, urlsplit

from bs4 import BeautifulSoup, Tag
from bs4.element import NavigableString
from lxml import etree

from parsers.urls import without_userinfo

# Dates as list pages print them: 2026-03-27, 2026/03/27, 2026.03.27, 2026年3月27日.
_DATE = re.compile(r"(20\d{2}|19\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
# A text node that is a date and nothing else, brackets allowed: "[2025-12-18]", "(2025-10-14)".
_DATE_ONLY = re.compile(r"^[\s\[(（【]*" + _DATE.pattern + r"\s*日?[\s\])）】]*$")
# API dates without separators: 20260601, and epoch seconds (10 digits) or milliseconds (13 digits) as text.
_COMPACT_DATE = re.compile(r"^(20\d{2}|19\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$")
_EPOCH = re.compile(r"^\d{10}(\d{3})?$")
# Markup inside API titles: search highlights (<em>生物</em>) go, a line break (<br/>) between a title's
# parts becomes a space. A tag opens with a letter: <证券法> in a title is text.
_TAGS = re.compile(r"</?[A-Za-z][^<>]*>")
_BREAK = re.compile(r"<br\s*/?>", re.I)
# Any run of whitespace, the full-width space and the no-break space included: one space in a title.
_SPACES = re.compile(r"[\s\u3000\xa0]+")
# Link text cut short by the CMS: "…", "...", "。。。" at the end.
_CUT = re.compile(r"(…|\.{2,}|。{2,}|⋯)\s*$")
# Placeholders of a URL template in a JSON API's `fields`: {docId}, {data.id}.
_PLACEHOLDER = re.compile(r"\{([\w.]+)\}")
# The number a detail URL ends in (t20260409_1404577.html, content_7082493.htm, c3217074/content.shtml).
_URL_NUMBER = re.compile(r"(\d+)\D*$")
# A "<" that cannot open a tag is text (HTML5): lxml would drop 《关于修改<证券登记结算管理办法>…》 as a tag.
_STRAY_LT = re.compile(r"<(?![A-Za-z/!?])")
# Rows of a list: one article each. Rows nested in a row (NDRC's 相关解读 popups) belong to that row.
_ROW_TAGS = ("li", "tr")
# A row's other links are its buttons and tags (下载文字版, [国务院文件], 解读) unless their titles are this long.
_ARTICLE_TITLE = 12
# Containers below a row whose text is not the row's own (a nested list of related links).
_NESTED = frozenset({"ul", "ol", "table", "li", "tr", "script", "style"})
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


@dataclass(frozen=True, slots=True, kw_only=True)
class Pager:
    """Where a list goes on, as the page itself says."""

    rule: str  # which pager rule read it
    pages: tuple[str, ...]  # URLs of the following list pages, in reading order (as many as asked for)
    total: int | None = None  # pages in all, when the pager says


@dataclass(frozen=True, slots=True)
class _PagerRule:
    """A pager script: `call` names the file (groups name/prefix, ext, current, total); `total` when apart."""

    name: str
    call: re.Pattern[str]
    total: re.Pattern[str] | None = None  # the largest value it finds wins (scripts set 0 first)
    countdown: bool = False  # files numbered from the last page back: page 2 is PREFIX_{TOTAL-1}


def _pager_call(*args: str) -> re.Pattern[str]:
    """createPageHTML(…) with these arguments: `name` a number, `'name'` a string, `''` a string not kept."""
    number, string = r"\s*(?P<{}>\d+)\s*", r"\s*['\"](?P<{}>[\w-]+)['\"]\s*"
    parts = [
        string.format(a.strip("'") or f"skip{i}") if a.startswith("'") else number.format(a) for i, a in enumerate(args)
    ]
    return re.compile(r"createPageHTML\(" + ",".join(parts))


# Pager scripts of the CMS families seen (shared/docs/sources-reference.md), first match wins.
_PAGERS = (
    # TRS-CMS (NDRC, MOST, many provinces): createPageHTML(TOTAL, CURRENT, "index", "html"); CURRENT counts
    # from 0 and page k is index_{k-1}.html.
    _PagerRule("trs", _pager_call("total", "current", "'name'", "'ext'")),
    # CSRC's variant names its target div first and the record count last:
    # createPageHTML('page_div', TOTAL, CURRENT, 'fg', 'shtml', RECORDS). CURRENT is 1 on the first page,
    # so the file of page k carries k (fg_2.shtml …), as TRS's carries its CURRENT.
    _PagerRule("trs-div", _pager_call("''", "total", "current", "'name'", "'ext'")),
    # The TRS template "var currentPage = 0;//所在页从0开始 … var countPage = N": index_1.html … like TRS.
    _PagerRule("trs-countpage", re.compile(r"\bcountPage\s*=\s*(?P<total>\d+)")),
    # SASAC's CMS: var purl="../index_2603340"; maxPageNum = 16. Its static pages count down so that old
    # pages keep their names: page 2 is index_2603340_15.html, the last (oldest) index_2603340_1.html.
    _PagerRule(
        "countdown",
        re.compile(r"\bpurl\s*=\s*['\"](?P<prefix>[^'\"]+)['\"]"),
        total=re.compile(r"\bmaxPageNum\s*=\s*(\d+)"),
        countdown=True,
    ),
)
# Text of a plain "next page" link, when the pager is HTML (NMPA: <a href="index_1.html">下一页</a>).
_NEXT_TEXTS = frozenset({"下一页", "下页", "后一页", "下一頁", "next", "next page", "›", "»"})
# "共1,227页": the page count an HTML pager prints.
_PAGE_COUNT = re.compile(r"共\s*([\d,]+)\s*页")


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


def squash(text: str | None) -> str | None:
    """A title as one line: markup dropped (a <br/> becomes a space), every whitespace run one space."""
    if text is None:
        return None
    return _SPACES.sub(" ", _TAGS.sub("", _BREAK.sub(" ", text))).strip() or None


def absolute(url: str, base: str) -> str | None:
    """A link resolved against its page, without fragment or credentials; None for javascript:, mailto: and the like."""
    url = (url or "").strip()
    if not url or url.lower().startswith(("javascript:", "mailto:", "tel:", "#")):
        return None
    resolved = without_userinfo(urldefrag(urljoin(base, url))[0])  # user:pw@ is never sent nor stored
    return resolved if urlsplit(resolved).scheme in ("http", "https") else None


def html_links(html: str, *, base_url: str, selector: str, exclude: str | None = None) -> list[ListItem]:
    """Article links of a list page: `selector` picks anchors (or rows holding them).

    Links inside `exclude` are never articles. A row's own link is taken, not those of a list nested in
    it (related 解读 popups), nor its buttons and tags (下载文字版, [通知]): of a row's links with short
    titles only the fullest counts. A link to a PDF or other file is an article like any other.
    """
    soup = _soup(html)
    excluded = {id(a) for node in soup.select(exclude) for a in _anchors(node)} if exclude else set()
    anchors = [a for node in soup.select(selector) for a in _anchors(node) if id(a) not in excluded]
    rows = {id(a): _row(a) for a in anchors}
    row_ids = {id(row) for row in rows.values() if row is not None}
    by_row: dict[int, list[tuple[Tag, str | None, str]]] = {}  # row (or lone anchor) -> its links
    for anchor in anchors:
        row = rows[id(anchor)]
        url = absolute(str(anchor.get("href") or ""), base_url)
        if url is not None and not (row is not None and _nested(row, row_ids)):
            by_row.setdefault(id(row) if row is not None else id(anchor), []).append(
                (anchor, _anchor_title(anchor), url)
            )
    items: dict[str, ListItem] = {}
    for links in by_row.values():
        for anchor, title, url in _row_articles(links):
            if url not in items:
                published = _row_date(rows[id(anchor)] or anchor.parent, anchor)
                items[url] = ListItem(url=url, title=title, published_on=published)
    return list(items.values())


def _row_articles(links: list[tuple[Tag, str | None, str]]) -> list[tuple[Tag, str | None, str]]:
    """A row's article links: the fullest titled one, and any other with a title long enough to be an
    article's (a layout table may hold several articles in one row), in page order."""
    best = max(links, key=lambda link: len(link[1] or ""))
    return [link for link in links if link is best or len(link[1] or "") >= _ARTICLE_TITLE]


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(_STRAY_LT.sub("&lt;", html), "lxml")


def _anchors(node: Tag) -> list[Tag]:
    return [node] if node.name == "a" else node.find_all("a")


def _row(anchor: Tag) -> Tag | None:
    parent = anchor.find_parent(_ROW_TAGS)
    return parent if isinstance(parent, Tag) else None


def _nested(row: Tag, rows: set[int]) -> bool:
    """A row inside another row that holds a selected link: its links are that row's related links."""
    return any(id(parent) in rows for parent in row.parents)


def _anchor_title(anchor: Tag) -> str | None:
    """The fuller of title= and the link text: a CMS cuts long text with `…` and keeps it whole in title=."""
    candidates = [t for t in (squash(str(anchor.get("title") or "")), squash(anchor.get_text(" "))) if t]
    whole = [t for t in candidates if not _CUT.search(t)]
    return whole[0] if whole else max(candidates, key=len, default=None)


def _row_date(row: Tag | None, anchor: Tag) -> date | None:
    """The row's date: in its text outside the link (and outside nested lists), else a date-only node in the link.

    A date inside the title itself (a 公布 date in CSRC's sub-titles) is not the row's date.
    """
    if row is None:
        return None
    outside = " ".join(_own_strings(row, anchor))
    found = parse_date(outside) if _DATE.search(outside) else None
    if found:
        return found
    inside = (s for s in anchor.strings if _DATE_ONLY.match(s))
    return parse_date(next(inside, None))


def _own_strings(node: Tag, anchor: Tag) -> Iterator[str]:
    """Text of a row outside its link and outside anything nested in it (lists, scripts)."""
    for child in node.children:
        if isinstance(child, Tag):
            if child is not anchor and child.name not in _NESTED:
                yield from _own_strings(child, anchor)
        elif type(child) is NavigableString:  # not a comment, script text or CDATA
            yield str(child)


def next_page_url(html: str, *, base_url: str, selector: str) -> str | None:
    """The URL of the next list page named by a pagination link, if any."""
    node = _soup(html).select_one(selector)
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
    """Total pages announced by a TRS-CMS pager script, if present (find_pager reads every kind of pager)."""
    match = _PAGERS[0].call.search(html)
    return int(match["total"]) if match else None


def find_pager(html: str, *, base_url: str, limit: int) -> Pager | None:
    """The list's own pager: a pager script (all following pages), else an HTML "next" link."""
    return _script_pager(html, base_url, limit) or _link_pager(html, base_url)


def _script_pager(html: str, base_url: str, limit: int) -> Pager | None:
    for rule in _PAGERS:
        match = rule.call.search(html)
        if match is None:
            continue
        found = match.groupdict()
        totals = [int(t) for t in rule.total.findall(html)] if rule.total else [int(found["total"])]
        total = max(totals, default=0)
        stem, ext = _file_name(base_url)
        prefix = found.get("prefix") or found.get("name") or stem
        ext = found.get("ext") or ext
        first = int(found.get("current") or 0)
        numbers = range(total - 1, 0, -1) if rule.countdown else range(first + 1, first + total)
        pages = tuple(urljoin(base_url, f"{prefix}_{n}.{ext}") for n in islice(numbers, max(limit, 0)))
        return Pager(rule=rule.name, pages=pages, total=total)
    return None


def _file_name(url: str) -> tuple[str, str]:
    """Stem and extension of a list page's file (a folder URL serves index.html)."""
    name = urlsplit(url).path.rsplit("/", 1)[-1] or "index.html"
    stem, _, ext = name.rpartition(".")
    return (stem, ext) if stem else (name, "html")


def _link_pager(html: str, base_url: str) -> Pager | None:
    soup = _soup(html)
    for anchor in soup.find_all("a"):
        if anchor.get_text(strip=True).lower() in _NEXT_TEXTS:
            url = absolute(str(anchor.get("href") or ""), base_url)
            if url and url != base_url:
                count = _PAGE_COUNT.search(soup.get_text(" "))
                return Pager(rule="next-link", pages=(url,), total=int(count[1].replace(",", "")) if count else None)
    return None


OrderKey = tuple[int, Any]


def newest_first(items: Iterable[ListItem], after: OrderKey | None = None) -> tuple[bool, OrderKey | None]:
    """Whether items continue a newest-first order, and the order key to continue from.

    The key is the date when every item has one, else the number the URL ends in; an item with neither
    proves nothing, so the list is not known to be sorted. Keys never mix: dates vs numbers start apart.
    """
    last = after
    for item in items:
        key = _order_key(item)
        if key is None or (last is not None and (key[0] != last[0] or key > last)):
            return False, None
        last = key
    return True, last


def _order_key(item: ListItem) -> OrderKey | None:
    if item.published_on is not None:
        return (0, item.published_on)
    match = _URL_NUMBER.search(urlsplit(item.url).path)
    return (1, int(match[1])) if match else None


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
    """Items of a JSON list API: `items_path` is a dotted path (`*` for every key), `fields` maps ours to theirs.

    `fields.url_template` builds the URL from item values when the API gives only an id:
    `https://www.nfra.gov.cn/cbircweb/DocInfo/SelectByDocId?docId={docId}`.
    """
    found = []
    template = fields.get("url_template")
    for raw in _walk(payload, [p for p in items_path.split(".") if p]):
        if not isinstance(raw, dict):
            continue
        link = _fill(template, raw) if template else str(_get(raw, fields.get("url", "url")) or "")
        url = absolute(link or "", base_url)
        if url is None:
            continue
        title = squash(_text_or_none(_get(raw, fields.get("title", "title"))))
        published = _api_date(_get(raw, fields.get("published_on", "")))
        facts = {
            ours: _clean(_get(raw, theirs))
            for ours, theirs in fields.items()
            if ours not in _ITEM_FIELDS and _get(raw, theirs) not in (None, "")
        }
        found.append(ListItem(url=url, title=title, published_on=published, facts=facts))
    return found


_ITEM_FIELDS = frozenset({"url", "url_template", "title", "published_on"})  # the rest of `fields` are facts


def _fill(template: str, raw: Mapping[str, Any]) -> str | None:
    """A URL template filled from an item; None when a value it names is missing."""
    values = {name: _get(raw, name) for name in _PLACEHOLDER.findall(template)}
    if any(v in (None, "") for v in values.values()):
        return None
    return _PLACEHOLDER.sub(lambda m: quote(str(values[m[1]]), safe=""), template)


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


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
    return squash(value) or "" if isinstance(value, str) else value


def _api_date(value: Any) -> date | None:
    """Dates as APIs give them: text in any list form, 20260601, or epoch seconds / milliseconds (number or text)."""
    if isinstance(value, str) and (_EPOCH.match(value.strip()) or _COMPACT_DATE.match(value.strip())):
        compact = _COMPACT_DATE.match(value.strip())
        if compact:
            return date(int(compact[1]), int(compact[2]), int(compact[3]))
        value = int(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
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
        if _local(child) == name and (text := _whole_text(child).strip()):
            return text
    return None


def _whole_text(element: Any) -> str:
    """An element's text with its entity references: entities are never resolved (XXE), so an undeclared or
    external one is a node of its own and `.text` stops before it (sm-&xxe;.html read as sm-). An HTML entity
    (&nbsp;) becomes its character; any other stays as written."""
    parts = [element.text or ""]
    for sub in element:
        parts.append(html.unescape(sub.text or "") if isinstance(sub, etree._Entity) else "".join(sub.itertext()))
        parts.append(sub.tail or "")
    return "".join(parts)
