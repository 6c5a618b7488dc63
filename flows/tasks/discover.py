"""Discovery per source kind: walk lists, feeds, sitemaps and JSON APIs until known pages are reached."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from flows.adapters.fetch import FetchResult
from flows.adapters.fetch_modes import PageGetter
from flows.sources import Source
from parsers.decode import decode_bytes
from parsers.listing import (
    ListItem,
    OrderKey,
    Pager,
    feed_items,
    find_pager,
    html_links,
    json_items,
    load_json,
    newest_first,
    next_page_url,
    pattern_page_url,
    sitemap_items,
)
from parsers.run import FrontierState
from parsers.urls import in_scope

Known = Callable[[list[str]], dict[str, FrontierState]]

# Presets for JSON list APIs the registry can name with `api:` (fields map ours -> theirs).
GOV_POLICY_LIBRARY = {
    # sousuo.www.gov.cn/search-gov/data (t=zhengcelibrary): items grouped by category under catMap.
    "items_path": ["searchVO.catMap.*.listVO", "searchVO.listVO"],
    "fields": {"url": "url", "title": "title", "published_on": "pubtimeStr", "issuer": "puborg", "doc_number": "pcode"},
    "page_param": "p",
    "params": {
        "t": "zhengcelibrary",
        "q": "",
        "timetype": "timeqb",
        "mintime": "",
        "maxtime": "",
        "sort": "pubtime",
        "sortType": "1",
        "searchfield": "title",
        "n": "20",
        "type": "gwyzcwjk",
    },
    "headers": {
        "Accept": "application/json, text/plain, */*",
        "Referer": "https://sousuo.www.gov.cn/zcwjk/policyDocumentLibrary",
    },
}
GKMLPT = {
    # Guangdong's gkmlpt platform: /gkmlpt/api/all/{column}?page=N&sid=SID, SID and columns read from /gkmlpt/index.
    "items_path": ["articles"],
    "fields": {
        "url": "url",
        "title": "title",
        "published_on": "created_at",
        "issuer": "publisher",
        "doc_number": "document_number",
        "index_number": "identifier",
    },
}
PRESETS = {"gov-policy-library": GOV_POLICY_LIBRARY, "gkmlpt": GKMLPT}
_GKMLPT_SID = re.compile(r"SID\s*:\s*['\"]?(\d+)")
_GKMLPT_TREE = re.compile(r"TREE\s*:\s*(\[.*?\])\s*,\s*\n", re.S)


@dataclass(frozen=True, slots=True)
class ListPage:
    """What one list page, feed, sitemap or API response holds for a source."""

    items: list[ListItem]
    off_site: list[ListItem] = field(default_factory=list)  # links to hosts the source does not fetch
    pager: Pager | None = None
    children: list[str] = field(default_factory=list)  # child sitemaps of a sitemap index


@dataclass(slots=True)
class Discovery:
    """What a source's lists named this run."""

    items: list[ListItem] = field(default_factory=list)
    lists_read: int = 0
    error: str | None = None  # the source failed as a whole (its first list could not be read)
    off_site: int = 0  # links skipped: on hosts the source does not name
    newest_first: bool = True  # the items so far prove the list newest first (an early stop is safe)
    _seen: set[str] = field(default_factory=set, repr=False)  # URLs of `items`: not rebuilt for every list page
    _last: OrderKey | None = field(default=None, repr=False)

    def add(self, found: list[ListItem]) -> int:
        """Add items not already found this run; returns how many were new to this run."""
        fresh = []
        for item in found:
            if item.url not in self._seen:
                self._seen.add(item.url)
                fresh.append(item)
        self.items.extend(fresh)
        if self.newest_first:
            self.newest_first, self._last = newest_first(fresh, self._last)
        return len(fresh)

    def take(self, page: ListPage) -> None:
        """Add what a list page holds."""
        self.lists_read += 1
        self.off_site += len(page.off_site)
        self.add(page.items)


async def discover(source: Source, fetcher: PageGetter, known: Known, *, backfill: bool) -> Discovery:
    """Walk a web source's lists; stop early only where no new link can follow (see `_can_stop`)."""
    walkers = {"html-list": _html_list, "rss": _feed, "sitemap": _sitemap, "json-api": _json_api}
    discovery = Discovery()
    try:
        await walkers[source.kind](source, fetcher, known, backfill, discovery)
    except ValueError as exc:
        discovery.error = f"list could not be read: {exc}"
    return discovery


def read_list(source: Source, body: bytes, *, url: str, content_type: str | None = None) -> ListPage:
    """The links one list page (feed, sitemap, API response) of `source` holds; ValueError if it is unreadable."""
    if source.kind == "rss":
        return _on_site(source, feed_items(body))
    if source.kind == "sitemap":
        pages, children = sitemap_items(body)
        return _on_site(source, pages, children=children)
    text = decode_bytes(body, content_type=content_type, forced=source.encoding).text
    if source.kind == "json-api":
        return _on_site(source, _api_items(api_spec(source), load_json(text), url))
    configured = source.next_selector or source.options.get("page_url_pattern")
    pager = None if configured else find_pager(text, base_url=url, limit=source.max_pages - 1)
    links = html_links(text, base_url=url, selector=source.link_selector or "a", exclude=source.exclude_selector)
    return _on_site(source, links, pager=pager)


def api_spec(source: Source) -> dict[str, Any]:
    """A JSON API source's settings: its preset under its own keys; headers of both."""
    preset: dict[str, Any] = PRESETS.get(str(source.options.get("api")), {})
    spec = {**preset, **source.options}
    spec["headers"] = {**preset.get("headers", {}), **source.headers}
    return spec


def _on_site(source: Source, items: list[ListItem], **more: Any) -> ListPage:
    """Links on the source's own hosts; the rest could not be fetched, so they are counted, not taken."""
    scope = source.scope  # origins: another port of the source's host is another server, not the site
    mine: list[ListItem] = []
    foreign: list[ListItem] = []
    for item in items:
        (mine if in_scope(item.url, scope) else foreign).append(item)
    return ListPage(items=mine, off_site=foreign, **more)


def _api_items(spec: dict[str, Any], payload: Any, url: str) -> list[ListItem]:
    paths = spec.get("items_path") or [""]
    for path in [paths] if isinstance(paths, str) else paths:
        items = json_items(payload, items_path=path, fields=spec.get("fields") or {}, base_url=url)
        if items:
            return items
    return []


def _fail(discovery: Discovery, result: FetchResult) -> bool:
    """Record a list fetch failure; only the first list's failure fails the source."""
    if result.ok and result.body is not None:
        return False
    if discovery.lists_read == 0:
        discovery.error = result.error or f"HTTP {result.status}"
    return True


def _can_stop(page: ListPage, discovery: Discovery, known: Known, backfill: bool) -> bool:
    """Stop at a page whose links are all known, if the list has shown itself newest first.

    Only then can no new link hide further on. CSRC, NFRA and SASAC lists are not in date order, and a
    list without dates or increasing URL numbers proves nothing: those are walked to `max_pages`.
    """
    if backfill or not discovery.newest_first or not page.items:
        return False
    states = known([i.url for i in page.items])
    return all(i.url in states and states[i.url].settled for i in page.items)


async def _html_list(source: Source, fetcher: PageGetter, known: Known, backfill: bool, discovery: Discovery) -> None:
    url: str | None = source.url
    planned: list[str] = []  # the following pages, when page 1's pager script names them all
    visited: set[str] = set()
    for page in range(1, source.max_pages + 1):
        if url is None or url in visited:
            return
        visited.add(url)
        result = await fetcher.get(url, headers=source.headers)
        if _fail(discovery, result):
            return
        listed = read_list(
            source, result.body or b"", url=result.final_url, content_type=result.headers.get("content-type")
        )
        discovery.take(listed)
        if _can_stop(listed, discovery, known, backfill):
            return
        if page == 1 and listed.pager is not None and listed.pager.rule != "next-link":
            planned = list(listed.pager.pages)
        url = _next_list(source, result, listed, page, planned)


def _next_list(source: Source, result: FetchResult, listed: ListPage, page: int, planned: list[str]) -> str | None:
    """The list page after `page`: configured selector or pattern first, then the page's own pager."""
    if source.next_selector:
        html = decode_bytes(
            result.body or b"", content_type=result.headers.get("content-type"), forced=source.encoding
        ).text
        return next_page_url(html, base_url=result.final_url, selector=source.next_selector)
    pattern = source.options.get("page_url_pattern")
    if pattern:
        return pattern_page_url(str(pattern), page + 1)
    if listed.pager is not None and listed.pager.rule == "next-link":
        return listed.pager.pages[0]
    return planned[page - 1] if page - 1 < len(planned) else None


async def _feed(source: Source, fetcher: PageGetter, known: Known, backfill: bool, discovery: Discovery) -> None:
    result = await fetcher.get(source.url, headers=source.headers)
    if _fail(discovery, result):
        return
    discovery.take(read_list(source, result.body or b"", url=result.final_url))


async def _sitemap(source: Source, fetcher: PageGetter, known: Known, backfill: bool, discovery: Discovery) -> None:
    queue = [source.url]
    while queue and discovery.lists_read < source.max_pages:
        result = await fetcher.get(queue.pop(0), headers=source.headers)
        if _fail(discovery, result):
            continue
        listed = read_list(source, result.body or b"", url=result.final_url)
        discovery.take(listed)
        queue.extend(listed.children)


async def _json_api(source: Source, fetcher: PageGetter, known: Known, backfill: bool, discovery: Discovery) -> None:
    if source.options.get("api") == "gkmlpt":
        await _gkmlpt(source, fetcher, known, backfill, discovery)
        return
    spec = api_spec(source)
    for page in range(1, source.max_pages + 1):
        paging = {spec["page_param"]: str(page)} if spec.get("page_param") else {}
        params = {str(k): str(v) for k, v in (spec.get("params") or {}).items()} | paging
        before = len(discovery.items)
        if spec.get("method", "get").lower() == "post":  # form-encoded list APIs (CDE)
            listed = await _json_page(source, source.url, spec["headers"], fetcher, discovery, form=params)
        else:
            listed = await _json_page(source, _with_params(source.url, params), spec["headers"], fetcher, discovery)
        if listed is None:
            return
        repeated = len(discovery.items) == before  # an API that ignores the page parameter answers page 1 again
        if not spec.get("page_param") or repeated or _can_stop(listed, discovery, known, backfill):
            return


async def _json_page(
    source: Source,
    url: str,
    headers: dict[str, str],
    fetcher: PageGetter,
    discovery: Discovery,
    form: dict[str, str] | None = None,
) -> ListPage | None:
    result = await fetcher.get(url, headers=headers, form=form)
    if _fail(discovery, result):
        return None
    listed = read_list(
        source, result.body or b"", url=result.final_url, content_type=result.headers.get("content-type")
    )
    discovery.take(listed)
    return listed


async def _gkmlpt(source: Source, fetcher: PageGetter, known: Known, backfill: bool, discovery: Discovery) -> None:
    parts = urlsplit(source.url)
    base = f"{parts.scheme}://{parts.netloc}"
    index = await fetcher.get(f"{base}/gkmlpt/index", headers=source.headers)
    if _fail(discovery, index):
        return
    discovery.lists_read += 1
    html = decode_bytes(index.body or b"", content_type=index.headers.get("content-type"), forced=source.encoding).text
    sid = _GKMLPT_SID.search(html)
    if sid is None:
        discovery.error = "gkmlpt index has no SID: layout changed?"
        return
    columns = [str(c) for c in source.options.get("columns") or _gkmlpt_leaves(html)]
    for column in columns:
        for page in range(1, source.max_pages + 1):
            url = f"{base}/gkmlpt/api/all/{column}?page={page}&sid={sid[1]}"
            listed = await _json_page(source, url, api_spec(source)["headers"], fetcher, discovery)
            if listed is None or not listed.items or _can_stop(listed, discovery, known, backfill):
                break


def _gkmlpt_leaves(html: str) -> list[int]:
    """Leaf column ids of the gkmlpt TREE (nodes with a jump_url point elsewhere and are skipped)."""
    match = _GKMLPT_TREE.search(html)
    if match is None:
        return []
    try:
        tree = json.loads(match[1])
    except json.JSONDecodeError:
        return []
    leaves: list[int] = []

    def walk(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            if node.get("jump_url"):
                continue
            if node.get("children"):
                walk(node["children"])
            elif "id" in node:
                leaves.append(int(node["id"]))

    walk(tree)
    return leaves


def _with_params(url: str, params: dict[str, str]) -> str:
    if not params:
        return url
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
