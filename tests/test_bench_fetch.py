"""`policywatch bench fetch`: throughput beside bare httpx, and the default per-host limit holding."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from flows.adapters.fetch import HostPolicy
from flows.cli import app
from tests.tables import number, table_rows

LIMIT = re.compile(
    r"(\d+) pages in ([\d.]+) s; peak in flight at the server (\d+); smallest gap between request "
    r"starts ([\d.]+) s"
)


@pytest.fixture(scope="module")
def output() -> str:
    result = CliRunner().invoke(
        app, ["bench", "fetch", "--pages", "40", "--latency", "0.005", "--limited", "3"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_bench_fetch_measures_each_concurrency_beside_httpx(output: str) -> None:
    rows = table_rows(output)
    assert [cells[0] for cells in rows] == ["1", "4", "16"]
    for _, ours, peer, ratio in rows:
        assert number(ours) > 0 and number(peer) > 0
        # pages/s are shown rounded to whole numbers, the ratio from the unrounded ones
        low = (number(ours) - 0.5) / (number(peer) + 0.5)
        high = (number(ours) + 0.5) / (number(peer) - 0.5)
        assert low - 0.01 <= number(ratio) <= high + 0.01


def test_bench_fetch_shows_the_per_host_limit_holding(output: str) -> None:
    found = LIMIT.search(" ".join(output.split()))
    assert found, output
    pages, seconds, peak, gap = int(found[1]), float(found[2]), int(found[3]), float(found[4])
    policy = HostPolicy()
    assert pages == 3 and peak <= policy.concurrency
    assert gap >= policy.delay_seconds - 0.05 and seconds >= 2 * policy.delay_seconds - 0.05
