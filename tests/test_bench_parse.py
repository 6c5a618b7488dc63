"""`policywatch bench parse`: the synthetic pages and the command's figures."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from flows.bench.parse import synthetic_pages
from flows.cli import app
from parsers.parse import parse_document
from tests.tables import number, row


def test_bench_parse_pages_are_relevant_articles_built_the_same_each_time() -> None:
    pages = synthetic_pages(3)
    assert pages == synthetic_pages(3)
    documents = [parse_document(data, options) for data, options in pages]
    assert all(d.ok and d.classification.relevant for d in documents)


def test_bench_parse_command_reports_each_step_and_a_profile() -> None:
    result = CliRunner().invoke(
        app, ["bench", "parse", "--pages", "30", "--rounds", "2", "--profile", "5"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    best_ms, _, per_second = map(number, row(result.output, "parse_document (all of it)"))
    assert per_second == pytest.approx(1000 / best_ms, rel=0.02)
    assert all(number(row(result.output, step)[0]) < best_ms for step in ("extract", "classify", "fingerprint"))
    assert "Ordered by: internal time" in result.output
