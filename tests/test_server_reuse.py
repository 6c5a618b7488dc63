"""`policywatch server start`: one Prefect server in the background that run and digest reuse.

The real console script in subprocesses, with no PREFECT_API_URL: after `server start`, run and digest run
their flows on that server, whose API then lists them, and print links to it. (A command with no server to
reuse, which starts its own and prints no links: tests/test_deployment.py.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from flows.adapters.prefect_server import free_port
from tests.conftest import REPO, copy_seeds
from warehouse.weeks import SHANGHAI

pytestmark = pytest.mark.slow


def policywatch(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POLICYWATCH_", "PREFECT_"))}
    env |= {"POLICYWATCH_HOME": str(home), "COLUMNS": "300", "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "flows", *args], env=env, cwd=home.parent, capture_output=True, text=True, timeout=240
    )


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def flow_run_names(port: int) -> list[str]:
    response = httpx.post(f"http://127.0.0.1:{port}/api/flow_runs/filter", json={}, timeout=10)
    response.raise_for_status()
    return [run["name"] for run in response.json()]


def test_run_and_digest_reuse_the_background_server(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    registry = copy_seeds(tmp_path / "seeds")

    port = free_port()
    started = policywatch("server", "start", "--port", str(port), home=home)
    assert started.returncode == 0, started.stderr
    assert f"UI http://127.0.0.1:{port}" in started.stdout
    try:
        pid = int(started.stdout.split("(pid ")[1].split(")")[0])
        again = policywatch("server", "start", home=home)
        assert "already running" in again.stdout and f"(pid {pid})" in again.stdout
        assert policywatch("server", "status", home=home).returncode == 0

        rerun = policywatch("run", "--sources", str(registry), home=home)
        assert rerun.returncode == 0, rerun.stderr
        assert f"View at http://127.0.0.1:{port}/runs/flow-run/" in rerun.stdout + rerun.stderr
        days = {f"{datetime.now(SHANGHAI):%Y-%m-%d}"}
        digest = policywatch("digest", "--week", "2026-W01", home=home)
        days.add(f"{datetime.now(SHANGHAI):%Y-%m-%d}")
        assert digest.returncode == 0, digest.stderr
        names = flow_run_names(port)
        assert any(name.startswith("ingest ") for name in names), names
        assert {f"digest {day}" for day in days} & set(names), names  # named by the Shanghai day, as the nightly
    finally:
        stopped = policywatch("server", "stop", home=home)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout, stopped.stderr
    assert not alive(pid)
    status = policywatch("server", "status", home=home)
    assert status.returncode == 1
    assert len(status.stderr.strip().splitlines()) == 1 and "no Prefect server" in status.stderr


def test_a_dead_servers_record_is_ignored_and_removed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    record = home / "prefect-server.json"
    record.write_text(f'{{"pid": {dead.stdout.strip()}, "port": 9, "started_at": "x", "by": "server start"}}')
    status = policywatch("server", "status", home=home)
    assert status.returncode == 1
    assert not record.exists()
    assert policywatch("server", "stop", home=home).stdout.strip() == "no Prefect server was running"


def test_without_heartbeats_turns_them_off_for_the_block_only() -> None:
    from prefect.settings import get_current_settings

    from flows.adapters.prefect_server import without_heartbeats

    before = get_current_settings().flows.heartbeat_frequency
    with without_heartbeats():
        assert get_current_settings().flows.heartbeat_frequency is None
    assert get_current_settings().flows.heartbeat_frequency == before is not None
