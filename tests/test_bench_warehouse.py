"""`policywatch bench warehouse` runs end to end on a tiny synthetic corpus."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from flows.cli import app


def test_bench_warehouse_reports_every_measure(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bench", "warehouse", "--docs", "300", "--batch", "200", "--chunk", "50",
                                      "--db", str(tmp_path / "w.duckdb")], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for measure in ("load (RunLoader", "300 documents in", "search index (after each commit)", "file size",
                    "cookbook 1. New documents this week", "search latency (20 queries)"):
        assert measure in result.output
