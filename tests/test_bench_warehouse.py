"""`policywatch bench warehouse` runs end to end on a tiny synthetic corpus and reports what it measured."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from flows.cli import app
from tests.tables import row, table_rows

RATE = re.compile(r"^(\d+) documents in ([\d.]+) s = ([\d,]+) docs/s")  # 1,043 docs/s once warm


def test_bench_warehouse_reports_every_measure(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    result = CliRunner().invoke(
        app,
        ["bench", "warehouse", "--docs", "300", "--batch", "200", "--chunk", "50", "--db", str(db)],
        env={"COLUMNS": "250"},
    )
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM documents").fetchall() == [(300,)]
    for measure in ("load (RunLoader, one transaction per run)", "search index (after each commit)"):
        count, seconds, rate = RATE.match(row(result.output, measure)[0]).groups()  # type: ignore[union-attr]
        assert int(count) == 300 and float(seconds) > 0 and int(rate.replace(",", "")) > 0, measure
    assert re.match(r"^\d+ MiB \(300 documents\)$", row(result.output, "file size")[0])
    cookbook = [cells for cells in table_rows(result.output) if cells[0].startswith("cookbook")]
    assert len(cookbook) >= 15 and all(re.match(r"^\d+ ms \(\d+ rows\)$", cells[1]) for cells in cookbook)
    latency = re.match(
        r"^p50 (\d+) ms, p95 (\d+) ms, max (\d+) ms$", row(result.output, "search latency (20 queries)")[0]
    )
    assert latency and int(latency[1]) <= int(latency[2]) <= int(latency[3])
    size = re.match(r"^(\d+) MiB, ([\d,]+) gram rows$", row(result.output, "search index size")[0])
    assert size and int(size[2].replace(",", "")) > 300 * 100  # a few hundred grams a document
    recall = re.match(
        r"^([\d.]+) \(([\d,]+) of ([\d,]+) documents, 200 substrings", row(result.output, "search recall vs scan")[0]
    )
    assert recall and recall[1] == "1.000" and recall[2] == recall[3] != "0"
    assert re.match(
        r"^p50 \d+ ms \(search.matching\), p50 \d+ ms \(scan\)$", row(result.output, "match set time vs scan")[0]
    )
