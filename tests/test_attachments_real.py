"""The real CMDE attachments (tests/fixtures/real/cmde.org.cn): whole text, classified as their sidecars say.

tests/test_real_extraction.py checks each sidecar's `expect` fields (title, first and last sentence) as for
any real page; this file checks what only files have: the reader's own record, the classification through
parse_document with default options, and the DOC text against antiword's.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from parsers.attachments import Format, read_attachment
from parsers.parse import parse_document
from parsers.records import AttachmentStatus, AttachmentText, ParsedDocument, ParseOptions

FOLDER = Path(__file__).with_name("fixtures") / "real" / "cmde.org.cn"
FILES = sorted(path for path in FOLDER.iterdir() if path.suffix != ".json")
FORMATS = {".pdf": Format.PDF, ".doc": Format.DOC, ".docx": Format.DOCX}
_SPACE = re.compile(r"\s+")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Share of antiword's CJK characters our DOC text must hold (the brief's bar; ours holds all of them today).
ANTIWORD_SHARE = 0.98


def sidecar(path: Path) -> dict[str, Any]:
    return json.loads(path.with_name(path.name + ".json").read_text("utf-8"))


@cache
def parsed(path: Path) -> ParsedDocument:
    return parse_document(path.read_bytes(), ParseOptions(url=sidecar(path)["url"]))


@cache
def read(path: Path) -> AttachmentText:
    return read_attachment(path.read_bytes(), path.name)


def fold(text: str) -> str:
    return _SPACE.sub("", text)


def test_attachments_real_corpus_has_the_four_cmde_files() -> None:
    assert sorted(path.suffix for path in FILES) == [".doc", ".docx", ".docx", ".pdf"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_attachments_real_file_is_read_whole(path: Path) -> None:
    record = read(path)
    expect = sidecar(path)["expect"]
    assert (record.format, record.status, record.reason) == (FORMATS[path.suffix], AttachmentStatus.OK, None)
    text = fold(record.text)
    assert fold(expect["first_sentence"]) in text
    assert text.endswith(fold(expect["last_sentence"]))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_attachments_real_file_is_classified_as_its_sidecar_says(path: Path) -> None:
    document, expected = parsed(path), sidecar(path)["classification"]
    assert document.ok and document.extraction.title == sidecar(path)["expect"]["title"]
    assert set(expected["topics_include"]) <= {label.topic for label in document.classification.topics}
    assert document.classification.relevant is expected["relevant"]


def test_attachments_real_pdf_has_no_running_header_or_page_numbers() -> None:
    record = read(FOLDER / "att_20151127_zjrhq_zqyjg.pdf")
    assert record.pages == 35
    # 征求意见稿 heads every page; only the cover's title keeps it.
    assert record.text.count("征求意见稿") == 1
    assert not re.search(r"^\s*[—-]?\s*\d{1,3}\s*[—-]?\s*$", record.text, re.MULTILINE)


def test_attachments_real_doc_table_rows_are_lines_of_cells() -> None:
    record = read(FOLDER / "att_20240920_lnqszj_zqyjg.doc")
    assert "\t取 栓 支 架\t尺寸\t支架直径\t是\t建议提供支架自然状态下的最大直径" in record.text


@pytest.mark.skipif(shutil.which("antiword") is None, reason="antiword is not installed (make test installs it)")
def test_attachments_real_doc_holds_antiwords_text() -> None:
    doc = FOLDER / "att_20240920_lnqszj_zqyjg.doc"
    theirs = subprocess.run(["antiword", "-m", "UTF-8.txt", str(doc)], capture_output=True, check=True, text=True)
    ours = Counter(_CJK.findall(read(doc).text))
    expected = Counter(_CJK.findall(theirs.stdout))
    assert sum((ours & expected).values()) >= ANTIWORD_SHARE * sum(expected.values())
