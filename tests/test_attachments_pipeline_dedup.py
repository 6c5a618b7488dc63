"""An attachment that is a document loaded on its own is linked, not duplicated; the digest shows it once.

Seed 002 is the text of the NDRC's PDF of the 十四五 bio-economy plan, loaded by the `files` source. A
notice page hands the same plan over as a DOCX: whichever arrives first, the warehouse holds one document
for the plan, one for the notice, and a link notice → plan (relation `attachment`); the digest shows the
notice with its file, the plan collapsed under it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import SEEDS, copy_seeds
from tests.filemaker import docx, paragraph
from tests.fixture_site import Response, Site, article, attachment_route, list_page, serve, write_registry

pytestmark = pytest.mark.usefixtures("prefect_server")

PLAN_SEED = "002_860cc7e5a463723a.txt"
PLAN_TITLE = "“十四五”生物经济发展规划"
NOTICE_TITLE = "国家发展改革委关于印发《“十四五”生物经济发展规划》的通知"
FILE_NAME = "“十四五”生物经济发展规划<全文>.docx"  # a name that must be escaped in the digest's HTML
SEED_DOCUMENTS = 5


def plan_docx() -> bytes:
    """The seed's text as a Word file: a paragraph per sentence, as a converter would lay it out."""
    text = (SEEDS / PLAN_SEED).read_text(encoding="utf-8")
    return docx("".join(paragraph(s + "。") for s in re.split("。", text) if s.strip()))


@pytest.fixture
def site() -> Iterator[Site]:
    body = (
        "<p>各省、自治区、直辖市人民政府，国务院有关部门：</p>"
        f"<p>现将《{PLAN_TITLE}》印发给你们，请认真贯彻执行。</p>"
        '<p>附件：<a href="/files/plan.docx">“十四五”生物经济发展规划&lt;全文&gt;.docx</a></p>'
    )
    routes = {
        "/robots.txt": Response(b"User-agent: *\nAllow: /\n"),
        "/tz/index.html": Response(list_page([("/tz/1.html", NOTICE_TITLE, "2022-05-10")], None)),
        "/tz/1.html": Response(article(NOTICE_TITLE, body, "2022-05-10")),
        "/files/plan.docx": attachment_route(plan_docx(), etag='"p1"'),
    }
    with serve(Site(routes=routes)) as running:
        yield running


def sources(folder: Path, site: Site, *, seeds: bool, web: bool) -> Path:
    """A registry in the copied seed folder (the files source's paths resolve there) naming these sources."""
    chosen: list[dict[str, Any]] = []
    if seeds:
        chosen.append({"name": "seeds", "kind": "files", "url": "*.txt", "manifest": "manifest.yaml"})
    if web:
        chosen.append(
            {
                "name": "ndrc",
                "kind": "html-list",
                "url": site.url("/tz/index.html"),
                "link_selector": "ul.u-list li a",
                "delay_seconds": 0,
            }
        )
    return write_registry(folder / f"sources-{seeds}-{web}.yaml", chosen)


def run(registry: Path, db: Path) -> None:
    from flows.ingest import nightly_ingest

    result = nightly_ingest(str(registry), str(db))
    assert result.attachments is not None and result.attachments.error is None


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


# Each order of arrival: both in one run, the plan first, the notice first.
ORDERS = {
    "together": [(True, True)],
    "plan first": [(True, False), (True, True)],
    "notice first": [(False, True), (True, True)],
}


@pytest.fixture(params=list(ORDERS))
def loaded(request: pytest.FixtureRequest, tmp_path: Path, home: Path, site: Site) -> Path:
    folder = copy_seeds(tmp_path / "seeds").parent
    db = tmp_path / "w.duckdb"
    for seeds, web in ORDERS[request.param]:
        run(sources(folder, site, seeds=seeds, web=web), db)
    return db


def test_attachment_of_a_known_document_is_linked_to_it(loaded: Path) -> None:
    rows = query(
        loaded,
        "SELECT f.title, t.title, l.evidence LIKE '%/files/plan.docx' FROM document_links l "
        "JOIN documents f ON f.doc_id = l.from_doc_id JOIN documents t ON t.doc_id = l.to_doc_id "
        "WHERE l.relation = 'attachment'",
    )
    assert rows == [(NOTICE_TITLE, PLAN_TITLE, True)]


def test_attachment_of_a_known_document_adds_no_document(loaded: Path) -> None:
    assert query(loaded, "SELECT count(*) FROM documents") == [(SEED_DOCUMENTS + 1,)]
    assert query(loaded, "SELECT count(*) FROM documents WHERE title = ?", [PLAN_TITLE]) == [(1,)]
    assert query(loaded, "SELECT extraction_status FROM document_attachments") == [("ok",)]


@pytest.fixture
def digest_html(loaded: Path) -> str:
    from flows.tasks.digest_model import build_digest
    from flows.tasks.digest_render import render_html

    [(week,)] = query(loaded, "SELECT DISTINCT week FROM documents WHERE title = ?", [NOTICE_TITLE])
    with duckdb.connect(str(loaded), read_only=True) as con:
        return render_html(build_digest(con, week))


def test_digest_shows_the_notice_with_its_file_escaped(digest_html: str) -> None:
    assert NOTICE_TITLE in digest_html
    assert re.search(r'附件（DOCX）：<a href="http://127\.0\.0\.1:\d+/files/plan\.docx"', digest_html)
    assert "“十四五”生物经济发展规划&lt;全文&gt;.docx" in digest_html
    assert "<全文>" not in digest_html


def test_digest_collapses_the_plan_under_its_notice(digest_html: str) -> None:
    assert f"另作为单独文件收录：{PLAN_TITLE}" in digest_html
    assert not re.search(rf'class="(?:title|plain)"[^>]*>{re.escape(PLAN_TITLE)}<', digest_html)


def test_digest_marks_a_plan_whose_notice_came_in_an_earlier_week(loaded: Path) -> None:
    from flows.tasks.digest_model import build_digest
    from flows.tasks.digest_render import render_text

    [(week,)] = query(loaded, "SELECT DISTINCT week FROM documents WHERE title = ?", [PLAN_TITLE])
    with duckdb.connect(str(loaded)) as con:
        con.execute("UPDATE core.documents SET week = '2020-W01' WHERE title = ?", [NOTICE_TITLE])
        text = render_text(build_digest(con, week))
    assert f"* {PLAN_TITLE}" in text
    assert f"为《{NOTICE_TITLE}》的附件" in text
