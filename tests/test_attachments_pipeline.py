"""Attachments through the nightly flow (issue 19): a fixture site on 127.0.0.1, the real flow, a real DuckDB file.

A notice page hands over its plan as a DOCX ("现将《…》印发给你们"): after a run the plan's text is searchable
from the notice, its topics are the notice's (evidence marked 附件:), its summary comes from the plan; a
second run asks for nothing again, and a changed notice asks for its file conditionally. Files that cannot
be fetched or read are rows with a status and a reason, and the run stays green.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.filemaker import docx, docx_bomb, encrypted_pdf, paragraph
from tests.fixture_site import Response, Site, article, attachment_route, list_page, serve, write_registry
from tests.pdfmaker import make_cjk_pdf

pytestmark = pytest.mark.usefixtures("prefect_server")

NOTICE_TITLE = "关于印发《未来产业培育行动计划》的通知"
NOTICE_BODY = (
    "<p>各市人民政府，省有关单位：</p><p>现将《未来产业培育行动计划》印发给你们，请认真贯彻执行。</p>"
    '<p>附件：<a href="/files/plan.docx">未来产业培育行动计划.docx</a></p>'
)
# Words only the plan holds: a search for 细胞工厂 can find the notice through its attachment alone.
PLAN = (
    "未来产业培育行动计划",
    "一、总体要求。以合成生物和生物制造为主攻方向，建设微生物细胞工厂和菌种资源库，推动发酵工程和酶制剂产业化。",
    "二、重点任务。支持合成生物学底层技术攻关，建设生物制造中试平台，培育一批生物基材料龙头企业。",
    "三、保障措施。设立生物制造产业基金，对新建的细胞工厂中试线给予最高一千万元补助。",
    "四、组织实施。各地要建立合成生物产业链链长制，定期调度重点项目，发酵和分离纯化装备纳入首台套支持范围。",
    "五、评估考核。省发展改革委会同有关部门对行动计划实施情况开展年度评估，评估结果作为资金安排的重要依据。",
)
FAILING_TITLE = "关于公布生物医药专项申报材料的通知"
FAILING_LINKS = {
    "/files/missing.pdf": "缺失文件.pdf",
    "/files/locked.pdf": "加密文件.pdf",
    "/files/bomb.docx": "压缩炸弹.docx",
    "/files/page.doc": "其实是网页.doc",
    "/files/empty.pdf": "空文件.pdf",
    "/files/cut.docx": "截断文件.docx",
    "/private/secret.pdf": "禁止抓取.pdf",
    "http://elsewhere.invalid/files/x.pdf": "外站文件.pdf",
}


def plan_docx() -> bytes:
    return docx("".join(paragraph(p) for p in PLAN))


def failing_files() -> dict[str, Response]:
    whole = plan_docx()
    return {
        "/files/locked.pdf": Response(encrypted_pdf(make_cjk_pdf([["机密文件"]]), user_password="secret")),
        "/files/bomb.docx": Response(docx_bomb(70 << 20)),
        "/files/page.doc": Response("<html><body><p>生物医药专项申报指南全文。</p></body></html>".encode()),
        "/files/empty.pdf": Response(b""),
        "/files/cut.docx": Response(whole[: len(whole) // 2]),
        "/private/secret.pdf": Response(b"%PDF-1.4 never fetched"),
    }


def build_site() -> Site:
    site = Site()
    links = [("/notice/1.html", NOTICE_TITLE, "2026-11-20"), ("/notice/2.html", FAILING_TITLE, "2026-11-19")]
    failing = "".join(f'<p><a href="{href}">{name}</a></p>' for href, name in FAILING_LINKS.items())
    site.routes.update(
        {
            "/robots.txt": Response(b"User-agent: *\nDisallow: /private/\n"),
            "/notice/index.html": Response(list_page(links, None)),
            "/notice/1.html": Response(article(NOTICE_TITLE, NOTICE_BODY, "2026-11-20")),
            "/notice/2.html": Response(
                article(FAILING_TITLE, "<p>现将申报材料公布如下，请各单位查收。</p>" + failing, "2026-11-19")
            ),
            "/files/plan.docx": attachment_route(plan_docx(), etag='"plan-v1"'),
            **failing_files(),
        }
    )
    return site


@pytest.fixture
def site() -> Iterator[Site]:
    with serve(build_site()) as running:
        yield running


def registry(tmp_path: Path, site: Site) -> Path:
    source = {
        "name": "notices",
        "kind": "html-list",
        "url": site.url("/notice/index.html"),
        "link_selector": "ul.u-list li a",
        "delay_seconds": 0,
        "concurrency": 4,
    }
    return write_registry(tmp_path / "sources.yaml", [source])


def run(sources: Path, db: Path):
    from flows.ingest import nightly_ingest

    return nightly_ingest(str(sources), str(db))


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def notice_id(db: Path, title: str = NOTICE_TITLE) -> str:
    return query(db, "SELECT doc_id FROM documents WHERE title = ?", [title])[0][0]


@pytest.fixture
def loaded(tmp_path: Path, home: Path, site: Site) -> tuple[Path, Path]:
    sources, db = registry(tmp_path, site), tmp_path / "w.duckdb"
    result = run(sources, db)
    assert result.attachments is not None and result.attachments.error is None
    return sources, db


def test_attachments_plan_only_word_finds_the_notice(loaded: tuple[Path, Path]) -> None:
    from warehouse.search import search

    _, db = loaded
    with duckdb.connect(str(db), read_only=True) as con:
        hits = search(con, "细胞工厂")
    assert [h.doc_id for h in hits] == [notice_id(db)]
    assert "细胞工厂" in hits[0].snippet


def test_attachments_plan_topic_is_the_notices_with_evidence_marked(loaded: tuple[Path, Path]) -> None:
    _, db = loaded
    rows = query(db, "SELECT topic_id, evidence FROM document_topics WHERE doc_id = ?", [notice_id(db)])
    evidence = dict(rows)
    assert "bio-manufacturing" in evidence, rows
    assert "附件:生物制造" in evidence["bio-manufacturing"]
    assert all(term.startswith("附件:") for terms in evidence.values() for term in terms)  # the page names none


def test_attachments_make_the_notice_relevant_and_summarise_it_from_the_plan(loaded: tuple[Path, Path]) -> None:
    _, db = loaded
    [(relevant, summary)] = query(db, "SELECT relevant, summary FROM documents WHERE doc_id = ?", [notice_id(db)])
    assert relevant
    assert any(phrase in summary for phrase in ("合成生物", "生物制造", "细胞工厂")), summary


def test_attachments_view_holds_the_plan(loaded: tuple[Path, Path]) -> None:
    _, db = loaded
    rows = query(
        db,
        "SELECT name, media_type, bytes, extraction_status, text LIKE '%细胞工厂%', substance "
        "FROM document_attachments WHERE doc_id = ?",
        [notice_id(db)],
    )
    docx_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert rows == [("未来产业培育行动计划.docx", docx_type, len(plan_docx()), "ok", True, True)]


def test_attachments_second_run_requests_no_file_and_changes_nothing(loaded: tuple[Path, Path], site: Site) -> None:
    sources, db = loaded
    before = query(db, "SELECT * FROM document_attachments ORDER BY doc_id, url")
    topics = query(db, "SELECT * FROM document_topics ORDER BY doc_id, topic_id")
    asked = site.hits["/files/plan.docx"]
    run(sources, db)
    assert site.hits["/files/plan.docx"] == asked == 1
    assert query(db, "SELECT * FROM document_attachments ORDER BY doc_id, url") == before
    assert query(db, "SELECT * FROM document_topics ORDER BY doc_id, topic_id") == topics


def sitemap(lastmod: str) -> Response:
    url = "{0}/notice/1.html"
    return Response(
        f"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        f"<url><loc>{url}</loc><lastmod>{lastmod}</lastmod></url></urlset>".encode()
    )


def run_then_change_the_notice(tmp_path: Path, site: Site) -> tuple[Path, list[tuple]]:
    """A run over a sitemap naming the notice, then the notice changed (a new version, its files processed again)."""
    site.routes["/sitemap.xml"] = Response(sitemap("2026-11-20").body.replace(b"{0}", site.base.encode()))
    source = {"name": "map", "kind": "sitemap", "url": site.url("/sitemap.xml"), "delay_seconds": 0}
    sources, db = write_registry(tmp_path / "sources.yaml", [source]), tmp_path / "w.duckdb"
    run(sources, db)
    before = query(db, "SELECT text, sha256, fetched_at FROM document_attachments")
    changed = NOTICE_BODY.replace("请认真贯彻执行。", "请认真贯彻执行，每半年报送一次进展。")
    site.routes["/notice/1.html"] = Response(article(NOTICE_TITLE, changed, "2026-11-21"))
    site.routes["/sitemap.xml"] = Response(sitemap("2026-11-21").body.replace(b"{0}", site.base.encode()))
    return sources, before


def test_attachments_changed_notice_asks_for_its_file_conditionally(tmp_path: Path, home: Path, site: Site) -> None:
    sources, before = run_then_change_the_notice(tmp_path, site)
    db = tmp_path / "w.duckdb"
    run(sources, db)
    assert query(db, "SELECT max(version) FROM document_versions") == [(2,)]  # its attachments are processed again
    requests = [headers for _, path, headers in site.log if path == "/files/plan.docx"]
    assert len(requests) == 2 and requests[1].get("if-none-match") == '"plan-v1"'
    assert query(db, "SELECT text, sha256, fetched_at FROM document_attachments") == before
    assert query(db, "SELECT http_status FROM document_attachments") == [(304,)]


def test_attachments_held_text_survives_a_failed_request(tmp_path: Path, home: Path, site: Site) -> None:
    sources, before = run_then_change_the_notice(tmp_path, site)
    db = tmp_path / "w.duckdb"
    site.routes["/files/plan.docx"] = Response(b"gone", 404)
    run(sources, db)
    assert query(db, "SELECT text, sha256, fetched_at FROM document_attachments") == before
    [(status, http, reason)] = query(db, "SELECT extraction_status, http_status, reason FROM document_attachments")
    assert (status, http) == ("ok", 404)
    assert reason.startswith("kept from the fetch of") and "HTTP 404" in reason
    assert marked_topics(db)


@pytest.mark.parametrize(
    ("name", "status", "reason"),
    [
        ("缺失文件.pdf", "failed", "HTTP 404"),
        ("加密文件.pdf", "encrypted", "password"),
        ("压缩炸弹.docx", "too_large", "MB"),
        ("空文件.pdf", "empty", "no bytes"),
        ("截断文件.docx", "undecodable", ""),
        ("禁止抓取.pdf", "robots", "robots.txt"),
        ("外站文件.pdf", "off_host", "elsewhere.invalid"),
    ],
)
def test_attachments_bad_file_is_a_row_with_a_reason(
    loaded: tuple[Path, Path], name: str, status: str, reason: str
) -> None:
    _, db = loaded
    [(got, why)] = query(db, "SELECT extraction_status, reason FROM document_attachments WHERE name = ?", [name])
    assert got == status
    assert why and reason in why


def test_attachments_doc_that_is_a_web_page_is_a_failure_with_its_reason(loaded: tuple[Path, Path]) -> None:
    _, db = loaded
    rows = query(
        db, "SELECT extraction_status, text, format, reason FROM core.attachments WHERE name = '其实是网页.doc'"
    )
    assert rows == [("failed", None, "html", "the link gave an HTML page, not a file (an error or login page?)")]


def test_attachments_bad_files_leave_the_notice_and_the_run_whole(loaded: tuple[Path, Path], site: Site) -> None:
    _, db = loaded
    assert query(db, "SELECT count(*) FROM documents WHERE title = ?", [FAILING_TITLE]) == [(1,)]
    assert query(db, "SELECT status FROM runs") == [("success",)]
    assert site.hits["/private/secret.pdf"] == 0
    assert query(db, "SELECT count(*) FROM document_attachments WHERE doc_id = ?", [notice_id(db, FAILING_TITLE)]) == [
        (len(FAILING_LINKS),)
    ]


def marked_topics(db: Path) -> list[tuple]:
    return query(
        db,
        "SELECT topic_id, evidence FROM document_topics WHERE doc_id = ? AND list_contains(evidence, '附件:生物制造')",
        [notice_id(db)],
    )


def test_attachments_survive_a_reparse(loaded: tuple[Path, Path]) -> None:
    from flows.reparse import reparse_archive

    sources, db = loaded
    rows = query(db, "SELECT * EXCLUDE (checked_at) FROM document_attachments ORDER BY doc_id, url")
    summary = query(db, "SELECT summary FROM documents WHERE doc_id = ?", [notice_id(db)])
    result = reparse_archive(str(sources), str(db))
    assert result.attachments_read == 6  # every file with bytes: not the off-host, 404 and robots links
    assert query(db, "SELECT * EXCLUDE (checked_at) FROM document_attachments ORDER BY doc_id, url") == rows
    assert query(db, "SELECT summary FROM documents WHERE doc_id = ?", [notice_id(db)]) == summary
    assert marked_topics(db)


def test_attachments_take_part_in_a_reclassification(loaded: tuple[Path, Path]) -> None:
    from parsers.classify import default_taxonomy
    from warehouse.reclassify import reclassify_warehouse

    _, db = loaded
    topics = marked_topics(db)
    reclassify_warehouse(db, default_taxonomy())
    assert marked_topics(db) == topics != []


def test_attachments_larger_than_the_cap_are_cut_and_not_read(
    tmp_path: Path, home: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLICYWATCH_MAX_ATTACHMENT_BYTES", "500")
    sources, db = registry(tmp_path, site), tmp_path / "w.duckdb"
    run(sources, db)
    [(status, reason, text)] = query(
        db, "SELECT extraction_status, reason, text FROM document_attachments WHERE name LIKE '未来%'"
    )
    assert (status, text) == ("too_large", None)
    assert "POLICYWATCH_MAX_ATTACHMENT_BYTES" in reason


@pytest.mark.parametrize(
    ("value", "expected"), [(None, 50_000_000), ("200000000", 200_000_000), ("80_000_000", 80_000_000)]
)
def test_settings_max_attachment_bytes(value: str | None, expected: int) -> None:
    from flows.settings import load_settings

    env = {"POLICYWATCH_HOME": "/tmp/pw"} | ({"POLICYWATCH_MAX_ATTACHMENT_BYTES": value} if value else {})
    assert load_settings(env).max_attachment_bytes == expected


@pytest.mark.parametrize("value", ["50MB", "-1", "0"])
def test_settings_max_attachment_bytes_refuses_what_is_no_size(value: str) -> None:
    from flows.settings import load_settings
    from parsers.errors import ConfigError

    with pytest.raises(ConfigError, match="POLICYWATCH_MAX_ATTACHMENT_BYTES"):
        load_settings({"POLICYWATCH_MAX_ATTACHMENT_BYTES": value})


def test_attachments_stage_failing_is_reported_and_the_night_stays_green(
    tmp_path: Path, home: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.tasks import attachments

    def broken(*args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(attachments, "_process", broken)
    sources, db = registry(tmp_path, site), tmp_path / "w.duckdb"
    result = run(sources, db)
    assert result.attachments is not None and "disk on fire" in (result.attachments.error or "")
    assert query(db, "SELECT status FROM runs") == [("success",)]
    assert query(db, "SELECT count(*) FROM documents") == [(2,)]
    assert query(db, "SELECT summary->>'$.attachments.error' LIKE '%disk on fire%' FROM core.runs") == [(True,)]


def test_attachments_jobs_give_the_same_in_worker_processes(tmp_path: Path) -> None:
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from flows.adapters import archive
    from flows.tasks.attachments import Job, _run

    root = tmp_path / "raw"
    digest = archive.store(root, plan_docx())
    jobs = [
        Job(
            doc_id=f"d{n}",
            title=NOTICE_TITLE,
            page_text="现将《计划》印发给你们。",
            files=(("u", digest, "p.docx", None),),
        )
        for n in range(3)
    ]
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        apart = _run(jobs, pool, root)
    here = _run(jobs, None, root)
    assert apart == here
    files, merged = here[0]
    assert files["u"].status == "ok" and merged is not None and merged.summary_from == "u"


def test_attachments_past_the_files_followed_on_a_page_are_skipped(
    tmp_path: Path, home: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.tasks import attachments

    monkeypatch.setattr(attachments, "MAX_PER_DOCUMENT", len(FAILING_LINKS) - 2)
    sources, db = registry(tmp_path, site), tmp_path / "w.duckdb"
    run(sources, db)
    rows = query(db, "SELECT name, reason FROM document_attachments WHERE extraction_status = 'skipped' ORDER BY name")
    assert [name for name, _ in rows] == sorted(list(FAILING_LINKS.values())[-2:])
    assert all("more than 6 files" in reason for _, reason in rows)
