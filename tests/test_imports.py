"""Cheap to import: an error type, a record or the CLI's help loads no heavy dependency (fresh interpreters)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import parsers

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("lxml", "numpy", "jieba", "rjieba", "duckdb", "prefect", "pyarrow")
# What `policywatch --help` does not need either: rich is loaded by the commands that print tables.
HELP_NEEDS_NONE_OF = (*HEAVY, "rich", "httpx", "yaml", "click")


def loaded_after(code: str) -> set[str]:
    """Top-level packages in sys.modules after running `code` in a new interpreter."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    run = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    return set(json.loads(run.stdout.splitlines()[-1]))


@pytest.mark.parametrize("module", ["parsers", "parsers.errors", "parsers.records", "parsers.options"])
def test_imports_core_names_load_nothing_heavy(module: str) -> None:
    assert loaded_after(f"import {module}") & set(HEAVY) == set()


def test_imports_policywatch_help_loads_nothing_it_does_not_show() -> None:
    code = "from flows.cli import app\ntry:\n    app(['--help'])\nexcept SystemExit:\n    pass"
    assert loaded_after(code) & set(HELP_NEEDS_NONE_OF) == set()


def test_imports_the_flows_load_no_browser_until_a_browser_source_needs_one() -> None:
    assert "playwright" not in loaded_after("import flows.ingest, flows.cli.probe, flows.adapters.fetch_modes")


def test_imports_the_parser_loads_on_first_use() -> None:
    assert "lxml" in loaded_after("import parsers\nparsers.parse_document")


@pytest.mark.parametrize("name", parsers.__all__)
def test_imports_every_exported_name_resolves(name: str) -> None:
    assert getattr(parsers, name) is not None


def test_imports_search_query_path_loads_no_indexing_or_pipeline_package(tmp_path: Path) -> None:
    from warehouse.connection import open_writer

    db = tmp_path / "w.duckdb"
    with open_writer(db):  # a migrated, empty warehouse: the query runs every statement of the search
        pass
    code = (
        "from flows.cli import app\ntry:\n"
        f"    app(['search', '合成生物 \"細胞 治療\" a', '--json', '--db', {str(db)!r}])\n"
        "except SystemExit as exc:\n    assert not exc.code, exc.code"
    )
    assert loaded_after(code) & {"pyarrow", "jieba", "lxml", "numpy", "prefect", "opencc", "pandas"} == set()
