"""`policywatch`: thin commands over flows/ and warehouse/, errors turned into one-line messages."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn
from urllib.parse import urlsplit

import typer

from flows.bench.app import lazy_bench_app
from flows.settings import Settings, load_settings, prepare_prefect_env
from parsers.errors import ConfigError, PolicyWatchError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from flows.tasks.discover import ListPage
    from parsers.records import ParseOptions

# Every module a command needs is imported inside it, and help is click's plain formatting: Typer's
# rich help alone imports ~0.45 s of modules, and `policywatch --help` must start in under 0.5 s.
app = typer.Typer(
    name="policywatch",
    help="Watch Chinese government and news sites for biotech policy; load it into DuckDB; mail a weekly digest.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
DbOption = Annotated[Path | None, typer.Option("--db", help="DuckDB warehouse file")]
SourcesOption = Annotated[Path | None, typer.Option("--sources", help="source registry (sources.yaml)")]


def console() -> Console:
    """Standard error, for progress and one-line failures (a console per use: it follows the terminal now)."""
    from rich.console import Console

    return Console(stderr=True)


def out() -> Console:
    """Standard output, for what a command reports."""
    from rich.console import Console

    return Console()


def new_table(*columns: str, title: str) -> Table:
    """A table to print (rich is imported by the commands that print, not at start)."""
    from rich.table import Table

    return Table(*columns, title=title)


def fail(message: str, code: int) -> NoReturn:
    """Print a one-line reason and exit with the contract's status (1 run failed, 2 bad usage/config)."""
    from rich.markup import escape

    # escaped: a reason quoting `[a-z0-9-]` or a selector must print as written, not as rich markup
    console().print(f"[red]policywatch:[/red] {escape(message)}", highlight=False, soft_wrap=True)
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
    """Settings from the environment plus command-line overrides; a warehouse that is a folder is bad usage."""
    from flows.cli.preflight import check_warehouse_path

    with errors_to_exit():
        settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
        if overrides.get("db") is not None and settings.warehouse is not None:
            raise ConfigError(
                f"--db names a warehouse file but POLICYWATCH_WAREHOUSE names the lake {settings.warehouse}: "
                "drop --db, or unset POLICYWATCH_WAREHOUSE to use the file"
            )
        if "db" in overrides:
            check_warehouse_path(settings.db)
    return settings


def writer_settings(command: str, *, home: bool = True, **overrides: Any) -> Settings:
    """Settings for a command that writes: its folders checked before any start-up, Prefect kept in the data folder.

    `home`: whether it writes in POLICYWATCH_HOME (the page archive, the outbox, Prefect's state); every
    writer writes beside the warehouse (the file and its `.lock`).
    """
    from flows.cli.preflight import require_writable

    settings = settings_for(**overrides)
    with errors_to_exit():
        if settings.warehouse is None:  # a lake's lock lives in its catalog
            require_writable(settings.db.parent, command=command, keeps="the warehouse and its lock file")
        if home:
            require_writable(settings.home, command=command, keeps="its page archive, outbox and Prefect state")
            prepare_prefect_env(settings)
    return settings


def run_flow(label: str, call: Callable[[], Any], settings: Settings, *, heartbeats: bool = True) -> Any:
    """Run a Prefect flow under a spinner; a flow that raises is a failed run (exit 1).

    On the configured Prefect API, else the server `policywatch server start` (or `serve`) keeps running, else
    on a server of our own for the command's duration (Prefect's ephemeral API would load that server, ~70 MB,
    into the process that runs the flow). `heartbeats=False` for a flow of seconds: Prefect's heartbeat
    thread, there to tell a crashed long run, is joined at the flow's end and sleeps in whole seconds (~0.5 s
    added to every run on average).
    """
    from flows.adapters.prefect_server import free_port, prefect_server, without_heartbeats

    pulse = nullcontext() if heartbeats else without_heartbeats()
    with errors_to_exit(), console().status(label), prefect_server(settings, port=free_port(), services=False), pulse:
        try:
            return call()
        except PolicyWatchError:
            raise
        except Exception as exc:
            fail(f"{label.rstrip('.…')} failed: {type(exc).__name__}: {exc}", 1)


@app.command()
def run(
    sources: SourcesOption = None,
    db: DbOption = None,
    backfill: Annotated[bool, typer.Option("--backfill", help="walk every list page up to max_pages")] = False,
) -> None:
    """Run the nightly ingest flow once, now."""
    settings = writer_settings("run", db=db, sources=sources)
    from flows.sources import load_sources
    from warehouse.connection import writer_lock

    with ExitStack() as held:
        with errors_to_exit():
            load_sources(settings.sources)  # a broken registry is bad configuration: say so before starting
            # held from here, not from inside the flow: a second command exits before its Prefect start-up
            held.enter_context(writer_lock(settings.db))
        from flows.ingest import nightly_ingest, summary_rows

        result = run_flow(
            "ingesting…", lambda: nightly_ingest(str(settings.sources), str(settings.db), backfill), settings
        )

    table = new_table("source", "new", "changed", "duplicates", "unchanged", "failed", "status", title="nightly-ingest")
    for name, new, changed, dups, unchanged, failed, error in summary_rows(result):
        status = "[red]failed[/red]" if error else "ok"
        table.add_row(name, str(new), str(changed), str(dups), str(unchanged), str(failed), status)
    out().print(table)
    for attempt in result.attempts:
        if attempt.error:
            out().print(f"  [red]✗[/red] {attempt.source_name}: {attempt.error}", highlight=False, soft_wrap=True)
        elif attempt.drifted:
            out().print(
                f"  [yellow]![/yellow] {attempt.source_name}: {attempt.drift_reason}", highlight=False, soft_wrap=True
            )
    for source, url, error in result.report.errors:
        out().print(f"  [yellow]{source}[/yellow] {url}: {error}", highlight=False, soft_wrap=True)
    out().print(f"warehouse: {settings.where}")


@app.command()
def parse(
    path: Annotated[
        Path,
        typer.Argument(
            help="a saved HTML page, text file or attachment (PDF, DOC, DOCX, WPS, OFD, XLS/XLSX)",
            exists=True,
            dir_okay=False,
        ),
    ],
    url: Annotated[str | None, typer.Option("--url", help="the page's URL (resolves its links)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the record as one JSON object")] = False,
    source: Annotated[
        str | None,
        typer.Option(
            "--source", help="read it as a page of this source (its defaults; for a files source, its manifest)"
        ),
    ] = None,
    sources: SourcesOption = None,
) -> None:
    """Parse one saved page or text file and print the record; writes nothing.

    A file that a `files` source reads is parsed as the nightly run parses it: with its manifest's facts.
    """
    from parsers.parse import parse_document

    try:
        data = path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}", 2)
    record = parse_document(data, _parse_options(path, url, source, sources)).to_json()
    if as_json:
        sys.stdout.write(json.dumps(record, ensure_ascii=False, indent=2) + "\n")
        return
    for key in (
        "title",
        "published_on",
        "issuers",
        "doc_number",
        "regions",
        "mentioned_regions",
        "doc_type",
        "relevant",
        "extraction_status",
    ):
        out().print(f"[bold]{key}[/bold]: {record[key]}", highlight=False)
    if record.get("reason"):  # why a page was rejected (undecodable, empty): the status alone does not say
        out().print(f"[bold]reason[/bold]: {record['reason']}", highlight=False)
    topics = ", ".join(f"{t['topic']} {t['score']:.2f}" for t in record["topics"])
    out().print(f"[bold]topics[/bold]: {topics}", highlight=False)
    out().print(record["text"], highlight=False)


def _parse_options(path: Path, url: str | None, name: str | None, registry: Path | None) -> ParseOptions:
    """The options the nightly run would give the file today: its files source's, the named source's, or none."""
    from dataclasses import replace

    from flows.adapters.clock import utcnow
    from flows.sources import find_source, load_sources
    from flows.tasks.options import file_options, source_defaults
    from parsers.options import page_options

    page_url = url or path.resolve().as_uri()
    with errors_to_exit():
        registry = load_settings(sources=registry).sources
    try:
        configured = load_sources(registry)
    except ConfigError as exc:
        if name:
            fail(str(exc), 2)
        console().print(f"[yellow]policywatch:[/yellow] {exc}; parsed without a source", highlight=False)
        return page_options(url=page_url)
    with errors_to_exit():
        chosen = [find_source(configured, name)] if name else configured
        options = file_options(chosen, path, fetched_on=utcnow().date())
    if options is not None:
        return replace(options, url=url) if url else options
    if name:
        return page_options(url=page_url, source=source_defaults(chosen[0]), fetched_on=utcnow().date())
    return page_options(url=page_url)


@app.command()
def digest(
    week: Annotated[str | None, typer.Option("--week", help="ISO week, e.g. 2026-W47 (default: last complete)")] = None,
    send: Annotated[bool, typer.Option("--send", help="also mail it to POLICYWATCH_DIGEST_TO")] = False,
    out_dir: Annotated[Path | None, typer.Option("--out", help="folder to write the digest to")] = None,
    db: DbOption = None,
    resend: Annotated[bool, typer.Option("--resend", help="with --send: mail again those who already had it")] = False,
) -> None:
    """Write the weekly digest of an ISO week to the outbox (and mail it with --send, once per recipient)."""
    settings = writer_settings("digest", db=db)
    from flows.digest import check_mail_settings, weekly_digest
    from warehouse.weeks import parse_week

    with errors_to_exit():
        if week:
            parse_week(week)
        if send:
            check_mail_settings(settings.smtp)
    label = "writing and sending digest…" if send else "writing digest…"
    files = run_flow(
        label,
        lambda: weekly_digest(week, str(out_dir) if out_dir else None, str(settings.db), send, resend),
        settings,
        heartbeats=False,
    )
    out().print(f"{files.subject}\nhtml: {files.html}\ntext: {files.text}\neml:  {files.eml}", highlight=False)
    if files.documents == 0:
        out().print(empty_week_hint(settings.db, files.week), highlight=False, soft_wrap=True)
    if files.mail is not None:
        out().print(
            f"sent to {len(files.mail.sent)}; already had it (use --resend): {len(files.mail.skipped)}", highlight=False
        )


def empty_week_hint(db: Path, week: str) -> str:
    """What to say when a week's digest is empty: which weeks do hold documents (a new user's demo is this week)."""
    from warehouse.connection import open_reader
    from warehouse.queries import weeks_with_documents

    with open_reader(db) as con:
        weeks = weeks_with_documents(con)
    if not weeks:
        return f"{week} has no new relevant documents, and neither has any other week yet"
    listed = ", ".join(f"{w} ({n})" for w, n in weeks)
    command = f"policywatch digest --week {weeks[0][0]}"
    return f"{week} has no new relevant documents; weeks that have some: {listed} ({command})"


@app.command()
def reclassify(
    db: DbOption = None,
    taxonomy: Annotated[
        Path | None, typer.Option("--taxonomy", help="taxonomy YAML (default: the packaged one)", dir_okay=False)
    ] = None,
) -> None:
    """Apply the current taxonomy to every document in the warehouse, without refetching."""
    from rich.progress import Progress

    from parsers.classify import TaxonomyError, default_taxonomy, load_taxonomy
    from warehouse.reclassify import reclassify_warehouse

    settings = writer_settings("reclassify", home=False, db=db)
    try:
        chosen = load_taxonomy(taxonomy.read_text(encoding="utf-8")) if taxonomy else default_taxonomy()
    except (OSError, TaxonomyError) as exc:
        fail(f"{taxonomy}: {exc}", 2)
    with errors_to_exit(), Progress(console=console(), transient=True) as progress:
        task = progress.add_task("reclassifying", total=None)
        report = reclassify_warehouse(
            settings.db,
            chosen,
            start=lambda n: progress.update(task, total=n),
            tick=lambda n: progress.advance(task, n),
        )
    out().print(
        f"reclassified {report.documents} documents with taxonomy {report.taxonomy_version}: "
        f"{report.labels} labels, relevant {report.relevant_before} → {report.relevant_after}",
        highlight=False,
    )


@app.command()
def reparse(
    sources: SourcesOption = None,
    db: DbOption = None,
) -> None:
    """Parse every archived page again and update the warehouse (after a parser change; no refetching)."""
    settings = writer_settings("reparse", db=db, sources=sources)
    from flows.reparse import reparse_archive

    result = run_flow(
        "re-parsing the archive…", lambda: reparse_archive(str(settings.sources), str(settings.db)), settings
    )
    r = result.report
    out().print(
        f"pages: {result.pages}; documents re-read: {r.updated + r.unchanged} ({r.updated} with new text); "
        f"recovered: {len(r.recovered)} ({result.recovered_new} new documents); still failing: "
        f"{r.still_failing}; failing now (kept as they were): {r.now_failing}; missing from archive: "
        f"{result.missing_raw}",
        highlight=False,
    )


@app.command()
def serve(
    port: Annotated[
        int, typer.Option(help="port of the local Prefect server started when PREFECT_API_URL is unset")
    ] = 4200,
) -> None:
    """Run both schedules here (nightly ingest 02:00, weekly digest Monday 08:00, Asia/Shanghai) until stopped."""
    settings = writer_settings("serve")
    from flows.adapters.prefect_server import prefect_server, serve_schedules

    with errors_to_exit(), prefect_server(settings, port=port, keep_record=True) as api:
        ui = api.removesuffix("/api")
        out().print(
            f"Prefect API {api}; UI {ui} shows the deployments nightly-ingest/nightly and "
            "weekly-digest/weekly with their next runs. Ctrl-C stops.",
            highlight=False,
        )
        serve_schedules(settings)


sources_app = typer.Typer(help="The configured sources.", no_args_is_help=True, rich_markup_mode=None)


@sources_app.command("list")
def sources_list(
    sources: SourcesOption = None,
) -> None:
    """The configured sources, as the registry says."""
    settings = settings_for(sources=sources)
    from flows.sources import load_sources

    with errors_to_exit():
        registry = load_sources(settings.sources)
    table = new_table("name", "kind", "enabled", "verified", "title", "url", title=str(settings.sources))
    for s in registry:
        table.add_row(s.name, s.kind, "yes" if s.enabled else "no", s.verified, s.title, s.url)
    out().print(table)


@sources_app.command("check")
def sources_check(
    sources: SourcesOption = None,
) -> None:
    """Probe each enabled source now (its first list only) and print what it yields."""
    settings = settings_for(sources=sources)
    from flows.cli.probe import probe_sources

    with errors_to_exit():
        results = probe_sources(settings)
    table = new_table("source", "kind", "status", "links", "seconds", "detail", title="sources check")
    for r in results:
        status = "[red]failed[/red]" if not r.ok else "[green]ok[/green]" if r.links else "[yellow]no links[/yellow]"
        table.add_row(r.name, r.kind, status, str(r.links), f"{r.seconds:.1f}", r.detail)
    out().print(table)
    failed = sum(not r.ok for r in results)
    if failed:  # a check that fails says so in its exit status (the web sources need the internet)
        fail(f"{failed} of {len(results)} sources failed the check", 1)
    out().print(f"all {len(results)} sources answered", highlight=False)


@sources_app.command("try")
def sources_try(
    name: Annotated[str, typer.Argument(help="the source entry to run, by name")],
    page: Annotated[Path, typer.Option("--page", help="a saved list page or API response (or a detail page)")],
    url: Annotated[str | None, typer.Option("--url", help="the page's URL (default: the source's url)")] = None,
    sources: SourcesOption = None,
) -> None:
    """Run one source entry's discovery on a saved page and print what it finds (the extractor, for a detail page)."""
    settings = settings_for(sources=sources)
    from flows.cli.probe import try_source
    from flows.sources import find_source, load_sources

    with errors_to_exit():
        source = find_source(load_sources(settings.sources), name)
    try:
        data = page.read_bytes()
    except OSError as exc:
        fail(f"cannot read {page}: {exc.strerror}", 2)
    tried = try_source(source, data, url=url)
    if tried.listed is not None:
        _print_links(tried.listed, f"{source.name} on {page.name} ({tried.url})")
        out().print(f"pagination: {tried.pagination}", highlight=False, soft_wrap=True)
        return
    out().print(f"{tried.why_detail}: read as a document with the source's defaults", highlight=False)
    for key in (
        "title",
        "published_on",
        "issuers",
        "doc_number",
        "regions",
        "mentioned_regions",
        "doc_type",
        "extraction_status",
        "attachments",
    ):
        out().print(f"[bold]{key}[/bold]: {tried.record[key] if tried.record else None}", highlight=False)


def _print_links(listed: ListPage, title: str) -> None:
    table = new_table("#", "date", "title", "url", title=title)
    for column in table.columns[2:]:
        column.overflow = "fold"  # a maintainer checks the whole URL and title, not a cut one
    for number, item in enumerate(listed.items, 1):
        table.add_row(str(number), str(item.published_on or ""), item.title or "", item.url)
    out().print(table)
    out().print(f"{len(listed.items)} links", highlight=False)
    if listed.off_site:
        hosts = sorted({urlsplit(i.url).hostname or "?" for i in listed.off_site})
        out().print(
            f"{len(listed.off_site)} more on hosts this source does not fetch ({', '.join(hosts)}): "
            "skipped; add them to allowed_hosts to take them",
            highlight=False,
            soft_wrap=True,
        )


SEARCH_LIMIT = 10_000  # results a search may ask for: far more than anyone reads, bounded so a typo cannot hang it


@app.command("search")
def search_command(
    query: Annotated[
        str,
        typer.Argument(
            help="words to look for: every part must be in the title or text (substring; traditional and full-width "
            'forms fold); "quoted parts" may hold spaces'
        ),
    ],
    limit: Annotated[int, typer.Option("--limit", help=f"how many results, 1 to {SEARCH_LIMIT:,}")] = 20,
    since: Annotated[str | None, typer.Option("--since", help="published on or after YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option("--until", help="published on or before YYYY-MM-DD")] = None,
    topic: Annotated[str | None, typer.Option("--topic", help="a topic name or id, e.g. 生物制造")] = None,
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            help="a region, e.g. 广东: documents issued by or aimed at it first, then those that only mention it",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="one JSON object per line: doc_id, title, url, published_on, score")
    ] = False,
    db: DbOption = None,
) -> None:
    """Ranked full-text search over the warehouse (its read copy while a run is loading)."""
    from datetime import date

    from parsers.grams import query_parts
    from warehouse.search import search
    from warehouse.snapshot import open_for_reading

    if not 1 <= limit <= SEARCH_LIMIT:
        fail(f"--limit must be 1 to {SEARCH_LIMIT:,}, not {limit}", 2)
    if not query_parts(query):
        fail("the query is empty: give the words to look for", 2)
    try:
        first, last = (date.fromisoformat(d) if d else None for d in (since, until))
    except ValueError as exc:
        fail(f"dates must look like 2024-01-01: {exc}", 2)
    settings = settings_for(db=db)
    with errors_to_exit(), open_for_reading(settings.db) as (con, used):
        hits = search(con, query, limit=limit, since=first, until=last, topic=topic, region=region, snippets=False)
    if as_json:
        for hit in hits:
            record = {"doc_id": hit.doc_id, "title": hit.title, "url": hit.url}
            record |= {"published_on": hit.published_on.isoformat() if hit.published_on else None, "score": hit.score}
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        return
    table = new_table("#", "score", "published", "title", "url", title=f"{query} ({used.name})")
    for rank, hit in enumerate(hits, 1):
        table.add_row(str(rank), f"{hit.score:.2f}", str(hit.published_on or ""), hit.title or "", hit.url or "")
    out().print(table)
    if not hits:
        out().print("no documents match", highlight=False)


@app.command("export")
def export_command(
    out_dir: Annotated[Path, typer.Argument(help="folder to write to (created if missing)", file_okay=False)],
    fmt: Annotated[str, typer.Option("--format", help="file format (parquet)")] = "parquet",
    db: DbOption = None,
) -> None:
    """Every analyst view to Parquet files (documents and weekly_topic_counts partitioned by week)."""
    from warehouse.export import export_parquet
    from warehouse.snapshot import open_for_reading

    if fmt != "parquet":
        fail(f"--format must be parquet, not {fmt!r}", 2)
    settings = settings_for(db=db)
    with errors_to_exit(), open_for_reading(settings.db) as (con, _):
        exported = export_parquet(con, out_dir)
    table = new_table("view", "rows", "path", title=f"export to {out_dir}")
    for item in exported:
        suffix = f" (by {item.partitioned_by})" if item.partitioned_by else ""
        table.add_row(item.view, str(item.rows), f"{item.path}{suffix}")
    out().print(table)


app.add_typer(lazy_bench_app(), name="bench")
app.add_typer(sources_app, name="sources")

from flows.cli.server import server_app  # noqa: E402  (its commands use the helpers above)

app.add_typer(server_app, name="server")


def main() -> None:
    """Console-script entry point.

    A command that ran a flow ends without tearing the interpreter down: freeing Prefect's thousands of modules
    and objects took ~0.6 s of every `run` and `digest` after their work was done. Everything is closed by
    then (warehouse, files, our Prefect server); the exit handlers still run, and the output is flushed.
    """
    try:
        app()
    except SystemExit as done:
        if "prefect" not in sys.modules:
            raise
        import atexit
        import os

        code = done.code if isinstance(done.code, int) else int(done.code is not None)
        if code and not isinstance(done.code, int):  # sys.exit("reason"): printed, status 1, as Python does
            print(done.code, file=sys.stderr)
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
