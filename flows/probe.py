"""`policywatch sources check`: probe each source's first list now, without touching the warehouse."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace

from flows import files_source
from flows.discover import discover
from flows.fetch import Fetcher
from flows.politeness import allowed_hosts, fetch_policy, host_policies
from flows.settings import Settings
from flows.sources import Source, load_sources
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
    async with Fetcher(fetch_policy(settings, sources), allowed_hosts=allowed_hosts(sources),
                       host_policies=host_policies(sources)) as fetcher:
        return list(await asyncio.gather(*(_probe_one(s, fetcher) for s in sources)))


async def _probe_one(source: Source, fetcher: Fetcher) -> ProbeResult:
    started = time.monotonic()
    found = await discover(replace(source, max_pages=1), fetcher, lambda urls: {}, backfill=False)
    detail = found.error or (f"first link: {found.items[0].url}" if found.items else "no links: layout changed?")
    return ProbeResult(source.name, source.kind, found.error is None, len(found.items), time.monotonic() - started,
                       detail)
