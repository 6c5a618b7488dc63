"""`policywatch server start|stop|status`: a Prefect server in the background that every command reuses."""

from __future__ import annotations

from typing import Annotated

import typer

from flows.cli import errors_to_exit, fail, out, settings_for, writer_settings

server_app = typer.Typer(
    help="A local Prefect server in the background: run, digest and reparse use it instead of starting their own.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@server_app.command("start")
def server_start(
    port: Annotated[
        int | None, typer.Option(help="port on 127.0.0.1 (default 4200, else a free one)", min=1, max=65535)
    ] = None,
) -> None:
    """Start the server (with its scheduler services) unless one already runs; it keeps running after this command."""
    settings = writer_settings("server start")
    from flows.adapters.prefect_server import start_background

    with errors_to_exit(), out().status("starting the Prefect server…"):
        record, started = start_background(settings, port=port)
    verb = "started" if started else "already running"
    out().print(
        f"Prefect server {verb}: UI {record.ui}, API {record.api} (pid {record.pid}); "
        "`policywatch server stop` stops it",
        highlight=False,
        soft_wrap=True,
    )


@server_app.command("stop")
def server_stop() -> None:
    """Stop the server `server start` (or a running `serve`) recorded under POLICYWATCH_HOME."""
    settings = settings_for()
    from flows.adapters.prefect_server import stop_background

    with errors_to_exit():
        record = stop_background(settings)
    out().print(f"Prefect server stopped (pid {record.pid})" if record else "no Prefect server was running")


@server_app.command("status")
def server_status() -> None:
    """Say whether a recorded server answers (exit 0) or not (exit 1)."""
    settings = settings_for()
    from flows.adapters.prefect_server import running_server

    record = running_server(settings)
    if record is None:
        fail("no Prefect server is running here (`policywatch server start` starts one)", 1)
    out().print(
        f"Prefect server running: UI {record.ui}, API {record.api} (pid {record.pid}, started {record.started_at} "
        f"by `policywatch {record.by}`)",
        highlight=False,
        soft_wrap=True,
    )
