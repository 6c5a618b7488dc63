"""Each saved real list page replayed through its own entry of seeds/sources.yaml, over real HTTP.

The site's host is mapped to a server on 127.0.0.1 that serves the saved bytes at their site path
(POLICYWATCH_RESOLVE, as `policywatch run` would use it), and the entry's discovery must find exactly the
page's real article links. The pages and their expected values are in tests/fixtures/real/<host>/<file>.json.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from flows.adapters.fetch import Fetcher, HostPolicy
from flows.adapters.politeness import allowed_hosts, fetch_policy
from flows.settings import load_settings
from flows.sources import Source, find_source, load_sources
from flows.tasks.discover import Discovery, discover
from parsers.listing import ListItem
from tests.conftest import FIXTURES, SEEDS
from tests.fixture_site import Response, Site, serve

SIDECARS = sorted(
    p
    for p in (FIXTURES / "real").glob("*/*.*.json")
    if "source" in json.loads(p.read_text(encoding="utf-8")).get("expect", {})
)
REGISTRY = load_sources(SEEDS / "sources.yaml")
CONTACT = "policywatch-tests@example.org"


@pytest.fixture(scope="module", params=SIDECARS, ids=lambda p: f"{p.parent.name}/{p.name.removesuffix('.json')}")
def case(request: pytest.FixtureRequest) -> dict[str, Any]:
    sidecar: Path = request.param
    data = json.loads(sidecar.read_text(encoding="utf-8"))
    return {**data, "body": sidecar.with_name(sidecar.name.removesuffix(".json")).read_bytes()}


@pytest.fixture(scope="module")
def replayed(case: dict[str, Any]) -> Iterator[tuple[Site, Source, Discovery]]:
    """One walk per saved page, shared by the checks below."""
    url = case["provenance"]["url"]
    kind = "application/json" if url.endswith(".json") or case["body"].lstrip()[:1] in (b"{", b"[") else "text/html"
    site = Site(routes={urlsplit(url).path: Response(case["body"], headers={"Content-Type": kind})})
    entry = find_source(REGISTRY, case["expect"]["source"])
    # Page 2 of a list is asked for (and answered 404): the request shows where the walk would go on.
    source = replace(entry, url=url, max_pages=2 if entry.kind == "html-list" else 1)
    with serve(site), pytest.MonkeyPatch.context() as monkeypatch:
        address = urlsplit(site.base).netloc
        monkeypatch.setenv("POLICYWATCH_RESOLVE", ",".join(f"{host}={address}" for host in source.hosts))
        monkeypatch.setenv("POLICYWATCH_CONTACT", f"mailto:{CONTACT}")
        yield site, source, asyncio.run(walk(source))


async def walk(source: Source) -> Discovery:
    policy = fetch_policy(load_settings(), [source])
    quick = {host: HostPolicy(concurrency=2, delay_seconds=0) for host in source.hosts}
    async with Fetcher(policy, allowed_hosts=allowed_hosts([source]), host_policies=quick) as fetcher:
        return await discover(source, fetcher, lambda urls: {}, backfill=False)


def fields(item: ListItem) -> dict[str, Any]:
    published = item.published_on.isoformat() if isinstance(item.published_on, date) else None
    return {
        "url": item.url,
        "title": item.title,
        "published_on": published,
        **({"facts": dict(item.facts)} if item.facts else {}),
    }


def test_replay_finds_exactly_the_real_article_links(
    replayed: tuple[Site, Source, Discovery], case: dict[str, Any]
) -> None:
    _, _, found = replayed
    assert found.error is None
    assert len(found.items) == case["expect"]["links"]
    assert found.off_site == len(case["expect"].get("off_site", []))


def test_replay_first_and_last_link_with_title_and_date(
    replayed: tuple[Site, Source, Discovery], case: dict[str, Any]
) -> None:
    _, _, found = replayed
    first, last = fields(found.items[0]), fields(found.items[-1])
    assert {k: first.get(k) for k in case["expect"]["first"]} == case["expect"]["first"]
    assert {k: last.get(k) for k in case["expect"]["last"]} == case["expect"]["last"]


def test_replay_named_links_carry_their_title_and_date(
    replayed: tuple[Site, Source, Discovery], case: dict[str, Any]
) -> None:
    _, _, found = replayed
    by_url = {i.url: fields(i) for i in found.items}
    for spot in case["expect"].get("also", []):
        assert {k: by_url[spot["url"]].get(k) for k in spot} == spot


def test_replay_goes_on_to_the_page_the_pager_names(
    replayed: tuple[Site, Source, Discovery], case: dict[str, Any]
) -> None:
    site, source, _ = replayed
    asked = [path for _, path, _ in site.log if path != "/robots.txt"]
    following = case["expect"].get("next_page")
    assert asked[1:] == ([urlsplit(following).path] if following and source.kind == "html-list" else [])


def test_replay_requests_keep_the_site_host_and_our_contact(replayed: tuple[Site, Source, Discovery]) -> None:
    site, source, _ = replayed
    page = next(headers for _, path, headers in site.log if path != "/robots.txt")
    assert page["host"] == urlsplit(source.url).netloc
    assert page["from"] == CONTACT
    browser = source.headers.get("User-Agent")  # a source that must look like a browser says so
    assert page["user-agent"] == browser if browser else page["user-agent"].startswith("PolicyWatch/")
