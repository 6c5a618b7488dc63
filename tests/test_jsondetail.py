"""JSON detail APIs: fields by a source's mapping (dotted paths), or guessed."""

from __future__ import annotations

import json
from datetime import date

from parsers.extract import extract
from parsers.jsondetail import looks_like_json, read_json_detail
from parsers.records import ExtractionStatus, ParseOptions

BODY = (
    "<div><p>平安理财有限责任公司：</p><p>你公司请示收悉。经审核，现批复如下：核准你公司修改后的公司章程。</p>"
    "<p>国家金融监督管理总局</p><p>2026年4月20日</p></div>"
)
RECORD = {
    "rptCode": 200,
    "data": {
        "docId": 1,
        "docTitle": "总局\n关于修改章程\n的批复",
        "docSubtitle": "总局关于修改章程的批复",
        "publishDate": "2026-04-24 17:32:00",
        "documentNo": "金复[2026]220号",
        "indexNo": "717804719/2026-309",
        "docClob": BODY,
        "items": [{"name": "x"}],
    },
}
MAPPING = (
    ("html", "data.docClob"),
    ("title", "data.docSubtitle"),
    ("published_on", "data.publishDate"),
    ("doc_number", "data.documentNo"),
)


def test_jsondetail_mapping_reads_dotted_paths() -> None:
    detail = read_json_detail(json.dumps(RECORD), MAPPING)
    assert detail is not None
    assert (detail.body, detail.body_is_html, detail.title, detail.published_on, detail.doc_number) == (
        BODY, True, "总局关于修改章程的批复", "2026-04-24 17:32:00", "金复[2026]220号")  # fmt: skip


def test_jsondetail_mapping_reads_list_items_by_index() -> None:
    detail = read_json_detail(json.dumps(RECORD), (("title", "data.items.0.name"), ("text", "data.docTitle")))
    assert detail is not None and (detail.title, detail.body_is_html) == ("x", False)


def test_jsondetail_guess_takes_the_longest_html_string_as_body() -> None:
    detail = read_json_detail(json.dumps(RECORD))
    assert detail is not None
    assert (detail.body, detail.title, detail.index_number) == (BODY, "总局关于修改章程的批复", "717804719/2026-309")


def test_jsondetail_not_json_is_none() -> None:
    assert read_json_detail("<html></html>") is None
    assert read_json_detail('"just a string"') is None


def test_jsondetail_looks_like_json_by_type_or_start() -> None:
    assert looks_like_json('  {"a": 1}', None)
    assert looks_like_json("x", "application/json; charset=utf-8")
    assert not looks_like_json("<html>", "text/html")


def test_extract_json_record_fields_win_over_its_body() -> None:
    record = extract(json.dumps(RECORD, ensure_ascii=False).encode(), ParseOptions(detail_json=MAPPING))
    assert (record.status, record.title, record.published_on, record.signed_on, record.doc_number, record.issuers) == (
        ExtractionStatus.OK, "总局关于修改章程的批复", date(2026, 4, 24), date(2026, 4, 20), "金复〔2026〕220号",
        ("国家金融监督管理总局",))  # fmt: skip


def test_extract_json_record_without_a_body_is_empty() -> None:
    record = extract(b'{"data": {"title": "t"}}', ParseOptions(detail_json=(("title", "data.title"),)))
    assert (record.status, record.text) == (ExtractionStatus.EMPTY, "")
