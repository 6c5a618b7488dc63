"""The `policywatch bench` command group; each benchmark registers itself from its own module."""

import typer

bench_app = typer.Typer(
    help="Benchmarks: speed and quality figures, compared with a named peer in the same run.",
    no_args_is_help=True,
)
