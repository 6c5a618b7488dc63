"""A throwaway PostgreSQL cluster for tests: Debian's binaries, a temp folder, a free loopback port, trust auth."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SUPERUSER = "pw"


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian: /usr/lib/postgresql/N/bin), or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _as_owner(command: list[str]) -> list[str]:
    """initdb and pg_ctl refuse root: as root, run them as the `postgres` user the Debian package creates."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def cluster() -> Iterator[str]:
    """Start a cluster in a temp folder; yield the libpq conninfo of its `postgres` database; stop and remove it."""
    bin_dir = binaries()
    if bin_dir is None:
        raise FileNotFoundError("no PostgreSQL binaries (apt-get install postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="pw-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    data, port = folder / "data", _free_port()
    quiet = {"check": True, "capture_output": True}
    try:
        subprocess.run(_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", SUPERUSER]), **quiet)
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        ctl = [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-o", options, "-w"]
        subprocess.run(_as_owner([*ctl, "start"]), **quiet)
        try:
            yield f"host=127.0.0.1 port={port} user={SUPERUSER} dbname=postgres"
        finally:
            subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]), **quiet)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def create_database(admin_dsn: str, name: str, *, template: str = "template1") -> str:
    """A new database in the cluster (empty, or a copy of `template`); its conninfo."""
    import psycopg

    with psycopg.connect(admin_dsn, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return admin_dsn.replace("dbname=postgres", f"dbname={name}")
