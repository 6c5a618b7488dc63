"""`policywatch bench attachments`: figures per format and reader, on the real CMDE files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.bench.attachments import cjk_held, load_files
from flows.cli import app
from parsers.attachments import Format
from tests.tables import number, table_rows

CMDE = Path(__file__).with_name("fixtures") / "real" / "cmde.org.cn"
HAS_ANTIWORD = shutil.which("antiword") is not None


@pytest.fixture(scope="module")
def figures() -> dict[tuple[str, str], list[str]]:
    """The command's table over the CMDE folder, by (format, reader)."""
    result = CliRunner().invoke(app, ["bench", "attachments", "--corpus", str(CMDE)], env={"COLUMNS": "220"})
    assert result.exit_code == 0, result.output
    return {(cells[0], cells[1]): cells[2:] for cells in table_rows(result.output)}


def test_bench_attachments_loads_files_without_their_sidecars() -> None:
    samples = load_files(CMDE)
    assert [sample.format for sample in samples] == [Format.PDF, Format.DOC, Format.DOCX, Format.DOCX]


@pytest.mark.parametrize(
    ("ours", "peers", "expected"), [(["生物医药"], ["生物"], 1.0), (["生物"], ["生物医药"], 0.5), ([""], [""], 1.0)]
)
def test_bench_attachments_cjk_held(ours: list[str], peers: list[str], expected: float) -> None:
    assert cjk_held(ours, peers) == expected


@pytest.mark.parametrize(("fmt", "files"), [("pdf", 1), ("doc", 1), ("docx", 2)])
def test_bench_attachments_reads_every_real_file_with_text(
    figures: dict[tuple[str, str], list[str]], fmt: str, files: int
) -> None:
    count, per_second, non_empty, _held, peak_rss, growth = figures[(fmt, "policywatch")]
    assert (int(count), number(non_empty)) == (files, 1.0)
    assert number(per_second) > 0 and number(peak_rss) > 20 and number(growth) >= 0


@pytest.mark.parametrize(
    ("fmt", "peer", "least", "most"),
    [("docx", "python-docx", 1.0, 1.0), ("pdf", "pypdf extract_text", 0.95, 0.999)],
    ids=["python-docx: same text", "pypdf: its running headers and page numbers we drop"],
)
def test_bench_attachments_shows_the_peer_beside_ours(
    figures: dict[tuple[str, str], list[str]], fmt: str, peer: str, least: float, most: float
) -> None:
    count, per_second, non_empty, held, *_ = figures[(fmt, peer)]
    assert int(count) == int(figures[(fmt, "policywatch")][0]) and number(non_empty) == 1.0
    assert number(per_second) > 0 and least <= number(held) <= most


@pytest.mark.skipif(not HAS_ANTIWORD, reason="antiword is not installed (make test installs it)")
def test_bench_attachments_compares_doc_with_antiword(figures: dict[tuple[str, str], list[str]]) -> None:
    assert number(figures[("doc", "antiword")][3]) >= 0.98


def test_bench_attachments_rejects_a_missing_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bench", "attachments", "--corpus", str(tmp_path / "nope")])
    assert result.exit_code == 2
