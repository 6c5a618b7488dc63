"""Golden corpus of template pages (tests/fixtures/pages/): each sidecar field exact, and bad input."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.extract import extract
from parsers.records import Extraction, ExtractionStatus, ParseOptions
from tests.pdfmaker import PDF_FIXTURES, make_cjk_pdf

PAGES = Path(__file__).with_name("fixtures") / "pages"
CASES = sorted(path.stem for path in PAGES.glob("*.json"))
# Sidecar keys named as in shared/extraction-dev (so `bench extract` reads this folder too), and the record's.
RENAMED = {"publish_time": "published_on", "content": "text", "extraction_status": "status"}
NOT_FIELDS = ("url",)


def page_path(stem: str) -> Path:
    return next(path for path in PAGES.glob(f"{stem}.*") if path.suffix != ".json")


@cache
def extracted(stem: str) -> Extraction:
    gold = json.loads((PAGES / f"{stem}.json").read_text("utf-8"))
    return extract(page_path(stem).read_bytes(), ParseOptions(url=gold.get("url")))


def as_json(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, ExtractionStatus):
        return value.value
    if isinstance(value, tuple):
        return [asdict(item) if hasattr(item, "__dataclass_fields__") else item for item in value]
    return value


def field_cases() -> list[tuple[str, str, Any]]:
    cases = []
    for stem in CASES:
        gold = json.loads((PAGES / f"{stem}.json").read_text("utf-8"))
        cases += [(stem, key, value) for key, value in gold.items() if key not in NOT_FIELDS]
    return cases


@pytest.mark.parametrize(("stem", "key", "expected"), field_cases())
def test_extract_pages_field_is_exact(stem: str, key: str, expected: Any) -> None:
    assert as_json(getattr(extracted(stem), RENAMED.get(key, key))) == expected


@pytest.mark.parametrize("name", sorted(PDF_FIXTURES))
def test_extract_pages_pdf_fixture_is_rebuilt_identically(name: str) -> None:
    assert (PAGES / f"{name}.pdf").read_bytes() == make_cjk_pdf(PDF_FIXTURES[name])


def test_extract_pages_gbk_fixture_is_really_gbk() -> None:
    data = (PAGES / "gd_gkmlpt_gbk.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


def test_extract_fifty_megabyte_page_is_too_large() -> None:
    page = b"<html><body><p>" + "正文。".encode() * (50_000_000 // 9) + b"</p></body></html>"
    record = extract(page, ParseOptions())
    assert (record.status, record.text) == (ExtractionStatus.TOO_LARGE, "")


def test_extract_five_thousand_nested_divs_are_ok() -> None:
    page = "<html><body>" + "<div>" * 5000 + "正文内容。" * 30 + "</div>" * 5000 + "</body></html>"
    record = extract(page.encode(), ParseOptions())
    assert (record.status, record.text) == (ExtractionStatus.OK, "正文内容。" * 30)


def test_extract_nested_with_text_at_every_level_never_raises() -> None:
    page = "<html><body>" + "<div><span>字</span>" * 3000 + "</div>" * 3000 + "</body></html>"
    assert isinstance(extract(page.encode(), ParseOptions()).status, ExtractionStatus)


def test_extract_html_fragment_without_html_tag_is_read_as_html() -> None:
    page = "<div><h1>标题</h1></div><div><p>" + "第一段正文内容，说明情况。" * 8 + "</p><p>第二段。</p></div>"
    record = extract(page.encode(), ParseOptions())
    assert (record.status, record.text.startswith("第一段正文内容")) == (ExtractionStatus.OK, True)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<div>",
                "</div>",
                "<p>",
                "</p>",
                "<a href='x.pdf'>",
                "</a>",
                "<table><tr><td>",
                "</td></tr></table>",
                "发布时间：2024-01-02",
                "正文内容，",
                "。",
                "<br>",
                "<h1>标题</h1>",
                "索引号：",
                "<!--",
                "-->",
                "<script>",
                "\x00",
                "\ufffd",
                "<meta name='PubDate' content='2024-13-45'>",
            ]
        ),
        max_size=60,
    )
)
def test_extract_never_raises_on_tag_soup(parts: list[str]) -> None:
    record = extract(("<html><body>" + "".join(parts)).encode(), ParseOptions())
    assert isinstance(record.status, ExtractionStatus)
