"""`policywatch sources check` and `sources try`: a source's first list now, or what it makes of a saved page.

Neither touches the warehouse.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace
from typing import Any

from flows.adapters.browser import Browser
from flows.adapters.fetch import Fetcher
from flows.adapters.fetch_modes import PageGetter, for_source
from flows.adapters.politeness import allowed_hosts, fetch_policy, host_policies
from flows.settings import Settings
from flows.sources import Source, load_sources
from flows.tasks import files_source
from flows.tasks.discover import ListPage, api_spec, discover, read_list
from parsers.errors import PolicyWatchError


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What one source yielded when probed."""

    name: str
    kind: str
    ok: bool
    links: int
    seconds: float
    detail: str


def probe_sources(settings: Settings) -> list[ProbeResult]:
    """Probe every enabled source; web sources concurrently, politely, one list page each."""
    sources = [s for s in load_sources(settings.sources) if s.enabled]
    files = [_probe_files(s) for s in sources if s.kind == "files"]
    web = [s for s in sources if s.kind != "files"]
    return files + (asyncio.run(_probe_web(web, settings)) if web else [])


def _probe_files(source: Source) -> ProbeResult:
    started = time.monotonic()
    try:
        found = len(files_source.discover(source))
    except PolicyWatchError as exc:
        return ProbeResult(source.name, source.kind, False, 0, time.monotonic() - started, str(exc))
    return ProbeResult(source.name, source.kind, True, found, time.monotonic() - started, "files found")


async def _probe_web(sources: list[Source], settings: Settings) -> list[ProbeResult]:
    async with (
        Fetcher(
            fetch_policy(settings, sources), allowed_hosts=allowed_hosts(sources), host_policies=host_policies(sources)
        ) as fetcher,
        Browser(fetcher) as browser,
    ):
        return list(await asyncio.gather(*(_probe_one(s, for_source(s, fetcher, browser)) for s in sources)))


async def _probe_one(source: Source, fetcher: PageGetter) -> ProbeResult:
    started = time.monotonic()
    found = await discover(replace(source, max_pages=1), fetcher, lambda urls: {}, backfill=False)
    detail = found.error or (f"first link: {found.items[0].url}" if found.items else "no links: layout changed?")
    if found.off_site and not found.error:
        detail += f" ({found.off_site} links to hosts it does not fetch skipped)"
    return ProbeResult(
        source.name, source.kind, found.error is None, len(found.items), time.monotonic() - started, detail
    )


@dataclass(frozen=True, slots=True)
class Tried:
    """What one source entry makes of a saved page: its list links, or the extracted record of a detail page."""

    source: Source
    url: str
    listed: ListPage | None = None
    record: dict[str, Any] | None = None
    why_detail: str | None = None  # why the page was read as a document, not as a list
    pagination: str | None = None  # how the walk would go on from this page, in words


def try_source(source: Source, data: bytes, *, url: str | None = None) -> Tried:
    """Run a source's discovery on a saved page; a page that is no list of it goes through the extractor."""
    page_url = url or source.url
    why = "a files source lists no pages" if source.kind == "files" else None
    if why is None:
        try:
            listed = read_list(source, data, url=page_url)
        except ValueError as exc:
            why = f"not readable as a {source.kind} of this source: {exc}"
        else:
            if listed.items or listed.off_site:
                return Tried(source, page_url, listed=listed, pagination=_pagination(source, listed))
            why = f"no links match this source's {_what_matches(source)}"
    return Tried(source, page_url, record=_extract(source, data, page_url), why_detail=why)


def _pagination(source: Source, listed: ListPage) -> str:
    """How the walk goes on: configured selector, pattern or API parameter first, then the page's own pager."""
    if source.next_selector:
        return f"next_selector {source.next_selector!r}"
    if source.options.get("page_url_pattern"):
        return f"page_url_pattern {source.options['page_url_pattern']}"
    if source.kind == "json-api":
        param = api_spec(source).get("page_param")
        return f"page parameter {param!r}, up to max_pages={source.max_pages}" if param else "one response"
    pager = listed.pager
    if pager is None:
        return "none found"
    total = f"{pager.total} pages in all; " if pager.total else ""
    return f"{pager.rule} pager, {total}next (up to max_pages={source.max_pages}): {', '.join(pager.pages) or 'none'}"


def _what_matches(source: Source) -> str:
    if source.kind == "html-list":
        return f"link_selector {source.link_selector or 'a'!r}"
    if source.kind == "json-api":
        return f"items_path {api_spec(source).get('items_path')!r}"
    return source.kind


def _extract(source: Source, data: bytes, url: str) -> dict[str, Any]:
    from flows.tasks.options import source_defaults
    from parsers.options import page_options
    from parsers.parse import parse_document

    return parse_document(data, page_options(url=url, source=source_defaults(source))).to_json()
