"""`fetch: browser | render` through the real nightly flow: loopback sites behind JavaScript challenges.

Two runs over the same sites (one module fixture, one browser launch): every source plain, with Chromium
missing for the one browser source; then the challenged sources in browser mode and the scripted list in
render mode. Skipped without Debian's chromium (`make test` installs it).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import psutil
import pytest

from flows.adapters.browser import MISSING, chromium_path
from flows.adapters.loopback_challenge import Guard
from tests.fixture_site import Response, Site, article, list_page, serve, write_registry
from tests.pdfmaker import make_cjk_pdf

pytestmark = [
    pytest.mark.skipif(chromium_path() is None, reason="Debian chromium not installed (make test installs it)"),
    pytest.mark.usefixtures("prefect_server"),
]
REPO = Path(__file__).resolve().parents[1]
TOPICS = ("抗体药物临床试验", "疫苗批签发", "医疗器械注册", "基因治疗产品", "中药饮片炮制", "细胞治疗备案")
HTML = {"Content-Type": "text/html; charset=utf-8"}


GUIDE_PDF = make_cjk_pdf([["抗体药物临床试验技术指南", "为规范抗体药物临床试验，制定本指南。"]])
# The render site's articles finish their text by script.
INSERTED = "<script>document.querySelector('.TRS_Editor').insertAdjacentHTML('beforeend', '<p>附：脚本插入的段落。</p>')</script>"


def doc(letter: str, n: int) -> Response:
    """A distinct article per site and number (the render site's end in a script that adds a paragraph)."""
    topic = TOPICS[(ord(letter) + n) % len(TOPICS)]
    title = f"国家药监局关于{topic}有关事项的公告（{letter.upper()}站第{n}号）"
    text = f"<p>为规范{topic}管理，{letter.upper()}站现就第{n}号事项公告如下。</p><p>一、{TOPICS[n % 6]}。二、自{n}月起施行。</p>"
    if (letter, n) == ("a", 1):  # a file behind the same challenge: the attachment stage needs the cookie too
        text += '<p>附件：<a href="files/a1.pdf">抗体药物临床试验技术指南.pdf</a></p>'
    page = article(title, text, f"2026-11-{n:02d}")
    if letter == "c":
        page = page.replace(b"</body>", INSERTED.encode() + b"</body>")
    return Response(page, headers=HTML)


def listing(letter: str, count: int) -> Response:
    links = [(f"art/{n}.html", f"{letter}-{n}", f"2026-11-{n:02d}") for n in range(count, 0, -1)]
    return Response(list_page(links, None), headers=HTML)


# The render site's list: empty until its script fetches the items and inserts them; an image (blocked) and a
# script of an origin no source names (never requested).
SCRIPTED = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>通知公告</title></head><body>
<ul class="u-list"></ul><img src="/logo.png"><script src="{outsider}/evil.js"></script><iframe src="/c/away"></iframe>
<script>fetch('/c/items.json').then(r => r.json()).then(items => {{
  const ul = document.querySelector('ul.u-list');
  for (const i of items) {{ const li = document.createElement('li'); const a = document.createElement('a');
    a.href = i.href; a.textContent = i.title; li.appendChild(a); ul.appendChild(li); }} }});</script></body></html>"""


@dataclass
class Sites:
    a: Site  # 412 + `$_ts` script that computes a cookie and reloads (NMPA, NHC)
    b: Site  # 202 + a cookie-and-reload script
    c: Site  # a list whose items a script inserts (render)
    d: Site  # a POST JSON API that wants the token the list page's script makes (CDE)
    e: Site  # an ordinary site
    outsider: Site  # an origin no source names
    guards: dict[str, Guard]


def cde_api(site: Site, handler: object) -> Response:
    """CDE's list API answer (sources-reference §6): records whose externalLinks are the detail pages."""
    records = [
        {"title": f"d-{n}", "externalLinks": site.url(f"/detail/{n}.html"), "issueDate": f"2026-11-0{n}"}
        for n in (1, 2)
    ]
    return Response(json.dumps({"data": {"records": records}}).encode(), headers={"Content-Type": "application/json"})


def build(outsider: Site) -> tuple[list[Site], dict[str, Guard]]:
    """Sites a to e (see Sites) and the guards of the challenged ones."""
    ga, gb, gd = (
        Guard("aSVoELocvxVW0S", 7919, 412, "ts"),
        Guard("bwzws_cid", 104729, 202, "reload"),
        Guard("dFSSBBIl1UgzbN7N80S", 1299709, 202, "ts"),
    )
    robots = Response(b"User-agent: *\nDisallow: /private/\n")
    a = Site(routes={"/list/index.html": ga(listing("a", 3)), "/other/index.html": ga(listing("a", 1))})
    a.routes |= {f"/list/art/{n}.html": ga(doc("a", n)) for n in range(1, 4)} | {"/other/art/1.html": ga(doc("o", 1))}
    a.routes["/list/art/files/a1.pdf"] = ga(Response(GUIDE_PDF, headers={"Content-Type": "application/pdf"}))
    b = Site(routes={"/b/index.html": gb(listing("b", 2))} | {f"/b/art/{n}.html": gb(doc("b", n)) for n in (1, 2)})
    c = Site(
        routes={
            "/start": Response(b"", 302, {"Location": "/c/index.html"}),  # the links are relative to the list
            "/c/index.html": Response(SCRIPTED.format(outsider=outsider.base).encode(), headers=HTML),
            "/c/items.json": Response(
                json.dumps([{"href": f"art/{n}.html", "title": f"c-{n}"} for n in (1, 2)]).encode(),
                headers={"Content-Type": "application/json"},
            ),
            "/c/away": Response(b"", 302, {"Location": f"{outsider.base}/evil.js"}),  # a redirect out of scope
            "/logo.png": Response(b"\x89PNG", headers={"Content-Type": "image/png"}),
            **{f"/c/art/{n}.html": doc("c", n) for n in (1, 2)},
        }
    )
    shell = Response(b"<html><body><div id='app'>loading</div></body></html>", headers=HTML)
    d = Site(routes={"/listpage": gd(shell), "/api/getList": gd(cde_api)})
    d.routes |= {f"/detail/{n}.html": gd(doc("d", n)) for n in (1, 2)}
    e = Site(routes={"/e/index.html": listing("e", 1), "/e/art/1.html": doc("e", 1)})
    for site in (a, b, c, d, e):
        site.routes["/robots.txt"] = robots
    return [a, b, c, d, e], {"a": ga, "b": gb, "d": gd}


@pytest.fixture(scope="module")
def sites() -> Iterator[Sites]:
    with serve(Site()) as outsider:
        outsider.routes["/evil.js"] = Response(b"document.title='owned'", headers={"Content-Type": "text/javascript"})
        built, guards = build(outsider)
        with ExitStack() as stack:
            a, b, c, d, e = (stack.enter_context(serve(site)) for site in built)
            yield Sites(a, b, c, d, e, outsider, guards)


def sources(s: Sites, *, browser: bool) -> list[dict[str, Any]]:
    common = {"delay_seconds": 0, "concurrency": 2, "link_selector": "ul.u-list li a"}
    mode = {"fetch": "browser"} if browser else {}
    return [
        {"name": "a-412", "kind": "html-list", "url": s.a.url("/list/index.html"), **common, **mode},
        {"name": "b-202", "kind": "html-list", "url": s.b.url("/b/index.html"), **common, **mode},
        {
            "name": "c-scripted",
            "kind": "html-list",
            "url": s.c.url("/start"),
            **common,
            **({"fetch": "render"} if browser else {}),
        },
        {
            "name": "d-api",
            "kind": "json-api",
            "method": "post",
            "url": s.d.url("/api/getList"),
            "items_path": "data.records",
            "fields": {"url": "externalLinks", "title": "title", "published_on": "issueDate"},
            "params": {"pageSize": "20", "isFbtg": "1"},
            "headers": {"Referer": s.d.url("/listpage")},
            "delay_seconds": 0,
            **mode,
        },
        {"name": "e-open", "kind": "html-list", "url": s.e.url("/e/index.html"), **common},
    ]


@dataclass
class Ran:
    result: Any
    db: Path
    challenges: dict[str, int]  # challenge pages each guard answered during the run


def run(tmp: Path, s: Sites, entries: list[dict[str, Any]], env: dict[str, str]) -> Ran:
    from flows.ingest import nightly_ingest

    registry = write_registry(tmp / "sources.yaml", entries)
    before = {k: g.answered["challenge"] for k, g in s.guards.items()}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"POLICYWATCH_HOME": str(tmp / "home"), **env}.items():
            patch.setenv(name, value)
        result = nightly_ingest(str(registry), str(tmp / "w.duckdb"))
    return Ran(result, tmp / "w.duckdb", {k: g.answered["challenge"] - before[k] for k, g in s.guards.items()})


@pytest.fixture(scope="module")
def plain_run(sites: Sites, tmp_path_factory: pytest.TempPathFactory) -> Ran:
    """Every source plain, and one more in browser mode on a machine where Chromium is missing."""
    missing = {
        "name": "a-no-chromium",
        "kind": "html-list",
        "url": sites.a.url("/other/index.html"),
        "link_selector": "ul.u-list li a",
        "delay_seconds": 0,
        "fetch": "browser",
    }
    return run(
        tmp_path_factory.mktemp("plain"),
        sites,
        [*sources(sites, browser=False), missing],
        {"POLICYWATCH_CHROMIUM": "/nonexistent/chromium"},
    )


@pytest.fixture(scope="module")
def browser_run(sites: Sites, tmp_path_factory: pytest.TempPathFactory, plain_run: Ran) -> Ran:
    return run(tmp_path_factory.mktemp("browser"), sites, sources(sites, browser=True), {})


def per_source(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return dict(con.execute("SELECT source_name, count(*) FROM documents GROUP BY 1").fetchall())


def health(db: Path) -> dict[str, str | None]:
    with duckdb.connect(str(db), read_only=True) as con:
        return dict(con.execute("SELECT source_name, last_error FROM source_health").fetchall())


def test_browser_fetch_plain_mode_gets_nothing_behind_a_challenge_and_says_so(plain_run: Ran) -> None:
    counts = per_source(plain_run.db)
    assert counts.get("e-open") == 1  # the ordinary site is unaffected
    assert not any(counts.get(name) for name in ("a-412", "b-202", "d-api", "c-scripted", "a-no-chromium"))
    errors = health(plain_run.db)
    for name in ("a-412", "b-202", "d-api"):
        assert "JavaScript challenge" in (errors[name] or ""), name
        assert "fetch: browser" in (errors[name] or "")


def test_browser_fetch_without_chromium_fails_that_source_in_one_line(plain_run: Ran) -> None:
    (attempt,) = [a for a in plain_run.result.attempts if a.source_name == "a-no-chromium"]
    assert not attempt.ok and attempt.error == MISSING
    assert health(plain_run.db)["a-no-chromium"] == MISSING
    assert plain_run.result.report is not None  # the run itself ended normally


def test_browser_fetch_loads_every_document_behind_challenges(browser_run: Ran) -> None:
    assert per_source(browser_run.db) == {"a-412": 3, "b-202": 2, "c-scripted": 2, "d-api": 2, "e-open": 1}
    assert all(a.ok and not a.drifted for a in browser_run.result.attempts)


def test_browser_fetch_hands_the_cookie_to_the_attachment_stage(browser_run: Ran) -> None:
    with duckdb.connect(str(browser_run.db), read_only=True) as con:
        rows = con.execute("SELECT extraction_status, text FROM document_attachments WHERE url LIKE '%a1.pdf'")
        (status, text), *_ = rows.fetchall()
    assert status == "ok" and "为规范抗体药物临床试验" in text


def test_browser_fetch_passes_each_challenge_once_then_goes_plain(browser_run: Ran, sites: Sites) -> None:
    # Per origin: httpx meets the challenge, the browser meets it once and reloads; every later request has the cookie.
    assert browser_run.challenges == {"a": 2, "b": 2, "d": 2}


def test_browser_fetch_render_keeps_the_browser_in_scope(browser_run: Ran, sites: Sites) -> None:
    assert sites.c.hits["/c/away"] == 1
    assert sites.outsider.hits["/evil.js"] == 0  # another origin, asked or redirected to: never reached
    assert sites.c.hits["/logo.png"] == 0  # images are never loaded
    assert sites.c.hits["/c/items.json"] == 1  # the list's own script request went through the fetcher
    assert sites.c.hits["/c/index.html"] == 2  # plain run, browser run: the redirect's target was fetched once


def test_browser_fetch_render_archives_the_page_as_rendered_and_as_received(browser_run: Ran) -> None:
    from flows.adapters.archive import load

    with duckdb.connect(str(browser_run.db), read_only=True) as con:
        (raw, headers), *_ = con.execute(
            "SELECT raw_sha256, headers FROM core.pages WHERE url LIKE '%/c/art/1.html' AND outcome = 'new'"
        ).fetchall()
    archive = browser_run.db.parent / "home" / "raw"
    received = load(archive, json.loads(headers)["x-policywatch-received-sha256"])
    assert received == doc("c", 1).body  # the bytes the server sent
    inserted = "<p>附：脚本插入的段落。</p></div>"  # where the script put it: the end of the text box
    assert inserted not in received.decode()
    assert inserted in load(archive, raw).decode()  # the DOM as Chromium left it


def test_browser_fetch_render_takes_a_file_as_fetched_and_fails_an_error_page_at_once(sites: Sites) -> None:
    from flows.adapters.browser import Browser
    from flows.adapters.fetch import Fetcher, FetchPolicy, HostPolicy
    from flows.adapters.fetch_modes import Rendered

    async def attempt() -> Any:
        policy = FetchPolicy(user_agent="t", retries=0, deadline_seconds=600)  # waiting for it would hang the test
        hosts = {"127.0.0.1": HostPolicy(delay_seconds=0)}
        async with (
            Fetcher(policy, allowed_hosts={sites.e.base}, host_policies=hosts) as fetcher,
            Browser(fetcher) as browser,
        ):
            getter = Rendered(fetcher, browser)
            return [await getter.get(sites.e.url(path)) for path in ("/e/missing.html", "/e/file.pdf")]

    sites.e.routes["/e/file.pdf"] = Response(b"%PDF-1.4 fake", headers={"Content-Type": "application/pdf"})
    missing, pdf = asyncio.run(asyncio.wait_for(attempt(), 120))
    assert missing.error == f"{sites.e.url('/e/missing.html')}: HTTP 404" and missing.error_kind == "browser"
    assert (pdf.body, pdf.headers["content-type"], pdf.error) == (b"%PDF-1.4 fake", "application/pdf", None)


def pages_through_one_browser(routes: dict[str, Guard], count: int) -> tuple[list[Any], dict[str, int]]:
    """`count` pages of each guarded site, asked in browser mode through one Browser; and its passes per site."""
    from flows.adapters.browser import Browser
    from flows.adapters.fetch import Fetcher, FetchPolicy, HostPolicy
    from flows.adapters.fetch_modes import Challenged

    page = Response(b"<html><body><p>" + "正文。".encode() * 40 + b"</p></body></html>", headers=HTML)
    with ExitStack() as stack:
        served = {name: stack.enter_context(serve(Site(fallback=guard(page)))) for name, guard in routes.items()}

        async def fetch_all() -> tuple[list[Any], dict[str, int]]:
            policy = FetchPolicy(user_agent="t", retries=0, respect_robots=False)
            hosts = {"127.0.0.1": HostPolicy(concurrency=4, delay_seconds=0)}
            origins = {site.base for site in served.values()}
            async with (
                Fetcher(policy, allowed_hosts=origins, host_policies=hosts) as fetcher,
                Browser(fetcher, wait_seconds=10) as browser,
            ):
                getter = Challenged(fetcher, browser)
                urls = [site.url(f"/{i}.html") for site in served.values() for i in range(count)]
                results = [await getter.get(url) for url in urls]  # one after another: the rotation point is known
                return results, {name: browser.passes[site.base] for name, site in served.items()}

        return asyncio.run(asyncio.wait_for(fetch_all(), 120))


def test_browser_fetch_passes_again_when_the_challenge_comes_back_and_gives_up_after_three() -> None:
    rotating = Guard("rotating", 31, 412, "ts", rotate_every=4)
    hopeless = Guard("hopeless", 37, 202, "reload", solvable=False)
    results, passes = pages_through_one_browser({"rotating": rotating, "hopeless": hopeless}, 6)
    assert [r.status for r in results[:6]] == [200] * 6
    assert passes["rotating"] in (2, 3)  # passed again when the cookie expired (every 4 pages, the browser's too)
    assert passes["hopeless"] == 3  # bounded per origin and run, however many pages ask
    assert all(r.error_kind == "challenge" for r in results[6:])
    assert "still a JavaScript challenge after 8 reloads" in (results[6].error or "")
    assert "still answered after 3 browser passes" in (results[-1].error or "")
    # The 6 plain answers, and per pass the 8 answers it waits for plus a reload or two in flight as its tab closes.
    assert hopeless.answered["challenge"] <= 6 + 3 * (8 + 2)


# A child that starts the run's browser on a loopback page, says where its profile is, and waits to be killed.
CHILD = """
import asyncio, sys
from flows.adapters.browser import Browser
from flows.adapters.fetch import Fetcher, FetchPolicy
from flows.adapters.loopback import Response, Site, serve

async def main():
    with serve(Site(routes={"/": Response(b"<p>hi</p>", headers={"Content-Type": "text/html"})})) as site:
        async with Fetcher(FetchPolicy(user_agent="t"), allowed_hosts={site.base}) as fetcher:
            browser = Browser(fetcher)
            page = await browser.render(site.url("/"))
            print(browser.profile, page.status, flush=True)
            await asyncio.sleep(120)

asyncio.run(main())
"""


def with_profile(profile: str) -> list[int]:
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        if any(profile in part for part in process.info["cmdline"] or ()):
            found.append(process.info["pid"])
    return found


def test_browser_fetch_sigkill_of_the_run_leaves_no_chromium(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD], cwd=REPO, stdout=subprocess.PIPE, text=True)
    profile = ""
    try:
        profile, status = (child.stdout.readline() if child.stdout else "").split()
        assert status == "200" and with_profile(profile)  # Chromium runs with our profile
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        deadline = time.monotonic() + 15
        while with_profile(profile) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert with_profile(profile) == []
    finally:
        if child.poll() is None:
            child.kill()
        if profile:
            shutil.rmtree(profile, ignore_errors=True)  # a killed run cannot remove its profile: the test does
