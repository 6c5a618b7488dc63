"""`policywatch serve`: both schedules on this machine, with a local Prefect server when none is configured.

The same local server carries the flow of a one-off command (`policywatch run`, `digest`, `reparse`).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import httpx

from flows.settings import Settings
from parsers.errors import ConfigError

NIGHTLY_CRON = "0 2 * * *"  # 02:00 Asia/Shanghai
WEEKLY_CRON = "0 8 * * 1"  # Monday 08:00 Asia/Shanghai
TIMEZONE = "Asia/Shanghai"
SERVER_START_SECONDS = 120
# Starts the server so that it gets SIGTERM when the process that started it dies, even by SIGKILL: Linux's
# PR_SET_PDEATHSIG, set by a Python that then execs the server (it survives exec; elsewhere a no-op). Set
# here, not in a `preexec_fn`: that runs between fork and exec, unsafe in a process with threads.
_DYING_WITH_US = """
import ctypes, os, signal, sys
try:
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)
except (AttributeError, OSError):
    pass
if os.getppid() != int(sys.argv[1]):
    sys.exit(0)  # the process that started us is already gone
os.execv(sys.executable, [sys.executable, *sys.argv[2:]])
"""


@contextmanager
def prefect_server(settings: Settings, *, port: int, services: bool = True) -> Iterator[str]:
    """The configured Prefect API, or a `prefect server start` of our own on 127.0.0.1 for as long as the block runs.

    The server stops with the block, and with this process if it dies without running the block's end.
    `services=False` runs its API and UI alone: enough for a flow run, not for schedules.
    """
    configured = configured_api()
    if configured:
        yield configured
        return
    api = f"http://127.0.0.1:{port}/api"
    log = (settings.home / "prefect-server.log").open("ab")
    server = [
        "-m",
        "prefect",
        "server",
        "start",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *([] if services else ["--no-services"]),
    ]
    process = subprocess.Popen(
        [sys.executable, "-c", _DYING_WITH_US, str(os.getpid()), *server],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_healthy(api, process)
        from prefect.settings import PREFECT_API_URL, temporary_settings

        # Prefect reads the environment once, at import; the environment is for the processes we start.
        os.environ["PREFECT_API_URL"] = api
        with temporary_settings(updates={PREFECT_API_URL: api}):
            try:
                yield api
            finally:
                _drain_to_api()
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        stop_process_group(process)
        log.close()


def _drain_to_api() -> None:
    """Send the logs and events still queued for the server before it stops."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        with suppress(Exception):  # best effort: the run itself is already recorded
            worker.drain_all(timeout=5)


def configured_api() -> str | None:
    """The Prefect API this process is set to use (environment, profile or a test harness), if any."""
    from prefect.settings import get_current_settings

    return os.environ.get("PREFECT_API_URL") or get_current_settings().api.url


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop_process_group(process: subprocess.Popen[bytes], *, grace_seconds: float = 20) -> None:
    """SIGTERM a child started in its own session, and SIGKILL it if it has not ended within the grace."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace_seconds)


def _wait_healthy(api: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ConfigError(f"prefect server exited with status {process.returncode}; see prefect-server.log")
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise ConfigError(f"prefect server did not answer at {api} within {SERVER_START_SECONDS} s")


def serve_schedules(settings: Settings) -> None:
    """Serve nightly-ingest and weekly-digest with their cron schedules until interrupted."""
    from prefect import serve
    from prefect.schedules import Cron

    from flows.digest import weekly_digest
    from flows.ingest import nightly_ingest

    nightly = nightly_ingest.to_deployment(
        name="nightly",
        schedule=Cron(NIGHTLY_CRON, timezone=TIMEZONE),
        concurrency_limit=1,
        parameters={"sources_file": str(settings.sources), "db": str(settings.db)},
        tags=["policywatch", "ingest"],
        description="Visit every enabled source, archive new pages, parse, classify, deduplicate, load.",
    )
    weekly = weekly_digest.to_deployment(
        name="weekly",
        schedule=Cron(WEEKLY_CRON, timezone=TIMEZONE),
        concurrency_limit=1,
        parameters={"db": str(settings.db)},
        tags=["policywatch", "digest"],
        description="The weekly digest of the last complete ISO week (Asia/Shanghai).",
    )
    serve(nightly, weekly)
