"""`policywatch sources try` and `sources list` on the default registry and the saved real pages."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import FIXTURES, REPO

runner = CliRunner()
WIDE = {"COLUMNS": "250"}
NDRC_LIST = FIXTURES / "real/www.ndrc.gov.cn/ndrc_golden_list_page.html"


def test_sources_try_has_help() -> None:
    result = runner.invoke(app, ["sources", "try", "--help"])
    assert result.exit_code == 0
    assert "--page" in result.output


def test_sources_try_lists_a_saved_list_page_with_its_pagination() -> None:
    result = runner.invoke(app, ["sources", "try", "ndrc-fzggwl", "--page", str(NDRC_LIST)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "25 links" in result.output
    assert "https://www.ndrc.gov.cn/xxgk/zcfb/fzggwl/202604/t20260409_1404577.html" in result.output
    assert "trs pager, 9 pages in all" in result.output
    assert "https://www.ndrc.gov.cn/xxgk/zcfb/fzggwl/index_1.html" in result.output


def test_sources_try_names_links_on_hosts_the_source_does_not_fetch() -> None:
    page = FIXTURES / "real/www.sasac.gov.cn/list_1.html"
    result = runner.invoke(app, ["sources", "try", "sasac-zcfb", "--page", str(page)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "29 links" in result.output
    assert "1 more on hosts this source does not fetch (www.gov.cn)" in result.output


def test_sources_try_reads_a_json_api_response() -> None:
    page = FIXTURES / "real/www.nfra.gov.cn/api_list_001.json"
    result = runner.invoke(app, ["sources", "try", "nfra-zfxxgk", "--page", str(page)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "5 links" in result.output
    assert "SelectByDocId?docId=1255777" in result.output


def test_sources_try_runs_the_extractor_on_a_detail_page() -> None:
    page = FIXTURES / "pages/ndrc_trs.html"
    url = "https://www.ndrc.gov.cn/xxgk/zcfb/tz/202603/t20260327_1404395.html"
    result = runner.invoke(app, ["sources", "try", "ndrc-tz", "--page", str(page), "--url", url], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "read as a document" in result.output
    assert "title:" in result.output and "extraction_status: ok" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ndrc-fzgwl", "--page", str(NDRC_LIST)], "no source named 'ndrc-fzgwl' in the registry (did you mean"),
        (["ndrc-fzggwl", "--page", "/nonexistent/list.html"], "cannot read /nonexistent/list.html"),
    ],
)
def test_sources_try_bad_usage_exits_2_with_one_line(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["sources", "try", *args], env=WIDE)
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_sources_list_shows_whether_each_source_is_verified() -> None:
    result = runner.invoke(app, ["sources", "list"], env=WIDE)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert any("ndrc-fzggwl" in line and "2026-12-02" in line for line in lines)
    assert "ndrc_golden_list_page.html" in result.output
    assert any("miit-zcwj" in line and " no " in line for line in lines)


README_TRIES = re.findall(r"^policywatch (sources try .+)$", (REPO / "README.md").read_text(encoding="utf-8"), re.M)


@pytest.mark.parametrize("command", README_TRIES)
def test_readme_sources_try_commands_run(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = runner.invoke(app, command.split(), env=WIDE)
    assert result.exit_code == 0, result.output
    assert re.search(r"^\d+ links$", result.output, re.M)
