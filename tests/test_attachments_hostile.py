"""Bad attachment files, each a status and a one-line reason: never an exception, never unbounded memory."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zipfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from parsers.attachments import Format, Limits, read_attachment
from parsers.extract import extract
from parsers.records import AttachmentStatus, ExtractionStatus, ParseOptions
from tests import filemaker as fm
from tests.pdfmaker import make_cjk_pdf

REAL = Path(__file__).with_name("fixtures") / "real" / "cmde.org.cn"
REPO = Path(__file__).resolve().parents[1]
PDF = make_cjk_pdf([["关于支持生物医药产业发展的通知", "为推动生物医药产业高质量发展，现将有关事项通知如下。"]])


def real(name: str) -> bytes:
    return (REAL / name).read_bytes()


def half(data: bytes) -> bytes:
    return data[: len(data) // 2]


@cache
def word_with(flags_or: int = 0, nfib: int | None = None) -> bytes:
    """The real DOC with its FIB changed in place (olefile rewrites a stream of the same size)."""
    import tempfile

    import olefile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "a.doc"
        path.write_bytes(real("att_20240920_lnqszj_zqyjg.doc"))
        with olefile.OleFileIO(str(path), write_mode=True) as ole:
            word = bytearray(ole.openstream("WordDocument").read())
            struct.pack_into("<H", word, 0x0A, struct.unpack_from("<H", word, 0x0A)[0] | flags_or)
            if nfib is not None:
                struct.pack_into("<H", word, 2, nfib)
            ole.write_stream("WordDocument", bytes(word))
        return path.read_bytes()


def many_members(count: int) -> bytes:
    return fm.zip_of({f"m{n}.txt": b"x" for n in range(count)})


def two_megabyte_docx() -> bytes:
    return fm.docx(fm.paragraph("生物医药" * 100) * 2600)


# (id, bytes, file name, limits, expected status, words the reason holds): a table, one case a line or two.
# fmt: off
CASES: list[tuple[str, Callable[[], bytes], str | None, Limits | None, AttachmentStatus, str]] = [
    ("pdf locked with a password", lambda: fm.encrypted_pdf(PDF, user_password="secret"), None, None,
     AttachmentStatus.ENCRYPTED, "user password"),
    ("pdf cut in half", lambda: half(real("att_20151127_zjrhq_zqyjg.pdf")), None, None,
     AttachmentStatus.UNDECODABLE, "truncated PDF"),
    ("pdf header and garbage", lambda: b"%PDF-1.4\n" + b"\x00garbage" * 50 + b"%%EOF", None, None,
     AttachmentStatus.UNDECODABLE, "unreadable PDF"),
    ("docx declaring 65 MB", lambda: fm.docx_bomb(65 * fm.MB), "a.docx", None,
     AttachmentStatus.TOO_LARGE, "zip member word/document.xml declares 68157440 bytes, over 64 MB"),
    ("docx claiming 1 KB, inflating to 30 MB", lambda: fm.docx_bomb(30 * fm.MB, declared=1024), "a.docx", None,
     AttachmentStatus.UNDECODABLE, "lies about its size"),
    ("docx members past the total", two_megabyte_docx, None, Limits(total_bytes=fm.MB),
     AttachmentStatus.TOO_LARGE, "inflate past 1 MB in all"),
    ("docx text past the limit", two_megabyte_docx, None, Limits(text_chars=1000),
     AttachmentStatus.TOO_LARGE, "more than 1000 characters"),
    ("zip directory too long", lambda: many_members(30), None, Limits(members=20),
     AttachmentStatus.TOO_LARGE, "30 entries, over 20"),
    ("docx cut in half", lambda: half(real("att_20241021_fxxbxj_zqyjg.docx")), "a.docx", None,
     AttachmentStatus.UNDECODABLE, "truncated or corrupt zip"),
    ("docx locked with a password", lambda: fm.encrypted_office(fm.docx(fm.paragraph("正文。"))), "a.docx", None,
     AttachmentStatus.ENCRYPTED, "EncryptedPackage"),
    ("docx with broken XML", lambda: fm.docx("<w:p><w:r><w:t>未闭合"), None, None,
     AttachmentStatus.UNDECODABLE, "not well-formed XML"),
    ("doc cut in half", lambda: half(real("att_20240920_lnqszj_zqyjg.doc")), "a.doc", None,
     AttachmentStatus.UNDECODABLE, ""),
    ("doc locked with a password", lambda: word_with(flags_or=0x0100), "a.doc", None,
     AttachmentStatus.ENCRYPTED, "Word file encrypted"),
    ("word 95 doc", lambda: word_with(nfib=0x65), "a.doc", None,
     AttachmentStatus.UNDECODABLE, "Word 6/95 file"),
    ("zip holding a zip", lambda: fm.zip_of({"inner.zip": fm.zip_of({"a.doc": b"x"})}), "a.docx", None,
     AttachmentStatus.ARCHIVE, "ZIP archive of 1 file, not opened: inner.zip"),
    ("rar", lambda: b"Rar!\x1a\x07\x00" + bytes(40), "a.doc", None, AttachmentStatus.ARCHIVE, "RAR archive, not opened"),
    ("zero bytes", lambda: b"", "a.pdf", None, AttachmentStatus.EMPTY, "no bytes"),
    ("binary of no format", lambda: bytes(range(256)) * 8, "a.doc", None,
     AttachmentStatus.UNDECODABLE, "binary data of no format"),
    ("file over the size limit", lambda: PDF, None, Limits(file_bytes=100), AttachmentStatus.TOO_LARGE, "bytes, over 100 bytes"),
    ("xlsx cut in half", lambda: half(fm.xlsx([[["甲"] * 50] * 50])), "a.xlsx", None,
     AttachmentStatus.UNDECODABLE, "zip"),
]
# fmt: on
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize(("make", "name", "limits", "status", "reason"), [c[1:] for c in CASES], ids=IDS)
def test_attachments_hostile_file_is_a_status_with_a_reason(
    make: Callable[[], bytes], name: str | None, limits: Limits | None, status: AttachmentStatus, reason: str
) -> None:
    record = read_attachment(make(), name, limits=limits or Limits())
    assert (record.status, record.text) == (status, "")
    assert record.reason and reason in record.reason and "\n" not in record.reason


@pytest.mark.parametrize(
    ("make", "name"), [(c[1], c[2]) for c in CASES if c[3] is None], ids=[c[0] for c in CASES if c[3] is None]
)
def test_attachments_hostile_file_parsed_as_a_page_is_rejected_with_the_reason(
    make: Callable[[], bytes], name: str | None
) -> None:
    record = extract(make(), ParseOptions(url=f"https://example.gov.cn/files/{name or 'file'}"))
    assert record.status in {ExtractionStatus.UNDECODABLE, ExtractionStatus.TOO_LARGE, ExtractionStatus.EMPTY}
    assert record.reason


def test_attachments_pdf_locked_with_the_empty_password_is_read() -> None:
    record = read_attachment(fm.encrypted_pdf(PDF, user_password=""))
    assert (record.status, record.pages) == (AttachmentStatus.OK, 1)
    assert "生物医药产业高质量发展" in record.text


def test_attachments_doc_named_wps_is_read_by_the_word_reader() -> None:
    data = real("att_20240920_lnqszj_zqyjg.doc")
    wps, doc = read_attachment(data, "颅内取栓支架.wps"), read_attachment(data, "a.doc")
    assert (wps.format, wps.media_type, wps.status) == (Format.WPS, "application/vnd.ms-works", AttachmentStatus.OK)
    assert wps.text == doc.text and len(doc.text) > 5000


def test_attachments_doc_that_is_html_is_parsed_as_a_page() -> None:
    page = (
        "<html><head><title>关于支持生物医药产业发展的通知</title></head><body><div class='content'>"
        "<p>为推动生物医药产业高质量发展，支持创新药和医疗器械研发，现将有关事项通知如下。</p>"
        * 3
        + "</div></body></html>"
    )
    record = extract(page.encode("gbk"), ParseOptions(url="https://example.gov.cn/files/通知.doc"))
    assert (record.status, record.title) == (ExtractionStatus.OK, "关于支持生物医药产业发展的通知")
    assert record.encoding == "gb18030"


def test_attachments_doc_that_is_rtf_is_read_as_rtf() -> None:
    data = fm.rtf(["关于支持生物医药产业发展的通知", "为推动生物医药产业高质量发展，现将有关事项通知如下。"])
    record = extract(data, ParseOptions(url="https://example.gov.cn/files/通知.doc"))
    assert (record.status, record.title) == (ExtractionStatus.OK, "关于支持生物医药产业发展的通知")
    assert record.text == "为推动生物医药产业高质量发展，现将有关事项通知如下。"


def test_attachments_a_bad_file_leaves_the_next_one_unharmed() -> None:
    records = [read_attachment(data) for data in (fm.docx_bomb(65 * fm.MB), b"", PDF)]
    assert [r.status for r in records] == [AttachmentStatus.TOO_LARGE, AttachmentStatus.EMPTY, AttachmentStatus.OK]


def _text_node_bomb() -> bytes:
    """A DOCX whose one w:t holds 60 MB of spaces: within the member cap, so only the parser's limit stops it."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("word/document.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w") as member:
            member.write(f"<w:document xmlns:w='{fm.W_NS}'><w:body><w:p><w:r><w:t>".encode())
            for _ in range(60):
                member.write(b" " * fm.MB)
            member.write(b"</w:t></w:r></w:p></w:body></w:document>")
    return out.getvalue()


PEAK_PROBE = """
import json, resource, sys
from parsers.attachments import read_attachment
import lxml.etree, olefile, pypdf  # loaded before the baseline: the readers' libraries are not the input's cost
peaks = {}
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    record = read_attachment(data)
    peaks[path.rsplit("/", 1)[-1]] = [record.status.value, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024]
print(json.dumps(peaks))
"""


@pytest.mark.slow
def test_attachments_hostile_files_stay_under_100_mb(tmp_path: Path) -> None:
    files = {
        "text_node_bomb.docx": _text_node_bomb(),
        "lying_bomb.docx": fm.docx_bomb(200 * fm.MB, declared=1024),
        "honest_bomb.docx": fm.docx_bomb(65 * fm.MB),
        "long.docx": fm.docx(fm.paragraph("生物医药产业发展规划的正文段落。") * 60_000),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    run = subprocess.run(
        [sys.executable, "-c", PEAK_PROBE, *map(str, (tmp_path / n for n in files))],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    peaks = json.loads(run.stdout)
    assert peaks["long.docx"][0] == "ok"
    assert {name: status for name, (status, _) in peaks.items() if name != "long.docx"} == {
        "text_node_bomb.docx": "undecodable",
        "lying_bomb.docx": "undecodable",
        "honest_bomb.docx": "too_large",
    }
    assert all(mb < 100 for _, mb in peaks.values()), peaks


def test_attachments_readers_run_no_program() -> None:
    """Nothing in parsers/ runs a program: the readers are pure Python (antiword is the bench's peer)."""
    sources = " ".join(path.read_text("utf-8") for path in (REPO / "parsers").rglob("*.py"))
    assert "subprocess" not in sources and "os.system" not in sources
