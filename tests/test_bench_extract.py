"""`policywatch bench extract`: the scoring rules and the command over the fixture corpus."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.bench.extract import body_f1, holds_boundaries, load_corpus, title_matches
from flows.cli import app
from tests.tables import number, row

PAGES = Path(__file__).with_name("fixtures") / "pages"


@pytest.mark.parametrize(
    ("guess", "gold", "expected"),
    [
        ("生物医药", "生物医药", 1.0),
        ("生物，医药。", "生物医药", 1.0),  # punctuation and spaces are not scored
        ("", "生物医药", 0.0),
        ("", "", 1.0),
        ("生物", "生物医药", 2 / 3),
    ],
)
def test_bench_extract_body_f1(guess: str, gold: str, expected: float) -> None:
    assert body_f1(guess, gold) == pytest.approx(expected)


def test_bench_extract_title_ignores_whitespace_and_knows_alternatives() -> None:
    assert title_matches("土豆不“土”  土豆无“土”", ("土豆不“土” 土豆无“土”",))
    assert title_matches("短标题", ("长标题——副题", "短标题"))
    assert not title_matches("网站名", ("标题",))
    assert title_matches(None, ())


def test_bench_extract_reads_the_fixture_corpus_with_its_pdf() -> None:
    names = {page.name for page in load_corpus(PAGES)}
    assert {"govcn_policy.html", "most_plan_pdf.pdf", "list_page.html"} <= names


def test_bench_extract_command_prints_both_extractors() -> None:
    result = CliRunner().invoke(app, ["bench", "extract", "--corpus", str(PAGES)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    gold_pages = len([p for p in load_corpus(PAGES) if p.content is not None])
    assert f"extraction over {gold_pages} pages" in result.output
    # Our extractor meets every gold of its own fixtures; the peer, run on the same pages, does not.
    for metric in ("title exact", "date exact", "body F1 mean"):
        ours, peer = map(number, row(result.output, metric))
        assert ours == 1.0 and peer < ours, metric
    ours_speed, peer_speed = map(number, row(result.output, "pages/s"))
    speed = float(re.search(r"policywatch is ([\d.]+)x trafilatura", result.output)[1])  # type: ignore[index]
    assert speed == pytest.approx(ours_speed / peer_speed, abs=0.1)


def test_bench_extract_command_rejects_a_missing_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bench", "extract", "--corpus", str(tmp_path / "nope")])
    assert result.exit_code == 2


REAL = Path(__file__).with_name("fixtures") / "real"


def test_bench_extract_reads_expecting_sidecars_recursively() -> None:
    pages = {page.name: page for page in load_corpus(REAL)}
    nfra = pages["www.nfra.gov.cn/api_detail_001.json"]
    assert nfra.content is None and nfra.sentences is not None and dict(nfra.detail_json)["html"] == "data.docClob"
    assert "www.csrc.gov.cn/detail_1.html" in pages


def test_bench_extract_skips_sidecars_that_expect_no_extraction(tmp_path: Path) -> None:
    (tmp_path / "list_1.html").write_text("<html></html>", encoding="utf-8")
    (tmp_path / "list_1.html.json").write_text('{"expect": {"links": 20}}', encoding="utf-8")
    assert load_corpus(tmp_path) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("第一条 总则。\n第二条 定义。\n第三条 施行。", True),
        ("第一条 总则。第二条\n定义。", False),  # the last sentence is missing
        ("第一 条 总则。\n第三条\n施行。", True),  # line breaks and spaces do not count
    ],
)
def test_bench_extract_boundaries(text: str, expected: bool) -> None:
    assert holds_boundaries(text, ("第一条 总则。", "第三条 施行。")) is expected


def test_bench_extract_command_on_real_pages_prints_the_boundary_score() -> None:
    result = CliRunner().invoke(app, ["bench", "extract", "--corpus", str(REAL)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "body F1" not in result.output  # the real pages' sidecars hold sentences, not a gold text
    ours, peer = map(number, row(result.output, "boundary (first+last sentence)"))
    assert ours == 1.0 and 0.0 <= peer <= 1.0
