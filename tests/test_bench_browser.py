"""`policywatch bench browser`: every mode measured on the challenge site; only the browser modes get past it."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from flows.adapters.browser import chromium_path
from flows.cli import app
from tests.tables import number, table_rows

pytestmark = pytest.mark.skipif(chromium_path() is None, reason="Debian chromium not installed (make test installs it)")


def test_bench_browser_measures_plain_browser_and_render_on_one_challenge_site() -> None:
    result = CliRunner().invoke(app, ["bench", "browser", "--pages", "6"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    rows = {(cells[0], cells[1]): cells[2:] for cells in table_rows(result.output)}
    assert list(rows) == [("plain", "off"), ("plain", "412"), ("browser", "412"), ("render", "412")]
    assert rows["plain", "412"][0] == "0/6"
    for mode in (("plain", "off"), ("browser", "412"), ("render", "412")):
        read, per_second, rss, pss, launches = rows[mode]
        assert read == "6/6" and number(per_second) > 0 and number(rss) >= number(pss) > 0
        assert launches == ("0" if mode[0] == "plain" else "1")
