"""sniff: a file's format from its magic bytes; its name only breaks a tie the bytes leave."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers.attachments import Format, binary_format, media_type, sniff
from tests import filemaker as fm
from tests.pdfmaker import make_cjk_pdf

REAL = Path(__file__).with_name("fixtures") / "real" / "cmde.org.cn"
DOC = (REAL / "att_20240920_lnqszj_zqyjg.doc").read_bytes()
DOCX = fm.docx(fm.paragraph("正文。"))
PDF = make_cjk_pdf([["正文。"]])

CASES = [
    ("pdf", PDF, None, Format.PDF),
    ("pdf after junk bytes", b"\r\n\x00junk" + PDF, None, Format.PDF),
    ("pdf named .doc", PDF, "a.doc", Format.PDF),
    ("ole word", DOC, None, Format.DOC),
    ("ole word named .wps", DOC, "通知.wps", Format.WPS),
    ("ole word named .xls", DOC, "a.xls", Format.DOC),
    ("ole workbook", fm.xls([["甲"]]), "a.doc", Format.XLS),
    ("ole encrypted package", fm.encrypted_office(DOCX), None, Format.OLE),
    ("ole encrypted package named .docx", fm.encrypted_office(DOCX), "a.docx", Format.DOCX),
    ("ole cut short named .doc", DOC[:600], "a.doc", Format.DOC),
    ("ole cut short", DOC[:600], None, Format.OLE),
    ("docx", DOCX, "a.zip", Format.DOCX),
    ("xlsx", fm.xlsx([[["甲"]]]), None, Format.XLSX),
    ("ofd", fm.ofd([[(10, 10, "正文")]]), None, Format.OFD),
    ("zip", fm.zip_of({"a.txt": b"x"}), "a.docx", Format.ZIP),
    ("zip cut short named .docx", DOCX[: len(DOCX) // 2], "a.docx", Format.DOCX),
    ("zip cut short", DOCX[: len(DOCX) // 2], None, Format.ZIP),
    ("rar", b"Rar!\x1a\x07\x01\x00" + bytes(20), "a.doc", Format.RAR),
    ("7z", b"7z\xbc\xaf\x27\x1c" + bytes(20), None, Format.SEVEN_ZIP),
    ("rtf named .doc", fm.rtf(["正文"]), "a.doc", Format.RTF),
    ("html named .doc", b"\xef\xbb\xbf\r\n<!DOCTYPE html><html><body>x</body></html>", "a.doc", Format.HTML),
    ("word html", b"<html xmlns:o='urn:schemas-microsoft-com:office:office'>", None, Format.HTML),
    ("utf-16 html", "\ufeff<html><body>正文</body></html>".encode("utf-16-le"), None, Format.HTML),
    ("text", "关于印发方案的通知\n正文。".encode(), "a.doc", Format.TEXT),
    ("binary", bytes(range(256)) * 4, "a.doc", Format.UNKNOWN),
    ("empty", b"", "a.pdf", Format.EMPTY),
]


@pytest.mark.parametrize(("data", "name", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_attachments_sniff_tells_the_format_from_the_bytes(data: bytes, name: str | None, expected: Format) -> None:
    assert sniff(data, name) is expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [(PDF, Format.PDF), (DOCX, Format.DOCX), (b"<html><body>x</body></html>", None), ("正文".encode(), None)],
)
def test_attachments_binary_format_names_files_and_leaves_pages(data: bytes, expected: Format | None) -> None:
    assert binary_format(data) is expected


def test_attachments_media_type_of_every_format() -> None:
    assert all("/" in media_type(fmt) for fmt in Format)
    assert media_type(Format.DOCX).endswith("wordprocessingml.document")
