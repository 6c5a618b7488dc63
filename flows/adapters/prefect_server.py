"""The Prefect server the commands run their flows on, and `policywatch serve`'s schedules.

A command that runs a flow (`run`, `digest`, `reparse`) uses, in order: the configured API
(PREFECT_API_URL or a profile), the server recorded under POLICYWATCH_HOME by `policywatch server start`
or a running `policywatch serve`, else a server of its own for its duration (20–30 s of start-up).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from flows.settings import Settings
from parsers.errors import ConfigError

NIGHTLY_CRON = "0 2 * * *"  # 02:00 Asia/Shanghai
WEEKLY_CRON = "0 8 * * 1"  # Monday 08:00 Asia/Shanghai
TIMEZONE = "Asia/Shanghai"
SERVER_START_SECONDS = 120
DEFAULT_PORT = 4200  # Prefect's own default: the UI's usual address
RECORD_FILE = "prefect-server.json"  # under POLICYWATCH_HOME: the server other commands reuse
HEALTH_PROBE_SECONDS = 1.0
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


@dataclass(frozen=True)
class ServerRecord:
    """A Prefect server that outlives the command which started it, as recorded under POLICYWATCH_HOME."""

    pid: int
    port: int
    started_at: str  # ISO 8601, UTC
    by: str  # the command that started it: `server start` or `serve`

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def ui(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def record_path(settings: Settings) -> Path:
    return settings.home / RECORD_FILE


def running_server(settings: Settings) -> ServerRecord | None:
    """The recorded server, if its process is alive and its API answers; a record of a dead one is removed."""
    path = record_path(settings)
    record = _read_record(path)
    if record is None:
        return None
    if not _alive(record.pid):
        with suppress(OSError):
            path.unlink()
        return None
    return record if _answers(record.api, timeout=HEALTH_PROBE_SECONDS) else None


@contextmanager
def prefect_server(settings: Settings, *, port: int, services: bool = True, keep_record: bool = False) -> Iterator[str]:
    """The Prefect API for the block: the configured one, else a running server of ours, else one started for the block.

    A server started here stops with the block, and with this process if it dies without running the block's
    end; its flow-run links would be dead once the command ends, so Prefect prints none. `services=False` runs
    its API and UI alone: enough for a flow run, not for schedules. `keep_record` records it under
    POLICYWATCH_HOME while the block runs (`serve`), so that other commands use it meanwhile.
    """
    configured = configured_api()
    if configured:
        yield configured
        return
    running = running_server(settings)
    if running:
        with _pointed_at(running.api):
            yield running.api
        return
    api = f"http://127.0.0.1:{port}/api"
    log = (settings.home / "prefect-server.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-c", _DYING_WITH_US, str(os.getpid()), *_server_command(port, services=services)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_healthy(api, process)
        if keep_record:
            _write_record(settings, ServerRecord(process.pid, port, _now_iso(), by="serve"))
        with _pointed_at(api, links=keep_record):
            yield api
    finally:
        if keep_record:
            _forget(settings, process.pid)
        stop_process_group(process)
        log.close()


def start_background(settings: Settings, *, port: int | None) -> tuple[ServerRecord, bool]:
    """A Prefect server (with its services) that outlives this process; (the record, whether it was started now)."""
    running = running_server(settings)
    if running:
        return running, False
    port = port or (DEFAULT_PORT if _port_free(DEFAULT_PORT) else free_port())
    log = (settings.home / "prefect-server.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, *_server_command(port, services=True)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # out of our process group: Ctrl-C and the end of this command leave it running
    )
    log.close()
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/api", process)
    except BaseException:
        stop_process_group(process)
        raise
    record = ServerRecord(process.pid, port, _now_iso(), by="server start")
    _write_record(settings, record)
    return record, True


def stop_background(settings: Settings, *, grace_seconds: float = 20) -> ServerRecord | None:
    """Stop the recorded server (SIGTERM to its process group, SIGKILL after the grace); None if none runs."""
    path = record_path(settings)
    record = _read_record(path)
    if record is None:
        return None
    if _alive(record.pid):
        with suppress(ProcessLookupError):
            os.killpg(record.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_seconds
        while _alive(record.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _alive(record.pid):
            with suppress(ProcessLookupError):
                os.killpg(record.pid, signal.SIGKILL)
    with suppress(OSError):
        path.unlink()
    return record


def _server_command(port: int, *, services: bool) -> list[str]:
    command = ["-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    return command if services else [*command, "--no-services"]


@contextmanager
def _pointed_at(api: str, *, links: bool = True) -> Iterator[None]:
    """Point this process, and the processes it starts, at `api` for the block; logs drained at its end."""
    from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL, temporary_settings

    # Prefect reads the environment once, at import; the environment is for the processes we start.
    os.environ["PREFECT_API_URL"] = api
    # An empty UI URL is how Prefect is told there is no UI to link to (no "View at …" line).
    updates = {PREFECT_API_URL: api} if links else {PREFECT_API_URL: api, PREFECT_UI_URL: ""}
    try:
        with temporary_settings(updates=updates):
            try:
                yield
            finally:
                _drain_to_api()
    finally:
        os.environ.pop("PREFECT_API_URL", None)


@contextmanager
def without_heartbeats() -> Iterator[None]:
    """Flow runs started in the block send no heartbeats (and so do not wait on the heartbeat thread at their end)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def _write_record(settings: Settings, record: ServerRecord) -> None:
    path = record_path(settings)
    part = path.with_suffix(".part")
    part.write_text(json.dumps(asdict(record)))
    part.replace(path)


def _read_record(path: Path) -> ServerRecord | None:
    """The record at `path`; None when there is none or it cannot be read."""
    try:
        return ServerRecord(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _forget(settings: Settings, pid: int) -> None:
    """Remove the record if it is still the one of process `pid`."""
    path = record_path(settings)
    record = _read_record(path)
    if record is not None and record.pid == pid:
        with suppress(OSError):
            path.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _answers(api: str, *, timeout: float) -> bool:
    try:
        return httpx.get(f"{api}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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
        if _answers(api, timeout=2):
            return
        time.sleep(0.5)
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
