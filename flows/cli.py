"""`policywatch`: thin commands over flows/ and warehouse/, errors turned into one-line messages."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from flows.settings import Settings, load_settings, prepare_prefect_env
from parsers.errors import ConfigError, PolicyWatchError

app = typer.Typer(
    name="policywatch",
    help="Watch Chinese government and news sites for biotech policy; load it into DuckDB; mail a weekly digest.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)
out = Console()


def fail(message: str, code: int) -> NoReturn:
    """Print a one-line reason and exit with the contract's status (1 run failed, 2 bad usage/config)."""
    console.print(f"[red]policywatch:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def errors_to_exit() -> Iterator[None]:
    """Turn our exceptions into exit codes: configuration problems 2, anything else 1."""
    try:
        yield
    except ConfigError as exc:
        fail(str(exc), 2)
    except PolicyWatchError as exc:
        fail(str(exc), 1)


def settings_for(**overrides: Any) -> Settings:
    """Settings from the environment plus command-line overrides, with Prefect kept in the data folder."""
    with errors_to_exit():
        settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
    prepare_prefect_env(settings)
    return settings


def run_flow(label: str, call: Callable[[], Any]) -> Any:
    """Run a Prefect flow under a spinner; a flow that raises is a failed run (exit 1)."""
    with errors_to_exit(), console.status(label):
        try:
            return call()
        except PolicyWatchError:
            raise
        except Exception as exc:
            fail(f"{label.rstrip('.…')} failed: {type(exc).__name__}: {exc}", 1)


@app.command()
def run(
    sources: Annotated[Path | None, typer.Option("--sources", help="source registry (sources.yaml)")] = None,
    db: Annotated[Path | None, typer.Option("--db", help="DuckDB warehouse file")] = None,
) -> None:
    """Run the nightly ingest flow once, now."""
    settings = settings_for(db=db, sources=sources)
    from flows.sources import load_sources

    with errors_to_exit():
        load_sources(settings.sources)  # a broken registry is bad configuration: say so before starting
    from flows.ingest import nightly_ingest, summary_rows

    result = run_flow("ingesting…", lambda: nightly_ingest(str(settings.sources), str(settings.db)))
    table = Table("source", "new", "changed", "duplicates", "unchanged", "failed", "error", title="nightly-ingest")
    for row in summary_rows(result):
        table.add_row(*(str(v) for v in row))
    out.print(table)
    for source, url, error in result.report.errors:
        out.print(f"  [yellow]{source}[/yellow] {url}: {error}", highlight=False)
    out.print(f"warehouse: {result.db}")


@app.command()
def parse(
    path: Annotated[Path, typer.Argument(help="a saved HTML page, text file or PDF", exists=True, dir_okay=False)],
    url: Annotated[str | None, typer.Option("--url", help="the page's URL (resolves its links)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the record as one JSON object")] = False,
) -> None:
    """Parse one saved page or text file and print the record; writes nothing."""
    from parsers.parse import parse_document
    from parsers.records import ParseOptions

    try:
        data = path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}", 2)
    record = parse_document(data, ParseOptions(url=url or path.resolve().as_uri())).to_json()
    if as_json:
        sys.stdout.write(json.dumps(record, ensure_ascii=False, indent=2) + "\n")
        return
    for key in ("title", "published_on", "issuers", "doc_number", "regions", "doc_type", "relevant",
                "extraction_status"):
        out.print(f"[bold]{key}[/bold]: {record[key]}", highlight=False)
    topics = ", ".join(f"{t['topic']} {t['score']:.2f}" for t in record["topics"])
    out.print(f"[bold]topics[/bold]: {topics}", highlight=False)
    out.print(record["text"], highlight=False)


@app.command()
def digest(
    week: Annotated[str | None, typer.Option("--week", help="ISO week, e.g. 2026-W47 (default: last complete)")] = None,
    send: Annotated[bool, typer.Option("--send", help="also mail it to POLICYWATCH_DIGEST_TO")] = False,
    out_dir: Annotated[Path | None, typer.Option("--out", help="folder to write the digest to")] = None,
    db: Annotated[Path | None, typer.Option("--db", help="DuckDB warehouse file")] = None,
) -> None:
    """Write the weekly digest of an ISO week to the outbox (and mail it with --send)."""
    settings = settings_for(db=db)
    if send:
        fail("--send is not available yet: mail settings arrive with the mailing work (issue 8)", 2)
    from flows.digest import weekly_digest
    from warehouse.weeks import parse_week

    if week:
        with errors_to_exit():
            parse_week(week)
    files = run_flow("writing digest…", lambda: weekly_digest(week, str(out_dir) if out_dir else None,
                                                              str(settings.db)))
    out.print(f"{files.subject}\nhtml: {files.html}\ntext: {files.text}", highlight=False)


def _register_groups() -> None:
    from flows.bench import bench_app

    app.add_typer(bench_app, name="bench")


_register_groups()


def main() -> None:
    """Console-script entry point."""
    app()
