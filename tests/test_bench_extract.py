"""`policywatch bench extract`: the scoring rules and the command over the fixture corpus."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.bench.extract import body_f1, load_corpus, title_matches
from flows.cli import app

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
    result = CliRunner().invoke(app, ["bench", "extract", "--corpus", str(PAGES)])
    assert result.exit_code == 0, result.output
    assert "policywatch" in result.output and "trafilatura" in result.output and "body F1 mean" in result.output


def test_bench_extract_command_rejects_a_missing_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bench", "extract", "--corpus", str(tmp_path / "nope")])
    assert result.exit_code == 2
