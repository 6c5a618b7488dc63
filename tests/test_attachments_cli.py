"""`policywatch parse FILE` on attachment files: every format read, a bad one a status with its reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests import filemaker as fm

CMDE = Path(__file__).with_name("fixtures") / "real" / "cmde.org.cn"
BODY = "为推动生物医药产业高质量发展，支持创新药和医疗器械研发，现将有关事项通知如下。"
TITLE = "关于支持生物医药产业发展的通知"


def built(name: str) -> bytes:
    """A file of each format holding the same notice."""
    return {
        "notice.docx": lambda: fm.docx(fm.paragraph(TITLE) + fm.paragraph(BODY)),
        "notice.xlsx": lambda: fm.xlsx([[[TITLE], [BODY]]]),
        "notice.xls": lambda: fm.xls([[TITLE], [BODY]]),
        "notice.ofd": lambda: fm.ofd([[(20, 30, TITLE + "："), (20, 40, BODY)]]),
        "notice.doc": lambda: fm.rtf([TITLE, BODY]),
    }[name]()


def parse_json(path: Path) -> dict[str, object]:
    result = CliRunner().invoke(app, ["parse", str(path), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", ["notice.docx", "notice.xlsx", "notice.xls", "notice.ofd", "notice.doc"])
def test_attachments_cli_parses_each_format(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(built(name))
    record = parse_json(path)
    assert (record["extraction_status"], record["relevant"]) == ("ok", True)
    assert BODY in str(record["text"])


def test_attachments_cli_parses_the_real_doc_as_a_medical_device_guideline() -> None:
    record = parse_json(CMDE / "att_20240920_lnqszj_zqyjg.doc")
    assert record["title"] == "颅内取栓支架注册审查指导原则（征求意见稿）"
    assert "医疗器械" in [topic["topic"] for topic in record["topics"]]  # type: ignore[attr-defined]


def test_attachments_cli_reports_a_locked_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.docx"
    path.write_bytes(fm.encrypted_office(built("notice.docx")))
    record = parse_json(path)
    assert (record["extraction_status"], record["text"]) == ("undecodable", "")
    assert "encrypted with a password" in str(record["reason"])
