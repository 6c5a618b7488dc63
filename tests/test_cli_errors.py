"""The real console script on broken set-ups: one line on standard error, the contract's exit status, no traceback.

Each case fails before any Prefect start-up, so each subprocess takes well under a second.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.warehouse_corpus import corpus_copy


def policywatch(
    *args: str, home: Path, read_only: bool = False, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m flows ARGS` with POLICYWATCH_HOME=home, on a read-only mount of it when asked."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POLICYWATCH_", "PREFECT_"))}
    env |= {"POLICYWATCH_HOME": str(home), "COLUMNS": "300", "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "flows", *args]
    if read_only:
        command = read_only_mount(home) + command
    return subprocess.run(command, env=env, cwd=cwd or home.parent, capture_output=True, text=True, timeout=60)


def read_only_mount(folder: Path) -> list[str]:
    """A command prefix that runs the rest with `folder` mounted read-only (as root, chmod stops nothing)."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return []
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode:
        pytest.skip("no mount namespace here to make a folder read-only for root")
    script = 'mount --bind -o ro "$1" "$1" && shift && exec "$@"'
    return ["unshare", "-m", "sh", "-c", script, "sh", str(folder)]


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The whole of standard error, asserted to be one line and no traceback."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.fixture
def empty_home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


@pytest.fixture
def full_home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    corpus_copy(folder)
    return folder


# Each writer once, empty or holding data (a subprocess each: the cases are few so that the file stays quick).
@pytest.mark.parametrize(
    ("command", "data"),
    [("run", False), ("run", True), ("digest", True), ("reclassify", True), ("reparse", False), ("serve", False)],
)
def test_cli_writer_on_a_read_only_home_names_the_folder(tmp_path: Path, command: str, data: bool) -> None:
    home = tmp_path / "home"
    home.mkdir()
    if data:
        corpus_copy(home)
    result = policywatch(command, home=home, read_only=True)
    line = one_line(result)
    assert result.returncode == 2
    assert f"{home} is on a read-only file system" in line or f"{home} is not writable" in line
    assert f"policywatch {command}" in line and "writable" in line


def test_cli_search_works_on_a_read_only_home_with_data(full_home: Path) -> None:
    result = policywatch("search", "疫苗", "--json", home=full_home, read_only=True)
    assert result.returncode == 0, result.stderr
    assert "上海市卫生健康委员会关于做好疫苗接种服务工作的通知" in result.stdout


def test_cli_export_works_from_a_read_only_home_with_data(full_home: Path, tmp_path: Path) -> None:
    result = policywatch("export", str(tmp_path / "out"), home=full_home, read_only=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "runs.parquet").exists()


def test_cli_search_on_an_empty_read_only_home_says_run_first(empty_home: Path) -> None:
    result = policywatch("search", "疫苗", home=empty_home, read_only=True)
    assert result.returncode == 1
    assert "run `policywatch run` first" in one_line(result)


@pytest.mark.parametrize(
    "command",
    [["run"], ["digest"], ["reclassify"], ["search", "疫苗"]],
    ids=lambda c: c[0],
)
def test_cli_db_that_is_a_folder_is_bad_usage_in_one_line(empty_home: Path, command: list[str]) -> None:
    folder = empty_home / "a-folder"
    folder.mkdir()
    result = policywatch(*command, "--db", str(folder), home=empty_home)
    assert result.returncode == 2
    assert f"the warehouse {folder} is a folder" in one_line(result)
    assert sorted(p.name for p in empty_home.iterdir()) == ["a-folder"]  # no Prefect state, no lock: it stopped first


@pytest.mark.parametrize("command", [["run"], ["digest"]], ids=lambda c: c[0])
def test_cli_db_that_is_a_text_file_is_refused_before_any_start_up(empty_home: Path, command: list[str]) -> None:
    notes = empty_home / "notes.txt"
    notes.write_text("my notes\n", encoding="utf-8")
    result = policywatch(*command, "--db", str(notes), home=empty_home)
    assert result.returncode == 1
    assert f"{notes} is not a DuckDB warehouse" in one_line(result)
    assert sorted(p.name for p in empty_home.iterdir()) == ["notes.txt"]  # no notes.txt.lock, no prefect/
    assert notes.read_text(encoding="utf-8") == "my notes\n"


def test_cli_typo_in_the_registry_names_the_key_meant(empty_home: Path) -> None:
    registry = empty_home / "sources.yaml"
    registry.write_text("sources:\n  - name: seeds\n    kindd: files\n    url: seeds\n", encoding="utf-8")
    result = policywatch("run", "--sources", str(registry), home=empty_home)
    assert result.returncode == 2
    assert one_line(result) == "policywatch: source seeds: unknown key kindd (did you mean kind?)"


def test_cli_sources_check_fails_when_a_source_fails(empty_home: Path) -> None:
    docs = empty_home / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("关于支持生物医药产业发展的通知\n", encoding="utf-8")
    registry = empty_home / "sources.yaml"
    registry.write_text(
        "sources:\n  - name: here\n    kind: files\n    url: docs\n"
        "  - name: gone\n    kind: files\n    url: missing/*.txt\n",
        encoding="utf-8",
    )
    result = policywatch("sources", "check", "--sources", str(registry), home=empty_home)
    assert result.returncode == 1
    assert one_line(result) == "policywatch: 1 of 2 sources failed the check"
    assert "here" in result.stdout and "gone" in result.stdout


def test_cli_parse_shows_why_an_empty_file_gives_no_document(empty_home: Path) -> None:
    empty = empty_home / "empty.txt"
    empty.write_bytes(b"")
    result = policywatch("parse", str(empty), home=empty_home)
    assert result.returncode == 0, result.stderr
    assert "extraction_status: empty" in result.stdout
    assert "reason: no bytes" in result.stdout
