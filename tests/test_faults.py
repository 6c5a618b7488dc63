"""The fault suite: each fault on a real server (127.0.0.1) and a real DuckDB file, then two checks.

After every fault the warehouse must be consistent (no partial run, no duplicate document, no lost
page: every fetched page is archived and either loaded or recorded with its error), and the next run,
with the fault gone, must complete the work.

| fault | asserted |
|---|---|
| 5xx | page recorded failed with `HTTP 500`; next run loads it |
| timeout | page recorded failed (timed out); next run loads it |
| connection reset | page recorded failed (reset); next run loads it |
| truncated body | page recorded failed (closed early); next run loads it |
| oversized body | refused on its Content-Length (nothing read), recorded as too large |
| compression bomb (zstd, 132 KB to 4 GiB) | decoded up to the limit only, cut there, archived, recorded as too large |
| stacked codings (`gzip, gzip`) | refused before decoding, recorded failed with the reason |
| link to another port of the source's host | never requested (not even its robots.txt): another origin |
| link with `user:password@` | requested without the credentials; no stored URL holds them |
| 429 with Retry-After | the whole host pauses (no request to it meanwhile); the page loads in the same run |
| body trickling a byte at a time | page recorded failed at the deadline per URL; next run loads it |
| lying charset | header says UTF-8, bytes are GBK: the document's title reads right |
| malformed HTML | unclosed tags and stray markup: the document still loads |
| parser exception on one page | that page recorded with the error, its raw body archived; the others load |
| disk full on the archive | page recorded failed (no space); the others load; next run archives and loads it |
| SIGKILL in the middle of the load | nothing of the run is in the warehouse, its run row is marked crashed, next run loads all |
| two runs started at once | one exits at once with a one-line message (before its Prefect start-up); the other completes |
| an analyst holds the file open through the load | the load waits (`POLICYWATCH_WRITER_WAIT`), then fails naming the holder; the pages wait in `unloaded/`; the next run closes the row as failed and loads them without refetching |
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from flows.adapters.archive import raw_path
from tests.bombs import double_gzip_bomb, zstd_bomb
from tests.conftest import REPO, copy_seeds
from tests.fixture_site import Response, Route, Site, article, list_page, once_then, serve, write_registry

pytestmark = pytest.mark.usefixtures("prefect_server")

ARTICLES = {
    "ok": ("关于加快生物医药产业集群建设的实施意见", "推动抗体药物和细胞治疗产品产业化，建设生物医药产业园区。"),
    "e500": ("关于支持合成生物制造中试平台建设的通知", "支持合成生物菌种库、发酵中试平台和生物基材料示范线建设。"),
    "slow": (
        "关于促进脑机接口医疗器械创新发展的若干措施",
        "加快脑机接口医疗器械注册审评，支持临床试验机构开展植入研究。",
    ),
    "reset": ("生物育种产业化应用试点工作方案", "有序推进转基因玉米大豆生物育种产业化应用，强化品种审定和监管。"),
    "truncated": ("中医药传承创新发展三年行动计划", "加强道地药材种植基地建设，支持中药新药研发和经典名方开发。"),
    "malformed": (
        "关于加强病原微生物实验室生物安全管理的通知",
        "严格高等级生物安全实验室审批，加强菌毒种保藏和实验活动管理。",
    ),
    "charset": ("生物质能清洁供暖实施方案", "推进农林生物质热电联产，发展生物天然气和成型燃料清洁取暖。"),
    "parserbug": ("关于推动基因测序和精准医疗发展的意见", "支持高通量基因测序仪国产化，推进肿瘤早筛和精准用药。"),
    "diskfull": ("疫苗批签发和冷链追溯管理办法", "完善疫苗批签发流程，建立疫苗全程冷链追溯体系。"),
    "creds": ("关于推进细胞和基因治疗产品临床转化的通知", "支持细胞治疗和基因治疗产品开展临床试验，完善质量标准。"),
    "busy": ("生物制造标准体系建设指南", "加快生物制造领域基础通用、产品和检测方法标准制定。"),
    "trickle": ("关于加强罕见病药物保障的若干措施", "加快罕见病治疗药品审评，完善罕见病用药保障机制。"),
}
# Pages listed with absolute links: on the source's server with credentials, and on another port of its host.
LISTED_ELSEWHERE = ("creds", "offport")
OFFPORT = ("关于建设生物安全检测平台的通知", "另一个端口上的页面不属于任何来源，不得请求。")
DEADLINE_SECONDS = "2.5"  # POLICYWATCH_FETCH_DEADLINE_SECONDS of these runs: above the 2 s of two timed-out tries


def good(key: str, charset: str = "utf-8") -> Response:
    title, sentence = ARTICLES[key]
    body = f"<p>{sentence}</p><p>{title}由各有关部门按职责分工负责落实，{key}项工作于年底前完成。</p>"
    return Response(article(title, body, "2026-11-02", charset), headers={"Content-Type": "text/html; charset=utf-8"})


def listing(other: Site) -> Route:
    """The list page: relative links, a link with credentials to this server, one to another port."""

    def route(site: Site, handler: object) -> Response:
        links = [(f"/a/{key}.html", title, "2026-11-02") for key, (title, _) in ARTICLES.items() if key != "creds"]
        links += [(f"/a/{key}.html", key, "2026-11-02") for key in ("huge", "zbomb", "gzgz")]
        links += [
            (site.base.replace("://", "://alice:s3cret@") + "/a/creds.html", ARTICLES["creds"][0], "2026-11-02"),
            (other.url("/a/offport.html"), OFFPORT[0], "2026-11-02"),
        ]
        return Response(list_page(links, None))

    return route


def faulty_site(other: Site) -> Site:
    malformed = good("malformed")
    malformed.body = malformed.body.replace(b"</p>", b"").replace(b"</div>", b"<div><span>") + b"<table><td>"
    site = Site(
        routes={
            "/robots.txt": Response(b"User-agent: *\nAllow: /\n"),
            "/list/index.html": listing(other),
            "/a/ok.html": good("ok"),
            "/a/e500.html": Response(b"internal error", 500),
            "/a/slow.html": Response(good("slow").body, delay=3.0),
            "/a/reset.html": Response(reset=True),
            "/a/truncated.html": Response(good("truncated").body, truncate_to=200),
            "/a/malformed.html": malformed,
            "/a/charset.html": Response(
                good("charset", "gbk").body, headers={"Content-Type": "text/html; charset=utf-8"}
            ),
            "/a/parserbug.html": good("parserbug"),
            "/a/diskfull.html": good("diskfull"),
            "/a/huge.html": Response(b"<html><body>" + "生物医药".encode() * 200_000 + b"</body></html>"),
            "/a/zbomb.html": Response(
                zstd_bomb(4096), headers={"Content-Type": "text/html", "Content-Encoding": "zstd"}
            ),
            "/a/gzgz.html": Response(double_gzip_bomb(2048), headers={"Content-Encoding": "gzip, gzip"}),
            "/a/creds.html": good("creds"),
            "/a/busy.html": once_then(Response(b"slow down", 429, {"Retry-After": "1"}), good("busy")),
            "/a/trickle.html": Response(good("trickle").body, trickle_seconds=0.3),
        }
    )
    return site


def heal(site: Site) -> None:
    """The faults of the web side go away."""
    for key in ("e500", "slow", "reset", "truncated", "trickle"):
        site.routes[f"/a/{key}.html"] = good(key)


@pytest.fixture
def other() -> Iterator[Site]:
    """Another port of the source's host: no source names it."""
    title, sentence = OFFPORT
    routes = {"/a/offport.html": Response(article(title, f"<p>{sentence}</p>", "2026-11-02"))}
    with serve(Site(routes=routes, fallback=Response(b"User-agent: *\nAllow: /\n"))) as running:
        yield running


@pytest.fixture
def site(other: Site, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    monkeypatch.setenv("POLICYWATCH_FETCH_DEADLINE_SECONDS", DEADLINE_SECONDS)  # the trickle fails in seconds
    with serve(faulty_site(other)) as running:
        yield running


def registry(tmp_path: Path, site: Site) -> Path:
    source = {
        "name": "faulty",
        "kind": "html-list",
        "url": site.url("/list/index.html"),
        "link_selector": "ul.u-list li a",
        "delay_seconds": 0,
        "concurrency": 4,
        "timeout_seconds": 1,
        "max_bytes": 1_000_000,
    }
    return write_registry(tmp_path / "sources.yaml", [source])


def run(sources: Path, db: Path):
    from flows.ingest import nightly_ingest

    return nightly_ingest(str(sources), str(db))


def query(db: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


ROW_KEYS = {
    "core.documents": "doc_id",
    "core.document_labels": "doc_id, facet, topic_id",
    "core.document_sightings": "doc_id, url",
    "core.document_versions": "doc_id, version",
}


def assert_consistent(db: Path, archive: Path) -> None:
    """No partial run, no duplicate document, no lost page."""
    assert query(db, "SELECT count(*) FROM runs WHERE status = 'running'") == [(0,)]
    assert query(db, "SELECT count(*) - count(DISTINCT content_hash) FROM core.documents") == [(0,)]
    for table, key in ROW_KEYS.items():  # unique by the loader, not by a DuckDB constraint (migration 0008)
        assert query(db, f"SELECT count(*) - count(DISTINCT ({key})) FROM {table}") == [(0,)], table
    for url, raw in query(db, "SELECT url, raw_sha256 FROM pages WHERE raw_sha256 IS NOT NULL"):
        assert raw_path(archive, raw).exists(), f"{url}: fetched body not in the archive"
    assert query(db, "SELECT count(*) FROM pages WHERE outcome = 'failed' AND error IS NULL") == [(0,)]
    assert query(
        db,
        "SELECT count(*) FROM pages p LEFT JOIN core.documents d USING (doc_id) "
        "WHERE p.outcome <> 'failed' AND d.doc_id IS NULL",
    ) == [(0,)]
    fetched = query(db, "SELECT url FROM frontier WHERE status = 'fetched'")
    for (url,) in fetched:
        assert query(db, "SELECT count(*) > 0 FROM pages WHERE url = ?", [url]) == [(True,)]


def page_error(db: Path, key: str) -> str:
    rows = query(db, "SELECT error FROM pages WHERE url LIKE ? ORDER BY fetched_at DESC LIMIT 1", [f"%/a/{key}.html"])
    assert rows, f"no page row for {key}"
    return str(rows[0][0])


def titles(db: Path) -> set[str]:
    return {t for (t,) in query(db, "SELECT title FROM documents")}


def test_faults_of_the_web_are_recorded_and_healed_by_the_next_run(
    tmp_path: Path, home: Path, site: Site, other: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.adapters import archive
    from flows.tasks import collect, parse_pool

    sources, db = registry(tmp_path, site), tmp_path / "w.duckdb"
    real_parse, real_store = parse_pool.parse_document, archive.store

    def parser_bug(data: bytes, options: object) -> object:
        if "parserbug" in str(getattr(options, "url", "")):
            raise ValueError("simulated parser bug")
        return real_parse(data, options)  # type: ignore[arg-type]

    def disk_full(root: Path, data: bytes) -> str:
        if ARTICLES["diskfull"][0].encode() in data:
            raise archive.ArchiveError(f"cannot archive {len(data)} bytes: {os.strerror(errno.ENOSPC)}")
        return real_store(root, data)

    with monkeypatch.context() as patch:  # a context: undoing the fixture's POLICYWATCH_HOME too would be wrong
        patch.setattr(parse_pool, "parse_document", parser_bug)
        patch.setattr(collect.archive, "store", disk_full)
        run(sources, db)
    assert_consistent(db, home / "raw")
    assert "HTTP 500" in page_error(db, "e500")
    assert "timed out" in page_error(db, "slow")
    assert "reset" in page_error(db, "reset") or "closed" in page_error(db, "reset")
    assert "closed" in page_error(db, "truncated") or "reset" in page_error(db, "truncated")
    assert "larger than 1000000 bytes: refused" in page_error(db, "huge")
    assert query(db, "SELECT raw_size FROM pages WHERE url LIKE '%/a/huge.html'") == [(None,)]
    assert_fetch_faults(db, site)
    assert "simulated parser bug" in page_error(db, "parserbug")
    assert query(db, "SELECT raw_sha256 IS NOT NULL FROM pages WHERE url LIKE '%parserbug%'") == [(True,)]
    assert "No space left" in page_error(db, "diskfull")
    assert {ARTICLES[k][0] for k in ("ok", "malformed", "charset")} <= titles(db)

    heal(site)
    run(sources, db)
    assert_consistent(db, home / "raw")
    healed = {ARTICLES[k][0] for k in ("e500", "slow", "reset", "truncated", "diskfull", "trickle")}
    assert healed <= titles(db)
    assert other.log == []  # another port of the source's host: never asked, not even for robots.txt


STORED_URLS = (
    "SELECT url FROM pages UNION ALL SELECT final_url FROM pages UNION ALL SELECT url FROM frontier "
    "UNION ALL SELECT url FROM documents UNION ALL SELECT url FROM document_sightings"
)


def assert_fetch_faults(db: Path, site: Site) -> None:
    """Issue 21's rows: bombs bounded, scope by origin, no stored credentials, the host paused, the deadline met."""
    assert "larger than 1000000 bytes (decoded): cut" in page_error(db, "zbomb")
    assert query(db, "SELECT raw_size FROM pages WHERE url LIKE '%/a/zbomb.html'") == [(1_000_000,)]
    assert "stacked content codings (gzip, gzip)" in page_error(db, "gzgz")
    assert "deadline per URL" in page_error(db, "trickle")
    assert site.hits["/a/trickle.html"] <= 2
    stored = [url for (url,) in query(db, STORED_URLS) if url]
    assert stored and not [url for url in stored if "@" in url or "s3cret" in url]
    assert not [h for _, _, h in site.log if "authorization" in h]
    assert {ARTICLES[k][0] for k in ("creds", "busy")} <= titles(db)
    refused_at = min(t for t, path, _ in site.log if path == "/a/busy.html")
    assert not [t for t, _, _ in site.log if refused_at + 0.25 < t < refused_at + 0.95]  # the host paused


def test_reparse_heals_the_parser_bug_without_refetching(
    tmp_path: Path, home: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.reparse import reparse_archive
    from flows.tasks import parse_pool

    sources, db = registry(tmp_path, site), tmp_path / "w.duckdb"
    real_parse = parse_pool.parse_document

    def parser_bug(data: bytes, options: object) -> object:
        if "parserbug" in str(getattr(options, "url", "")):
            raise ValueError("simulated parser bug")
        return real_parse(data, options)  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(parse_pool, "parse_document", parser_bug)
        run(sources, db)
    hits = site.hits["/a/parserbug.html"]
    reparse_archive(str(sources), str(db))
    assert ARTICLES["parserbug"][0] in titles(db)
    assert site.hits["/a/parserbug.html"] == hits


PAUSED_LOAD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from warehouse import load

    marker = Path(sys.argv[3])
    real_finish = load._finish_run

    def finish_then_hang(*args, **kwargs):
        real_finish(*args, **kwargs)
        marker.write_text("in the load transaction")
        time.sleep(120)

    load._finish_run = finish_then_hang
    from flows.ingest import nightly_ingest
    nightly_ingest(sys.argv[1], sys.argv[2])
""")


def start_paused_run(tmp_path: Path, sources: Path, db: Path, env: dict[str, str]) -> tuple[subprocess.Popen, Path]:
    marker = tmp_path / "in-load"
    script = tmp_path / "paused_run.py"
    script.write_text(PAUSED_LOAD, encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, str(script), str(sources), str(db), str(marker)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 180
    while not marker.exists():
        assert process.poll() is None, "the run ended before reaching its load"
        assert time.monotonic() < deadline, "the run never reached its load"
        time.sleep(0.5)
    return process, marker


def subprocess_env(home: Path) -> dict[str, str]:
    return {**os.environ, "POLICYWATCH_HOME": str(home), "PYTHONPATH": str(REPO)}


@pytest.mark.slow
def test_sigkill_in_the_middle_of_the_load_loses_nothing(tmp_path: Path, home: Path) -> None:
    sources, db = copy_seeds(tmp_path / "seeds"), tmp_path / "w.duckdb"
    process, _ = start_paused_run(tmp_path, sources, db, subprocess_env(home))
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert query(db, "SELECT count(*) FROM documents UNION ALL SELECT count(*) FROM pages") == [(0,), (0,)]
    assert query(db, "SELECT status FROM runs") == [("running",)]
    assert len(list((home / "raw").rglob("*.zst"))) == 5  # every body read was archived before the load
    result = run(sources, db)
    assert result.report.total("new") == 5
    assert query(db, "SELECT status, finished_at IS NOT NULL FROM runs ORDER BY started_at") == [
        ("crashed", True),
        ("success", True),
    ]
    assert_consistent(db, home / "raw")


@pytest.mark.slow
def test_two_runs_started_at_once_one_is_refused_at_once_in_one_line(tmp_path: Path, home: Path) -> None:
    sources, db = copy_seeds(tmp_path / "seeds"), tmp_path / "w.duckdb"
    command = [sys.executable, "-m", "flows", "run", "--sources", str(sources), "--db", str(db)]
    started = time.monotonic()
    ended: dict[int, tuple[int, str, float]] = {}

    def wait(process: subprocess.Popen[bytes]) -> None:
        _, stderr = process.communicate(timeout=300)
        ended[process.pid] = (process.returncode, stderr.decode(), time.monotonic() - started)

    runs = [
        subprocess.Popen(command, cwd=REPO, env=subprocess_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    waiters = [threading.Thread(target=wait, args=(process,)) for process in runs]
    for waiter in waiters:
        waiter.start()
    for waiter in waiters:
        waiter.join()
    (_, _, done), (code, stderr, refused) = sorted(ended.values())
    assert code == 1 and "another PolicyWatch run is writing" in stderr, ended
    assert len(stderr.strip().splitlines()) == 1
    # refused at once, while the other still ran, not by its own flow after a Prefect start-up
    assert refused < done
    assert query(db, "SELECT status FROM runs") == [("success",)]


HOLD_READ_ONLY = "import duckdb, sys, time; con = duckdb.connect(sys.argv[1], read_only=True); print('held', flush=True); time.sleep(600)"


def held_through_the_load(db: Path, page: Response, holders: list[subprocess.Popen[str]]) -> Route:
    """Serve `page`, having first started an analyst's session holding the warehouse read-only."""

    def route(site: Site, handler: object) -> Response:
        if not holders:
            holder = subprocess.Popen(
                [sys.executable, "-c", HOLD_READ_ONLY, str(db)], stdout=subprocess.PIPE, text=True
            )
            holders.append(holder)
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        return page

    return route


def test_an_analyst_holding_the_file_through_the_load_loses_nothing(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from parsers.errors import WarehouseHeldError

    db, holders = tmp_path / "w.duckdb", []
    keys = ("ok", "e500", "slow")
    links = [(f"/a/{key}.html", ARTICLES[key][0], "2026-11-02") for key in keys]
    routes: dict[str, Route] = {
        "/robots.txt": Response(b"User-agent: *\nAllow: /\n"),
        "/list/index.html": Response(list_page(links, None)),
        **{f"/a/{key}.html": good(key) for key in keys[:-1]},
        "/a/slow.html": held_through_the_load(db, good("slow"), holders),
    }
    monkeypatch.setenv("POLICYWATCH_WRITER_WAIT", "2")
    with serve(Site(routes=routes)) as site:
        sources = registry(tmp_path, site)
        try:
            with pytest.raises(WarehouseHeldError, match=r"in use by another process \(python[\d.]*, PID \d+\)"):
                run(sources, db)
            assert len(list((home / "unloaded").glob("*.pickle"))) == 1
            assert query(db, "SELECT status, finished_at FROM runs") == [("running", None)]
        finally:
            for holder in holders:
                holder.kill()
                holder.wait(timeout=30)
        fetched = dict(site.hits)
        run(sources, db)
        for key in keys:
            assert site.hits[f"/a/{key}.html"] == fetched[f"/a/{key}.html"], f"{key} was fetched again"
    assert {ARTICLES[k][0] for k in keys} <= titles(db)
    (failed, error, finished), (succeeded, _, _) = query(
        db, "SELECT status, error, finished_at FROM runs ORDER BY started_at"
    )
    assert (failed, succeeded) == ("failed", "success") and finished is not None
    assert "in use by another process" in error and "load with the next run" in error
    assert not list((home / "unloaded").glob("*.pickle"))
    assert_consistent(db, home / "raw")


def test_a_stage_is_not_retried_when_the_file_stayed_held() -> None:
    from prefect.states import Failed

    from flows.ingest import not_held
    from parsers.errors import WarehouseHeldError

    assert not not_held(None, None, Failed(data=WarehouseHeldError("held")))
    assert not_held(None, None, Failed(data=ValueError("a bug")))
