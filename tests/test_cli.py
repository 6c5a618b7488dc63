"""The `policywatch` command line: help everywhere, exit codes, `parse --json`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import SEEDS

runner = CliRunner()


@pytest.mark.parametrize("command", [[], ["run"], ["parse"], ["digest"]])
def test_cli_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_cli_parse_json_prints_the_contract_fields() -> None:
    seed = next(SEEDS.glob("003_*.txt"))
    result = runner.invoke(app, ["parse", str(seed), "--json"])
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    contract = {"url", "title", "published_on", "issuers", "source_name", "doc_number", "regions", "doc_type", "text",
                "topics", "relevant"}
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
