"""The `policywatch bench` command group, whose benchmarks are imported only to be shown or run.

Each benchmark registers itself on `bench_app` from its own module (`flows/bench/<name>.py`, command
`bench <name>`); `policywatch --help` and the other commands never import them (numpy, datasketch,
trafilatura, the warehouse).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:
    from typer import _click as click  # Typer carries its own click: the package `click` costs 0.1 s to import

HELP = "Benchmarks: speed and quality figures, compared with a named peer in the same run."
# Module names = command names.
BENCHES = ("attachments", "browser", "classify", "commands", "dedup", "extract", "fetch", "pipeline", "warehouse")
bench_app = typer.Typer(help=HELP, no_args_is_help=True, rich_markup_mode=None)


class LazyBenchGroup(TyperGroup):
    """`policywatch bench`: knows its benchmarks by name, imports one when it is shown or run."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The benchmarks' names, without importing them."""
        return list(BENCHES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import one benchmark's module (it registers its command) and hand over that command."""
        if cmd_name not in BENCHES:
            return None
        import_module(f"flows.bench.{cmd_name}")
        return typer.main.get_group(bench_app).get_command(ctx, cmd_name)


def lazy_bench_app() -> typer.Typer:
    """The group `policywatch` adds as `bench`: its help is known now, its commands load on use."""
    return typer.Typer(help=HELP, no_args_is_help=True, rich_markup_mode=None, cls=LazyBenchGroup)
