"""The `policywatch` command line: help everywhere, exit codes, `parse --json`."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
import typer
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import SEEDS, copy_seeds
from tests.fixture_site import write_registry

runner = CliRunner()


def every_command() -> list[list[str]]:
    """The app itself, each command, each group and each command of a group, as argument lists."""
    top = typer.main.get_command(app)
    found: list[list[str]] = [[]]
    for name in top.list_commands(None):  # type: ignore[attr-defined, arg-type]
        found.append([name])
        group = top.get_command(None, name)  # type: ignore[attr-defined, arg-type]
        if hasattr(group, "list_commands"):
            found += [[name, sub] for sub in group.list_commands(None)]
    return found


def test_cli_every_command_lists_the_groups_commands() -> None:
    assert {"parse", "bench", "sources"} <= {c[0] for c in every_command() if c}
    assert {("bench", "extract"), ("sources", "try")} <= {tuple(c) for c in every_command() if len(c) == 2}


@pytest.mark.parametrize("command", every_command(), ids=lambda c: " ".join(c) or "policywatch")
def test_cli_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: policywatch {' '.join(command)}".rstrip())


def test_cli_parse_json_prints_the_contract_fields() -> None:
    seed = next(SEEDS.glob("003_*.txt"))
    result = runner.invoke(app, ["parse", str(seed), "--json"])
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    contract = {
        "url",
        "title",
        "published_on",
        "issuers",
        "source_name",
        "doc_number",
        "regions",
        "doc_type",
        "text",
        "topics",
        "relevant",
    }
    assert contract <= set(record)
    assert record["title"] == "关于印发广东省培育未来生命健康产业集群行动计划的通知"
    assert record["published_on"] == "2024-02-29"
    assert record["relevant"] is True
    assert {"topic", "topic_id", "score", "evidence"} == set(record["topics"][0])


def test_cli_run_with_broken_registry_exits_2(tmp_path: Path, home: Path) -> None:
    registry = tmp_path / "sources.yaml"
    registry.write_text("sources:\n  - name: Bad Name\n    kind: files\n    url: x\n", encoding="utf-8")
    result = runner.invoke(app, ["run", "--sources", str(registry)])
    assert result.exit_code == 2
    assert "name must be" in result.output


def test_cli_digest_rejects_a_malformed_week(home: Path) -> None:
    result = runner.invoke(app, ["digest", "--week", "2026-47"])
    assert result.exit_code == 2
    assert "2026-W47" in result.output


WEB_PAGE = """<html><head><meta charset="utf-8"><title>关于开展创新药临床试验备案的通知</title></head><body>
<h1>关于开展创新药临床试验备案的通知</h1><div class="TRS_Editor"><p>各有关单位：为支持创新药研发，优化临床试验机构备案管理，
现将有关事项通知如下。</p><p>一、备案机构应具备相应条件。二、本通知自印发之日起施行。</p></div></body></html>"""


def web_registry(tmp_path: Path) -> Path:
    source = {
        "name": "nmpa",
        "kind": "html-list",
        "url": "https://www.nmpa.gov.cn/list.html",
        "issuer": "国家药品监督管理局",
        "region": "全国",
    }
    return write_registry(tmp_path / "sources.yaml", [source])


@pytest.mark.parametrize(
    ("named", "expected"),
    [(["--source", "nmpa"], ("国家药品监督管理局", "nmpa")), ([], (None, None))],  # a web page is no file of a source
)
def test_cli_parse_source_gives_the_sources_defaults(
    tmp_path: Path, named: list[str], expected: tuple[str | None, str | None]
) -> None:
    page = tmp_path / "page.html"
    page.write_text(WEB_PAGE, encoding="utf-8")
    result = runner.invoke(app, ["parse", str(page), "--json", "--sources", str(web_registry(tmp_path)), *named])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert ((record["issuers"] or [None])[0], record["source_name"]) == expected


def test_cli_parse_an_unknown_source_exits_2(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(WEB_PAGE, encoding="utf-8")
    result = runner.invoke(app, ["parse", str(page), "--source", "nope", "--sources", str(web_registry(tmp_path))])
    assert result.exit_code == 2
    assert "no source named 'nope'" in result.output


def test_cli_parse_without_a_readable_registry_warns_and_parses(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(WEB_PAGE, encoding="utf-8")
    result = runner.invoke(app, ["parse", str(page), "--json", "--sources", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 0, result.output
    assert "parsed without a source" in result.stderr
    assert json.loads(result.stdout)["title"] == "关于开展创新药临床试验备案的通知"


# The columns of the documents view that `parse --json` prints under the same name.
SHARED_FIELDS = (
    "url",
    "title",
    "published_on",
    "issuers",
    "source_name",
    "doc_number",
    "regions",
    "doc_type",
    "text",
    "relevant",
)


@pytest.mark.usefixtures("prefect_server")
def test_cli_parse_on_a_seed_gives_what_the_warehouse_holds(tmp_path: Path, home: Path) -> None:
    from flows.ingest import nightly_ingest

    registry, db = copy_seeds(tmp_path / "seeds"), tmp_path / "w.duckdb"
    nightly_ingest(str(registry), str(db))
    seed = next(registry.parent.glob("002_*.txt"))  # the manifest names its title, date, issuer and 发文字号
    result = runner.invoke(app, ["parse", str(seed), "--json", "--sources", str(registry)])
    assert result.exit_code == 0, result.output
    parsed = json.loads(result.stdout)
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(
            f"SELECT {', '.join(SHARED_FIELDS)} FROM documents WHERE title = ?", [parsed["title"]]
        ).fetchall()
    assert len(row) == 1
    stored = {k: v.isoformat() if k == "published_on" and v else v for k, v in zip(SHARED_FIELDS, row[0], strict=True)}
    assert {k: parsed[k] for k in SHARED_FIELDS} == stored
    assert (parsed["source_name"], parsed["doc_number"]) == ("seeds", "发改高技〔2021〕1850号")
