"""Discovery per source kind: walk lists, feeds, sitemaps and JSON APIs until known pages are reached."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from flows.fetch import Fetcher, FetchResult
from flows.sources import Source
from parsers.decode import decode_bytes
from parsers.listing import (
    ListItem,
    feed_items,
    html_links,
    json_items,
    load_json,
    next_page_url,
    pattern_page_url,
    sitemap_items,
    trs_total_pages,
)
from warehouse.frontier import FrontierState

Known = Callable[[list[str]], dict[str, FrontierState]]

# Presets for JSON list APIs the registry can name with `api:` (fields map ours -> theirs).
GOV_POLICY_LIBRARY = {
    # sousuo.www.gov.cn/search-gov/data (t=zhengcelibrary): items grouped by category under catMap.
    "items_path": ["searchVO.catMap.*.listVO", "searchVO.listVO"],
    "fields": {"url": "url", "title": "title", "published_on": "pubtimeStr", "issuer": "puborg",
               "doc_number": "pcode"},
    "page_param": "p",
    "params": {"t": "zhengcelibrary", "q": "", "timetype": "timeqb", "mintime": "", "maxtime": "", "sort": "pubtime",
               "sortType": "1", "searchfield": "title", "n": "20", "type": "gwyzcwjk"},
    "headers": {"Accept": "application/json, text/plain, */*",
                "Referer": "https://sousuo.www.gov.cn/zcwjk/policyDocumentLibrary"},
}
GKMLPT = {
    # Guangdong's gkmlpt platform: /gkmlpt/api/all/{column}?page=N&sid=SID, SID and columns read from /gkmlpt/index.
    "items_path": ["articles"],
    "fields": {"url": "url", "title": "title", "published_on": "created_at", "issuer": "publisher",
               "doc_number": "document_number", "index_number": "identifier"},
}
_GKMLPT_SID = re.compile(r"SID\s*:\s*['\"]?(\d+)")
_GKMLPT_TREE = re.compile(r"TREE\s*:\s*(\[.*?\])\s*,\s*\n", re.S)


@dataclass(slots=True)
class Discovery:
    """What a source's lists named this run."""

    items: list[ListItem] = field(default_factory=list)
    lists_read: int = 0
    error: str | None = None  # the source failed as a whole (its first list could not be read)
    _seen: set[str] = field(default_factory=set, repr=False)  # URLs of `items`: not rebuilt for every list page

    def add(self, found: list[ListItem]) -> int:
        """Add items not already found this run; returns how many were new to this run."""
        fresh = []
        for item in found:
            if item.url not in self._seen:
                self._seen.add(item.url)
                fresh.append(item)
        self.items.extend(fresh)
        return len(fresh)


async def discover(source: Source, fetcher: Fetcher, known: Known, *, backfill: bool) -> Discovery:
    """Walk a web source's lists; stop at the first list page whose links are all known (unless backfill)."""
    walkers = {"html-list": _html_list, "rss": _feed, "sitemap": _sitemap, "json-api": _json_api}
    discovery = Discovery()
    try:
        await walkers[source.kind](source, fetcher, known, backfill, discovery)
    except ValueError as exc:
        discovery.error = f"list could not be read: {exc}"
    return discovery


def _fail(discovery: Discovery, result: FetchResult) -> bool:
    """Record a list fetch failure; only the first list's failure fails the source."""
    if result.ok and result.body is not None:
        return False
    if discovery.lists_read == 0:
        discovery.error = result.error or f"HTTP {result.status}"
    return True


def _all_known(items: list[ListItem], known: Known) -> bool:
    states = known([i.url for i in items])
    return bool(items) and all(i.url in states and states[i.url].settled for i in items)


def _text(source: Source, result: FetchResult) -> str:
    return decode_bytes(result.body or b"", content_type=result.headers.get("content-type"),
                        forced=source.encoding).text


async def _html_list(source: Source, fetcher: Fetcher, known: Known, backfill: bool, discovery: Discovery) -> None:
    url: str | None = source.url
    pattern = source.options.get("page_url_pattern")
    headers = source.options.get("headers") or {}
    for page in range(1, source.max_pages + 1):
        if url is None:
            return
        result = await fetcher.get(url, headers=headers)
        if _fail(discovery, result):
            return
        discovery.lists_read += 1
        html = _text(source, result)
        items = html_links(html, base_url=result.final_url, selector=source.link_selector or "a")
        discovery.add(items)
        if not backfill and _all_known(items, known):
            return
        if page == 1 and not pattern and not source.next_selector:
            pattern = _trs_pattern(source.url, html)
        url = (next_page_url(html, base_url=result.final_url, selector=source.next_selector)
               if source.next_selector else pattern_page_url(pattern, page + 1) if pattern else None)


def _trs_pattern(url: str, html: str) -> str | None:
    """TRS-CMS lists: index.html, then index_1.html … when the page announces more than one page."""
    total = trs_total_pages(html)
    if not total or total < 2:
        return None
    parts = urlsplit(url)
    folder = parts.path if parts.path.endswith("/") else parts.path.rsplit("/", 1)[0] + "/"
    return urlunsplit((parts.scheme, parts.netloc, folder + "index_{n}.html", "", ""))


async def _feed(source: Source, fetcher: Fetcher, known: Known, backfill: bool, discovery: Discovery) -> None:
    result = await fetcher.get(source.url, headers=source.options.get("headers") or {})
    if _fail(discovery, result):
        return
    discovery.lists_read += 1
    discovery.add(feed_items(result.body or b""))


async def _sitemap(source: Source, fetcher: Fetcher, known: Known, backfill: bool, discovery: Discovery) -> None:
    queue = [source.url]
    while queue and discovery.lists_read < source.max_pages:
        result = await fetcher.get(queue.pop(0), headers=source.options.get("headers") or {})
        if _fail(discovery, result):
            continue
        discovery.lists_read += 1
        pages, children = sitemap_items(result.body or b"")
        discovery.add(pages)
        queue.extend(children)


async def _json_api(source: Source, fetcher: Fetcher, known: Known, backfill: bool, discovery: Discovery) -> None:
    preset = source.options.get("api")
    if preset == "gkmlpt":
        await _gkmlpt(source, fetcher, known, backfill, discovery)
        return
    spec = {**(GOV_POLICY_LIBRARY if preset == "gov-policy-library" else {}), **source.options}
    paths = spec.get("items_path") or [""]
    paths = [paths] if isinstance(paths, str) else paths
    for page in range(1, source.max_pages + 1):
        paging = {spec["page_param"]: str(page)} if spec.get("page_param") else {}
        params = {str(k): str(v) for k, v in (spec.get("params") or {}).items()} | paging
        if spec.get("method", "get").lower() == "post":  # form-encoded list APIs (CDE)
            items = await _json_page(source.url, spec, paths, fetcher, discovery, source, form=params)
        else:
            items = await _json_page(_with_params(source.url, params), spec, paths, fetcher, discovery, source)
        if items is None:
            return
        discovery.add(items)
        if not spec.get("page_param") or not items or (not backfill and _all_known(items, known)):
            return


async def _json_page(
    url: str, spec: dict[str, Any], paths: list[str], fetcher: Fetcher, discovery: Discovery, source: Source,
    form: dict[str, str] | None = None,
) -> list[ListItem] | None:
    result = await fetcher.get(url, headers=spec.get("headers") or {}, form=form)
    if _fail(discovery, result):
        return None
    discovery.lists_read += 1
    payload = load_json(_text(source, result))
    for path in paths:
        items = json_items(payload, items_path=path, fields=spec.get("fields") or {}, base_url=result.final_url)
        if items:
            return items
    return []


async def _gkmlpt(source: Source, fetcher: Fetcher, known: Known, backfill: bool, discovery: Discovery) -> None:
    parts = urlsplit(source.url)
    base = f"{parts.scheme}://{parts.netloc}"
    index = await fetcher.get(f"{base}/gkmlpt/index")
    if _fail(discovery, index):
        return
    discovery.lists_read += 1
    html = _text(source, index)
    sid = _GKMLPT_SID.search(html)
    if sid is None:
        discovery.error = "gkmlpt index has no SID: layout changed?"
        return
    columns = [str(c) for c in source.options.get("columns") or _gkmlpt_leaves(html)]
    for column in columns:
        for page in range(1, source.max_pages + 1):
            url = f"{base}/gkmlpt/api/all/{column}?page={page}&sid={sid[1]}"
            items = await _json_page(url, {**GKMLPT, "page_param": "page"}, GKMLPT["items_path"], fetcher,
                                     discovery, source)
            if not items:
                break
            discovery.add(items)
            if not backfill and _all_known(items, known):
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
