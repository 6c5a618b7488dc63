"""`policywatch bench parse`: CPU per page of the parse stage in one process (the per-core figure).

The pages are the pipeline bench's synthetic detail pages, parsed with the options the pipeline gives
them; the parser is warmed first (taxonomy, segmenter, IDF table), then each pass parses every page.
CPU time is the process's, so another process on the same core does not count against it; the best
pass is the figure, the median says how noisy the machine was. `--profile N` prints the N costliest
functions of one more pass (cProfile, by own time).
"""

from __future__ import annotations

import cProfile
import gc
import io
import pstats
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from flows.bench.app import bench_app
from flows.bench.pipeline import Corpus
from parsers.classify import classify, default_taxonomy
from parsers.extract import extract
from parsers.fingerprint import fingerprint
from parsers.parse import parse_document
from parsers.records import Extraction, ParseOptions

Page = tuple[bytes, ParseOptions]


def synthetic_pages(count: int) -> list[Page]:
    """The pipeline bench's first `count` detail pages, with the options its source gives them."""
    corpus = Corpus(count)
    return [
        (
            corpus.page(i),
            ParseOptions(
                url=f"http://127.0.0.1/doc/{i}.html",
                source_name="synthetic",
                content_type="text/html; charset=utf-8",
                reference_date=date(2026, 12, 2),
                article_link=True,
            ),
        )
        for i in range(count)
    ]


def cpu_passes(work: Callable[[], Any], rounds: int) -> list[float]:
    """CPU seconds of each of `rounds` runs of `work` (a collection before each, none during)."""
    seconds = []
    for _ in range(rounds):
        gc.collect()
        started = time.process_time()
        work()
        seconds.append(time.process_time() - started)
    return seconds


def stage_passes(pages: Sequence[Page], rounds: int) -> dict[str, list[float]]:
    """CPU seconds per pass of the whole parse and of its three costly steps apart."""
    taxonomy = default_taxonomy()
    extractions: list[Extraction] = [extract(data, options) for data, options in pages]
    return {
        "parse_document (all of it)": cpu_passes(lambda: [parse_document(d, o) for d, o in pages], rounds),
        "extract": cpu_passes(lambda: [extract(d, o) for d, o in pages], rounds),
        "classify": cpu_passes(
            lambda: [classify(taxonomy, title=e.title or "", text=e.text) for e in extractions], rounds
        ),
        "fingerprint": cpu_passes(lambda: [fingerprint(e.text) for e in extractions], rounds),
    }


def profile_top(pages: Sequence[Page], top: int) -> str:
    """cProfile of one pass of parse_document: the `top` functions by own time."""
    profiler = cProfile.Profile()
    profiler.runcall(lambda: [parse_document(d, o) for d, o in pages])
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


@bench_app.command("parse")
def bench_parse(
    pages: Annotated[int, typer.Option(help="synthetic detail pages (the pipeline bench's)")] = 2000,
    rounds: Annotated[int, typer.Option(help="timed passes over all pages; the best is reported")] = 5,
    profile: Annotated[int, typer.Option(help="print the N costliest functions of one more pass (0: none)")] = 0,
) -> None:
    """CPU per page of the parse stage (extract, classify, fingerprint) in one process: the per-core figure."""
    corpus = synthetic_pages(pages)
    for data, options in corpus[:20]:  # warm: taxonomy automaton, segmenter, IDF table, lxml
        parse_document(data, options)
    table = Table("step", "best ms/page", "median ms/page", "pages/s per core (best)", title=f"bench parse: {pages}")
    for step, seconds in stage_passes(corpus, rounds).items():
        best, median = min(seconds), statistics.median(seconds)
        table.add_row(step, f"{1000 * best / pages:.3f}", f"{1000 * median / pages:.3f}", f"{pages / best:.0f}")
    Console().print(table)
    if profile:
        typer.echo(profile_top(corpus, profile))  # plain: the profile's lines are wider than a terminal
