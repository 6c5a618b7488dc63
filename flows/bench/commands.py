"""`policywatch bench commands`: wall time of the everyday commands, with a Prefect server running and without.

A fresh home with the seeds alone (no web source: nothing here needs the internet) is loaded once; then
each command runs `--repeat` times as a user types it, the real console script in a subprocess: `--help`,
`search`, the digest of the current week, and a run that finds nothing new. First with the server
`policywatch server start` keeps in the background (the targets of issue 23), then, as the peer, `run` and
`digest` with no server to reuse (each starts its own, as every command did before).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.table import Table

from flows.adapters.prefect_server import free_port
from flows.bench.app import bench_app
from flows.settings import REPO_ROOT

# Issue 23's targets, wall seconds with a server already running.
TARGETS = {"--help": 0.5, "search": 0.5, "digest": 3.0, "run (no change)": 5.0}


def seeds_only(target: Path) -> Path:
    """A copy of the seed folder whose registry holds the seed source alone; the registry's path."""
    shutil.copytree(REPO_ROOT / "seeds", target)
    registry = yaml.safe_load((target / "sources.yaml").read_text(encoding="utf-8"))
    registry["sources"] = [s for s in registry["sources"] if s["kind"] == "files"]
    (target / "sources.yaml").write_text(yaml.safe_dump(registry, allow_unicode=True), encoding="utf-8")
    return target / "sources.yaml"


class Commands:
    """The console script in a subprocess, with its own home and no Prefect server configured."""

    def __init__(self, home: Path) -> None:
        script = Path(sys.executable).with_name("policywatch")
        self.program = [str(script)] if script.exists() else [sys.executable, "-m", "flows"]
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("POLICYWATCH_", "PREFECT_"))}
        self.env["POLICYWATCH_HOME"] = str(home)

    def timed(self, *args: str) -> float:
        started = time.perf_counter()
        done = subprocess.run([*self.program, *args], env=self.env, capture_output=True, text=True, timeout=600)
        elapsed = time.perf_counter() - started
        if done.returncode:
            raise RuntimeError(f"policywatch {' '.join(args)} failed: {done.stderr.strip()[-400:]}")
        return elapsed


@bench_app.command("commands")
def bench_commands(
    repeat: Annotated[int, typer.Option(help="runs of each command with the server running", min=1)] = 5,
    peer: Annotated[bool, typer.Option(help="also time run and digest with no server to reuse (~30 s each)")] = True,
) -> None:
    """Wall seconds of --help, search, digest and a no-change run, server running; the peer: no server."""
    from warehouse.weeks import current_week_now

    week = current_week_now()
    with tempfile.TemporaryDirectory(prefix="pw-bench-commands-") as folder:
        home = Path(folder) / "home"
        home.mkdir()
        registry = str(seeds_only(Path(folder) / "seeds"))
        commands = Commands(home)
        cases = {
            "--help": ("--help",),
            "search": ("search", "合成生物"),
            "digest": ("digest", "--week", week),
            "run (no change)": ("run", "--sources", registry),
        }
        peers: dict[str, float] = {}
        if peer:
            commands.timed(*cases["run (no change)"])  # the first run loads the seeds
            peers["run (no change)"] = commands.timed(*cases["run (no change)"])
            peers["digest"] = commands.timed(*cases["digest"])
        commands.timed("server", "start", "--port", str(free_port()))
        try:
            commands.timed("run", "--sources", registry)
            times = {name: [commands.timed(*args) for _ in range(repeat)] for name, args in cases.items()}
        finally:
            commands.timed("server", "stop")
    table = Table(
        "command",
        "target s",
        "median s",
        "max s",
        "met",
        "no server (peer) s",
        title=f"bench commands: seeds only, {repeat} runs each, a Prefect server running",
    )
    for name, samples in times.items():
        median = statistics.median(samples)
        table.add_row(
            name,
            f"< {TARGETS[name]:g}",
            f"{median:.2f}",
            f"{max(samples):.2f}",
            "yes" if median < TARGETS[name] else "no",
            f"{peers[name]:.1f}" if name in peers else "",
        )
    Console().print(table)
