"""`policywatch bench extract`: our extractor against trafilatura on a folder of gold pages.

A corpus is a folder of `NAME.html` (or `.pdf`/`.txt`) pages, each with a `NAME.json` gold sidecar holding
`title`, `publish_time` (YYYY-MM-DD or null) and `content` (the main text), the format of
`shared/extraction-dev`. Scoring follows that corpus's README: titles exact after removing all
whitespace (an optional `title_alt` list also counts), dates equal, body text as bag-of-characters F1
over CJK characters, letters and digits.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from flows.bench.app import bench_app
from parsers.decode import decode_bytes
from parsers.extract import extract
from parsers.records import ParseOptions

PAGE_SUFFIXES = (".html", ".htm", ".pdf", ".txt")
# The characters that carry meaning: CJK ideographs, ASCII and full-width letters and digits.
_SCORED = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaffA-Za-z0-9\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class GoldPage:
    """One page of a corpus with its gold fields."""

    name: str
    data: bytes
    url: str | None
    titles: tuple[str, ...]
    date: str | None
    content: str


@dataclass(frozen=True, slots=True)
class Guess:
    """What an extractor returned for one page."""

    title: str | None
    date: str | None
    text: str


@dataclass(frozen=True, slots=True)
class Scores:
    """The figures of one extractor over a corpus."""

    name: str
    title_accuracy: float
    date_accuracy: float
    dated_pages: int
    f1: list[float]
    pages_per_second: float
    worst_page: str


def load_corpus(folder: Path) -> list[GoldPage]:
    """The gold pages of a folder: every page file that has a NAME.json sidecar."""
    pages = []
    for path in sorted(folder.iterdir()):
        sidecar = path.with_suffix(".json")
        if path.suffix.lower() not in PAGE_SUFFIXES or not sidecar.exists():
            continue
        gold: dict[str, Any] = json.loads(sidecar.read_text("utf-8"))
        titles = tuple(t for t in [gold.get("title"), *gold.get("title_alt", [])] if t)
        pages.append(
            GoldPage(path.name, path.read_bytes(), gold.get("url"), titles, gold.get("publish_time"), gold["content"])
        )
    return pages


def char_bag(text: str) -> Counter[str]:
    """The scored characters of a text, lower-cased, as a multiset."""
    return Counter(char.lower() for char in _SCORED.findall(text))


def body_f1(guess: str, gold: str) -> float:
    """Bag-of-characters F1 of a guessed text against the gold text."""
    guessed, expected = char_bag(guess), char_bag(gold)
    overlap = sum((guessed & expected).values())
    if not overlap:
        return 1.0 if not guessed and not expected else 0.0
    precision, recall = overlap / sum(guessed.values()), overlap / sum(expected.values())
    return 2 * precision * recall / (precision + recall)


def title_matches(guess: str | None, titles: Sequence[str]) -> bool:
    """Exact match after removing all whitespace, against the title or one of its alternatives."""
    key = _WHITESPACE.sub("", guess or "")
    if not titles:
        return not key  # a page with no title (a list page): right when none is claimed
    return bool(key) and any(key == _WHITESPACE.sub("", title) for title in titles)


def ours(page: GoldPage) -> Guess:
    """PolicyWatch's extractor."""
    record = extract(page.data, ParseOptions(url=page.url))
    return Guess(record.title, record.published_on.isoformat() if record.published_on else None, record.text)


def trafilatura_guess(page: GoldPage) -> Guess:
    """trafilatura with its metadata, fed the text our decoder produced (it sniffs charsets less well)."""
    import trafilatura

    if page.data.lstrip()[:5] == b"%PDF-":
        return Guess(None, None, "")  # trafilatura reads HTML only
    markup = decode_bytes(page.data).text
    found = trafilatura.bare_extraction(markup, url=page.url, with_metadata=True)
    if not found:
        return Guess(None, None, "")
    doc: dict[str, Any] = found if isinstance(found, dict) else found.as_dict()
    return Guess(doc.get("title"), (doc.get("date") or "")[:10] or None, doc.get("text") or "")


def score(
    name: str, extractor: Callable[[GoldPage], Guess], pages: list[GoldPage], *, repeat: int, progress: Progress
) -> Scores:
    """Run one extractor `repeat` times over the corpus, timing the extraction alone; score the first pass."""
    guesses, elapsed = [], 0.0
    task = progress.add_task(name, total=len(pages) * repeat)
    for page in pages * repeat:
        start = time.perf_counter()
        guesses.append(extractor(page))
        elapsed += time.perf_counter() - start
        progress.advance(task)
    pairs = list(zip(guesses, pages, strict=False))
    f1 = [body_f1(guess.text, page.content) for guess, page in pairs]
    return Scores(
        name=name,
        title_accuracy=_share([title_matches(g.title, p.titles) for g, p in pairs]),
        # A page whose gold has no date scores when the extractor also claims none.
        date_accuracy=_share([g.date == p.date for g, p in pairs]),
        dated_pages=sum(1 for page in pages if page.date),
        f1=f1,
        pages_per_second=len(guesses) / elapsed if elapsed else 0.0,
        worst_page=pages[f1.index(min(f1))].name if f1 else "",
    )


def _share(flags: list[bool]) -> float:
    return sum(flags) / len(flags) if flags else 0.0


def render(results: list[Scores], pages: list[GoldPage]) -> Table:
    """The side-by-side table."""
    dated = results[0].dated_pages if results else 0
    table = Table(title=f"extraction over {len(pages)} pages ({dated} with a gold date)")
    table.add_column("metric")
    for result in results:
        table.add_column(result.name, justify="right")
    rows: list[tuple[str, Callable[[Scores], str]]] = [
        ("title exact", lambda s: f"{s.title_accuracy:.3f}"),
        ("date exact", lambda s: f"{s.date_accuracy:.3f}"),
        ("body F1 mean", lambda s: f"{statistics.fmean(s.f1):.3f}"),
        ("body F1 median", lambda s: f"{statistics.median(s.f1):.3f}"),
        ("body F1 worst", lambda s: f"{min(s.f1):.3f} {s.worst_page}"),
        ("pages/s", lambda s: f"{s.pages_per_second:.1f}"),
    ]
    for label, cell in rows:
        table.add_row(label, *(cell(result) for result in results))
    return table


def per_page(results: list[Scores], pages: list[GoldPage]) -> Table:
    """Body F1 of each page, for finding what to fix."""
    table = Table("page", *(r.name for r in results), title="body F1 per page")
    for index, page in enumerate(pages):
        table.add_row(page.name, *(f"{r.f1[index]:.3f}" for r in results))
    return table


@bench_app.command("extract")
def bench_extract(
    corpus: Annotated[Path, typer.Option("--corpus", help="folder of NAME.html + NAME.json gold pages")],
    pages_detail: Annotated[bool, typer.Option("--per-page", help="also print each page's body F1")] = False,
    repeat: Annotated[int, typer.Option("--repeat", min=1, help="passes over the corpus (steadier speed)")] = 1,
) -> None:
    """Title, date and body-text accuracy and speed of our extractor and trafilatura's, in one run."""
    console = Console()
    if not corpus.is_dir():
        Console(stderr=True).print(f"[red]policywatch:[/red] not a folder: {corpus}")
        raise typer.Exit(2)
    pages = load_corpus(corpus)
    if not pages:
        Console(stderr=True).print(f"[red]policywatch:[/red] no NAME.html + NAME.json pages in {corpus}")
        raise typer.Exit(2)
    with Progress(console=console, transient=True) as progress:
        results = [
            score(name, extractor, pages, repeat=repeat, progress=progress)
            for name, extractor in (("policywatch", ours), ("trafilatura", trafilatura_guess))
        ]
    console.print(render(results, pages))
    console.print(f"speed: policywatch is {results[0].pages_per_second / results[1].pages_per_second:.1f}x trafilatura")
    if pages_detail:
        console.print(per_page(results, pages))
