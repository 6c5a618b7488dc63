"""Shared fixtures: an offline Prefect test server, temporary data folders, a migrated warehouse."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

# Prefect reads its settings at import: keep it offline and out of $HOME before anything imports it.
_PREFECT_HOME = Path(tempfile.mkdtemp(prefix="pw-prefect-"))
os.environ["PREFECT_HOME"] = str(_PREFECT_HOME)
os.environ["DO_NOT_TRACK"] = "1"
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"
for _name in [n for n in os.environ if n.startswith("POLICYWATCH_")]:
    del os.environ[_name]

import duckdb  # noqa: E402
import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
FIXTURES = Path(__file__).with_name("fixtures")


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One Prefect test server for the whole session (about 15 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh POLICYWATCH_HOME."""
    folder = tmp_path / "pw-home"
    folder.mkdir()
    monkeypatch.setenv("POLICYWATCH_HOME", str(folder))
    return folder


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A migrated, empty warehouse on a real DuckDB file."""
    from warehouse.connection import open_writer

    with open_writer(tmp_path / "warehouse.duckdb") as con:
        yield con


def copy_seeds(target: Path) -> Path:
    """A copy of the seed folder (documents, manifest) with a registry of the seed source alone.

    The default registry also names the real government sites; tests never reach the internet.
    """
    from flows.bench.commands import seeds_only

    return seeds_only(target)
