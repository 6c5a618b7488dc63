"""`policywatch bench warehouse` runs end to end on a tiny synthetic corpus."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from flows.cli import app


def test_bench_warehouse_reports_every_measure(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bench", "warehouse", "--docs", "300", "--loader-docs", "100", "--batch", "100",
                                      "--db", str(tmp_path / "w.duckdb")], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for measure in ("load_run (loader)", "Arrow bulk insert", "search index", "file size",
                    "cookbook 1. New documents this week", "search latency (20 queries)"):
        assert measure in result.output
