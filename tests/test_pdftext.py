"""pdf_text and the PDF path of extract: running headers, page numbers, rejoined paragraphs."""

from __future__ import annotations

import pytest

from flows.bench.synthetic_files import pdf_bytes
from parsers.extract import extract
from parsers.pdftext import pdf_text, rejoin, running_lines
from parsers.records import ExtractionStatus, ParseOptions


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal valid PDF, one Helvetica text line per entry (ASCII only)."""
    kids = " ".join(f"{4 + 2 * index} 0 R" for index in range(len(pages)))
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for index, lines in enumerate(pages):
        stream = "BT /F1 12 Tf 14 TL 72 720 Td " + " ".join(f"({line}) Tj T*" for line in lines) + " ET"
        objects.append(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * index} 0 R >>"
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    return pdf_bytes(objects)


PAGES = [
    ["Biotech Plan 2024", "The plan supports", "biotech firms.", "- 1 -"],
    ["Biotech Plan 2024", "Second page text ends here.", "- 2 -"],
    ["Biotech Plan 2024", "Third page text ends here.", "- 3 -"],
]


def test_pdftext_removes_running_headers_and_page_numbers() -> None:
    assert pdf_text(make_pdf(PAGES)) == (
        "The plan supports biotech firms.\nSecond page text ends here.\nThird page text ends here."
    )


def test_pdftext_running_lines_need_three_pages() -> None:
    assert running_lines([["Header", "a"], ["Header", "b"]]) == set()


def test_pdftext_running_lines_ignore_changing_numbers() -> None:
    pages = [["第1页 共3页", "甲。"], ["第2页 共3页", "乙。"], ["第3页 共3页", "丙。"]]
    assert running_lines(pages) == {"第#页 共#页"}


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["为加快培育发展生物经济打", "下了坚实基础。"], "为加快培育发展生物经济打下了坚实基础。"),
        (["一、总体要求", "（一）指导思想。"], "一、总体要求\n（一）指导思想。"),
        (["第一段结束。", "第二段"], "第一段结束。\n第二段"),
        (["the plan", "supports"], "the plan supports"),
    ],
)
def test_pdftext_rejoin(lines: list[str], expected: str) -> None:
    assert rejoin(lines) == expected


def test_extract_pdf_is_ok() -> None:
    record = extract(make_pdf(PAGES), ParseOptions(known_title="Biotech Plan 2024"))
    assert (record.status, record.title) == (ExtractionStatus.OK, "Biotech Plan 2024")
    assert record.text.startswith("The plan supports biotech firms.")


def test_extract_broken_pdf_is_undecodable() -> None:
    record = extract(b"%PDF-1.4\n" + b"\x00garbage" * 50, ParseOptions())
    assert record.status is ExtractionStatus.UNDECODABLE
    assert record.reason and "PDF" in record.reason


def test_extract_pdf_without_text_is_empty() -> None:
    record = extract(make_pdf([[]]), ParseOptions())
    assert record.status is ExtractionStatus.EMPTY
