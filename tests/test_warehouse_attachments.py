"""warehouse/attachments.py and the search index's share of it: rows replaced per document, one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from parsers.attachment_merge import FileText, Merged, read_file
from parsers.records import Classification
from tests.filemaker import docx, paragraph
from tests.warehouse_corpus import corpus_copy
from warehouse import attachments as store
from warehouse.connection import open_writer
from warehouse.search import index_documents, search

NOW = datetime(2026, 12, 1, 8, 0)
TITLE = "上海市卫生健康委员会关于做好疫苗接种服务工作的通知"


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with open_writer(corpus_copy(tmp_path)) as connection:
        yield connection


def doc_id(con: duckdb.DuckDBPyConnection, title: str = TITLE) -> str:
    row = con.execute("SELECT doc_id FROM core.documents WHERE title = ?", [title]).fetchone()
    assert row is not None
    return str(row[0])


def row(doc: str, url: str, text: str, position: int = 1) -> store.AttachmentRow:
    file = read_file(docx(paragraph(text)), "a.docx")
    return store.AttachmentRow(
        doc_id=doc,
        url=url,
        name="附件.docx",
        position=position,
        format=file.format,
        media_type=file.media_type,
        bytes=100,
        sha256="ab" * 32,
        text=file.text,
        text_hash=file.text_hash,
        minhash=file.minhash,
        extraction_status=file.status,
        checked_at=NOW,
        run_id="r1",
    )


def test_search_finds_a_document_by_its_attachments_text(con: duckdb.DuckDBPyConnection) -> None:
    index_documents(con)
    store.write_chunk(
        con,
        doc_ids=[doc_id(con)],
        rows=[row(doc_id(con), "http://a/1.docx", "珊瑚礁修复试点方案")],
        merged={},
        now=NOW,
    )
    assert index_documents(con) == 1  # the attachment's text changed what the document contributes
    assert [h.doc_id for h in search(con, "珊瑚礁")] == [doc_id(con)]


def test_search_reindexes_a_document_whose_attachment_changed(con: duckdb.DuckDBPyConnection) -> None:
    target = doc_id(con)
    store.write_chunk(
        con, doc_ids=[target], rows=[row(target, "http://a/1.docx", "珊瑚礁修复试点方案")], merged={}, now=NOW
    )
    index_documents(con)
    store.write_chunk(
        con, doc_ids=[target], rows=[row(target, "http://a/1.docx", "驼鹿栖息地保护方案")], merged={}, now=NOW
    )
    assert index_documents(con) == 1
    assert search(con, "珊瑚礁") == []
    assert [h.doc_id for h in search(con, "驼鹿")] == [target]


def test_write_chunk_replaces_a_documents_rows(con: duckdb.DuckDBPyConnection) -> None:
    target = doc_id(con)
    first = [row(target, "http://a/1.docx", "第一份附件"), row(target, "http://a/2.docx", "第二份附件", 2)]
    store.write_chunk(con, doc_ids=[target], rows=first, merged={}, now=NOW)
    store.write_chunk(con, doc_ids=[target], rows=[row(target, "http://a/3.docx", "第三份附件")], merged={}, now=NOW)
    assert con.execute("SELECT url FROM document_attachments").fetchall() == [("http://a/3.docx",)]


def test_write_chunk_writes_the_merged_classification_and_marks_the_substance(
    con: duckdb.DuckDBPyConnection,
) -> None:
    target = doc_id(con)
    merged = Merged(
        classification=Classification(summary="附件摘要", relevant=True, taxonomy_version="t1"),
        summary_from="http://a/2.docx",
    )
    rows = [row(target, "http://a/1.docx", "表格"), row(target, "http://a/2.docx", "行动计划全文", 2)]
    store.write_chunk(con, doc_ids=[target], rows=rows, merged={target: merged}, now=NOW)
    assert con.execute("SELECT summary FROM documents WHERE doc_id = ?", [target]).fetchone() == ("附件摘要",)
    # labels replaced by the merged classification's (none here), not appended to the page's
    assert con.execute("SELECT count(*) FROM document_topics WHERE doc_id = ?", [target]).fetchone() == (0,)
    assert con.execute("SELECT url FROM document_attachments WHERE substance").fetchall() == [("http://a/2.docx",)]


def test_write_chunk_rolls_back_as_a_whole(con: duckdb.DuckDBPyConnection) -> None:
    from parsers.errors import LoadError

    target = doc_id(con)
    store.write_chunk(con, doc_ids=[target], rows=[row(target, "http://a/1.docx", "原附件")], merged={}, now=NOW)
    broken = store.AttachmentRow(
        doc_id=target, url=None, name=None, position=1, extraction_status="ok", checked_at=NOW, run_id="r"
    )  # type: ignore[arg-type]
    with pytest.raises(LoadError, match="rolled back"):
        store.write_chunk(con, doc_ids=[target], rows=[broken], merged={}, now=NOW)
    assert con.execute("SELECT url FROM document_attachments").fetchall() == [("http://a/1.docx",)]


def test_write_links_inserts_each_link_once(con: duckdb.DuckDBPyConnection) -> None:
    link = store.Link(doc_id(con), doc_id(con, "“十四五”生物经济发展规划"), "http://a/plan.pdf")
    store.write_links(con, [link, link], NOW)
    store.write_links(con, [link], NOW)
    rows = con.execute("SELECT relation, evidence FROM document_links WHERE relation = 'attachment'").fetchall()
    assert rows == [("attachment", "http://a/plan.pdf")]


def test_stored_gives_the_newest_row_of_a_url_and_its_text_only_when_asked(con: duckdb.DuckDBPyConnection) -> None:
    target = doc_id(con)
    store.write_chunk(con, doc_ids=[target], rows=[row(target, "http://a/1.docx", "附件正文内容")], merged={}, now=NOW)
    plain, full = store.stored(con, ["http://a/1.docx"], text=False), store.stored(con, ["http://a/1.docx"], text=True)
    assert plain["http://a/1.docx"].read and plain["http://a/1.docx"].file is None
    file = full["http://a/1.docx"].file
    assert isinstance(file, FileText) and file.text == "附件正文内容"
