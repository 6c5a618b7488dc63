"""A whole nightly run over the saved real sites: every page a source names ends as a document or a reason.

Each site's host is mapped (POLICYWATCH_RESOLVE) to a server of its own on 127.0.0.1 that serves the saved
list, API and detail pages of tests/fixtures/real/<host>/ at their site paths; pages that were not saved
answer 404. The registry is seeds/sources.yaml itself, cut to the sources those pages verify.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import pytest
import yaml

from tests.conftest import FIXTURES, SEEDS
from tests.fixture_site import Response, Site, serve

pytestmark = [pytest.mark.usefixtures("prefect_server"), pytest.mark.slow]

REAL = FIXTURES / "real"


def saved_pages() -> list[dict[str, Any]]:
    """Every saved page with the URL it was saved from and what it should yield."""
    pages = []
    for sidecar in sorted(REAL.glob("*/*.*.json")):
        data = json.loads(sidecar.read_text(encoding="utf-8"))
        url = data.get("url") or data["provenance"]["url"]
        body = sidecar.with_name(sidecar.name.removesuffix(".json")).read_bytes()
        pages.append({"url": url, "body": body, "expect": data.get("expect", {})})
    return pages


PAGES = saved_pages()
# The sources the saved list pages verify; each walks its own saved page and fetches what it names.
SOURCES = sorted({p["expect"]["source"] for p in PAGES if "source" in p["expect"]})
DETAILS = [p for p in PAGES if "title" in p["expect"]]


def route_key(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def content_type(body: bytes) -> str:
    return "application/json; charset=utf-8" if body.lstrip()[:1] in (b"{", b"[") else "text/html"


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One nightly run of the real registry entries against the saved sites; its warehouse and servers."""
    from flows.ingest import nightly_ingest

    registry = yaml.safe_load((SEEDS / "sources.yaml").read_text(encoding="utf-8"))
    entries = [{**s, "delay_seconds": 0, "concurrency": 4} for s in registry["sources"] if s["name"] in SOURCES]
    sites: dict[str, Site] = {}
    for page in PAGES:
        host = urlsplit(page["url"]).hostname or ""
        site = sites.setdefault(host, Site())
        site.routes[route_key(page["url"])] = Response(
            page["body"], headers={"Content-Type": content_type(page["body"])}
        )
    for entry in entries:  # list and API pages are asked for by the entry's own URL (query and all)
        list_page = next(p for p in PAGES if p["expect"].get("source") == entry["name"])
        host = urlsplit(entry["url"]).hostname or ""
        sites.setdefault(host, Site()).routes[urlsplit(entry["url"]).path] = Response(
            list_page["body"], headers={"Content-Type": content_type(list_page["body"])}
        )
    folder = tmp_path_factory.mktemp("real-run")
    sources = folder / "sources.yaml"
    sources.write_text(yaml.safe_dump({"sources": entries}, allow_unicode=True), encoding="utf-8")
    with ExitStack() as stack, pytest.MonkeyPatch.context() as monkeypatch:
        running = {host: stack.enter_context(serve(site)) for host, site in sites.items()}
        resolve = ",".join(f"{host}={urlsplit(site.base).netloc}" for host, site in running.items())
        monkeypatch.setenv("POLICYWATCH_RESOLVE", resolve)
        monkeypatch.setenv("POLICYWATCH_HOME", str(folder / "home"))
        db = folder / "w.duckdb"
        result = nightly_ingest(str(sources), str(db))
        yield {"db": db, "result": result, "sites": running}


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_real_run_every_source_reads_its_saved_list(replay: dict[str, Any]) -> None:
    attempts = {a.source_name: a for a in replay["result"].attempts}
    assert sorted(attempts) == SOURCES
    assert {name: a.error for name, a in attempts.items() if not a.ok} == {}
    assert all(a.items > 0 for a in attempts.values())


def test_real_run_every_named_page_has_a_document_or_a_reason(replay: dict[str, Any]) -> None:
    rows = query(replay["db"], "SELECT url, outcome, doc_id, reason FROM pages")
    frontier = {url for (url,) in query(replay["db"], "SELECT url FROM frontier")}
    assert len(rows) == len({url for url, *_ in rows}) == len(frontier)  # every link named was fetched, once
    lost = [(url, outcome) for url, outcome, doc_id, reason in rows if doc_id is None and not (reason or "").strip()]
    assert lost == []


def test_real_run_unsaved_pages_say_why(replay: dict[str, Any]) -> None:
    reasons = {reason for (reason,) in query(replay["db"], "SELECT reason FROM pages WHERE doc_id IS NULL")}
    assert reasons == {"HTTP 404"}


@pytest.mark.parametrize("page", DETAILS, ids=lambda p: route_key(p["url"]).rsplit("/", 1)[-1])
def test_real_run_saved_detail_pages_load_as_documents(replay: dict[str, Any], page: dict[str, Any]) -> None:
    expect = page["expect"]
    named = query(replay["db"], "SELECT count(*) FROM pages WHERE url = ?", [page["url"]])
    if named == [(0,)]:
        pytest.skip("no saved list names this page")
    rows = query(
        replay["db"],
        "SELECT d.title, d.doc_number, d.published_on FROM pages p JOIN documents d USING (doc_id) WHERE p.url = ?",
        [page["url"]],
    )
    assert len(rows) == 1
    title, doc_number, published_on = rows[0]
    assert title == expect["title"]
    assert doc_number == expect.get("doc_number")
    assert str(published_on) == str(expect.get("published_on"))


def test_real_run_loads_the_saved_detail_pages_of_every_site(replay: dict[str, Any]) -> None:
    loaded = {
        urlsplit(url).hostname
        for (url,) in query(replay["db"], "SELECT p.url FROM pages p JOIN documents d USING (doc_id)")
    }
    assert loaded >= {"www.ndrc.gov.cn", "www.most.gov.cn", "www.csrc.gov.cn", "www.sasac.gov.cn", "www.gov.cn"}
