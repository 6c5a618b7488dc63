"""prefect.yaml for real: a Prefect server on 127.0.0.1, `prefect deploy --all`, a process worker, a run."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from flows.adapters.prefect_server import free_port, stop_process_group
from tests.conftest import REPO, copy_seeds

pytestmark = pytest.mark.slow
PREFECT = [sys.executable, "-m", "prefect"]


def wait_for(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


def healthy(api: str) -> bool:
    try:
        return httpx.get(f"{api}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def server_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": api,
        "POLICYWATCH_HOME": str(tmp_path / "home"),
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "INFO",
    }
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [*PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(lambda: healthy(api), 120, "prefect server")
        yield env
    finally:
        stop_process_group(server)
        log.close()


def prefect(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([*PREFECT, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_deployments_run_on_a_worker(server_env: dict[str, str], tmp_path: Path) -> None:
    prefect(server_env, "work-pool", "create", "policywatch", "--type", "process")
    prefect(server_env, "--no-prompt", "deploy", "--all")
    listed = prefect(server_env, "deployment", "ls")
    assert "nightly-ingest/nightly" in listed
    assert "weekly-digest/weekly" in listed
    sources, db = copy_seeds(tmp_path / "seeds"), tmp_path / "w.duckdb"
    worker_env = {**server_env}
    worker_log = (tmp_path / "worker.log").open("wb")
    # A worker started from a non-interactive shell ignores SIGINT; restore it so SIGTERM/SIGINT stop it.
    worker = subprocess.Popen(
        [*PREFECT, "worker", "start", "--pool", "policywatch"],
        env=worker_env,
        cwd=REPO,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        out = prefect(
            server_env,
            "deployment",
            "run",
            "nightly-ingest/nightly",
            "--param",
            f"sources_file={sources}",
            "--param",
            f"db={db}",
        )
        run_id = next(line.split(":", 1)[1].strip() for line in out.splitlines() if "UUID" in line)
        api = server_env["PREFECT_API_URL"]

        def state() -> str:
            return httpx.get(f"{api}/flow_runs/{run_id}", timeout=5).json()["state"]["type"]

        wait_for(lambda: state() in ("COMPLETED", "FAILED", "CRASHED"), 240, "the flow run to finish")
        assert state() == "COMPLETED", (tmp_path / "worker.log").read_text(errors="replace")[-3000:]
    finally:
        stop_process_group(worker)
        worker_log.close()
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM documents").fetchone() == (5,)


def own_server_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a machine with no Prefect server configured."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(
        {
            "PREFECT_HOME": str(tmp_path / "prefect"),
            "POLICYWATCH_HOME": str(tmp_path / "home"),
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        }
    )
    return env


def test_serve_starts_its_own_server_with_both_deployments_scheduled(tmp_path: Path) -> None:
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen(
        [sys.executable, "-m", "flows", "serve", "--port", str(port)],
        env=own_server_env(tmp_path),
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def deployments() -> dict[str, str]:
        try:
            found = httpx.post(f"{api}/deployments/filter", json={}, timeout=5).json()
        except (httpx.HTTPError, ValueError):
            return {}
        return {d["name"]: d["id"] for d in found} if isinstance(found, list) else {}

    def scheduled(deployment_id: str) -> int:
        body = {
            "deployments": {"id": {"any_": [deployment_id]}},
            "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
        }
        return int(httpx.post(f"{api}/flow_runs/count", json=body, timeout=5).json())

    try:
        wait_for(lambda: {"nightly", "weekly"} <= deployments().keys(), 180, "serve's two deployments")
        ids = deployments()
        wait_for(lambda: all(scheduled(ids[name]) > 0 for name in ("nightly", "weekly")), 120, "their next runs")
    finally:
        stop_process_group(serve)
        log.close()
    assert "nightly-ingest/nightly" in (tmp_path / "serve.log").read_text(errors="replace")
    assert not healthy(api)  # stopping serve stopped the server it started


def test_run_with_no_server_configured_uses_one_of_its_own_and_stops_it(tmp_path: Path) -> None:
    sources, db = copy_seeds(tmp_path / "seeds"), tmp_path / "w.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "flows", "run", "--sources", str(sources), "--db", str(db)],
        cwd=REPO,
        env=own_server_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Starting temporary server" not in done.stdout + done.stderr  # not Prefect's ephemeral API
    assert "View at" not in done.stdout + done.stderr  # its server is gone with it: no dead links
    assert not (tmp_path / "home" / "prefect-server.json").exists()  # nothing for other commands to reuse
    server_log = (tmp_path / "home" / "prefect-server.log").read_text(errors="replace")
    api = re.search(r"PREFECT_API_URL=(http://127\.0\.0\.1:\d+/api)", server_log)
    assert api, server_log[-2000:]
    assert not healthy(api.group(1))
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM documents").fetchone() == (5,)


def test_a_command_killed_with_sigkill_takes_its_prefect_server_with_it(tmp_path: Path) -> None:
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    script = (
        "import time\nfrom flows.settings import load_settings, prepare_prefect_env\n"
        "settings = load_settings()\nprepare_prefect_env(settings)\nfrom flows.adapters.prefect_server import prefect_server\n"
        f"with prefect_server(settings, port={port}):\n    print('up', flush=True)\n    time.sleep(600)\n"
    )
    command = subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO, env=own_server_env(tmp_path), stdout=subprocess.PIPE, text=True
    )
    try:
        assert command.stdout is not None and command.stdout.readline().strip() == "up"
        assert healthy(api)
        command.kill()  # no finally runs in the command
        command.wait(10)
        wait_for(lambda: not healthy(api), 60, "the orphaned server to stop")
    finally:
        command.kill()
