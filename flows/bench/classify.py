"""`policywatch bench classify`: quality on the labelled evaluation set, and speed on synthetic documents.

Quality: precision, recall and F1 per industry topic (micro and macro) and relevance accuracy on
tests/fixtures/classify/eval.yaml. Speed: documents per second of `classify` alone over N synthetic
documents of seed size (seed paragraphs recombined deterministically), on one core, with peak memory.
"""

from __future__ import annotations

import os
import random
import re
import resource
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from flows.bench.app import bench_app
from flows.settings import REPO_ROOT
from parsers.classify import Taxonomy, classify, default_taxonomy, load_taxonomy
from parsers.extract import extract
from parsers.records import ParseOptions

EVAL_SET = REPO_ROOT / "tests" / "fixtures" / "classify" / "eval.yaml"
SEEDS = REPO_ROOT / "seeds"
# The PDF seed (002) comes out as one 16 000-character paragraph: cut paragraphs into pieces this long
# so that recombined documents keep the seeds' sizes instead of overshooting them.
PARAGRAPH_LIMIT = 400
_SENTENCE_END = re.compile(r"(?<=[。！？])")


@dataclass(frozen=True, slots=True, kw_only=True)
class EvalDoc:
    """One labelled document: gold topics (required), topics acceptable either way, gold relevance."""

    id: str
    title: str
    text: str
    relevant: bool
    topics: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()


@dataclass(slots=True)
class Counts:
    """True positives, false positives and false negatives of one topic (or of all, for micro)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        """tp / (tp + fp); 1.0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """tp / (tp + fn); 1.0 when nothing was expected."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(slots=True)
class EvalReport:
    """Per-topic counts, relevance hits and the documents the classifier got wrong."""

    per_topic: dict[str, Counts] = field(default_factory=dict)
    relevance_right: int = 0
    documents: int = 0
    mistakes: list[tuple[str, str]] = field(default_factory=list)  # (doc id, what went wrong)

    @property
    def micro(self) -> Counts:
        """Counts summed over topics."""
        total = Counts()
        for c in self.per_topic.values():
            total.tp, total.fp, total.fn = total.tp + c.tp, total.fp + c.fp, total.fn + c.fn
        return total

    def macro(self) -> tuple[float, float, float]:
        """Mean precision, recall and F1 over topics that occur in the gold labels or predictions."""
        seen = [c for c in self.per_topic.values() if c.tp + c.fp + c.fn]
        n = len(seen) or 1
        return (sum(c.precision for c in seen) / n, sum(c.recall for c in seen) / n, sum(c.f1 for c in seen) / n)

    @property
    def relevance_accuracy(self) -> float:
        """Share of documents whose relevant flag matches the gold one."""
        return self.relevance_right / self.documents if self.documents else 1.0


# --- the evaluation set --------------------------------------------------------------------


def load_eval_set(path: Path = EVAL_SET, *, root: Path = REPO_ROOT) -> list[EvalDoc]:
    """The labelled documents; seeds (`path:` entries) are read through the extractor like a nightly run."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))["documents"]
    return [_eval_doc(entry, root) for entry in entries]


def _eval_doc(entry: dict[str, Any], root: Path) -> EvalDoc:
    if "path" in entry:
        file = root / entry["path"]
        extraction = extract(file.read_bytes(), ParseOptions(url=file.resolve().as_uri()))
        title, text = entry.get("title") or extraction.title or "", extraction.text
    else:
        # Folded lines are joined without a separator: Chinese has no spaces between words.
        title, text = entry["title"], "".join(line.strip() for line in entry["text"].splitlines())
    return EvalDoc(
        id=entry["id"],
        title=title,
        text=text,
        relevant=bool(entry["relevant"]),
        topics=frozenset(entry.get("topics") or ()),
        optional=frozenset(entry.get("optional") or ()),
    )


def _with_ancestors(taxonomy: Taxonomy, ids: frozenset[str]) -> frozenset[str]:
    """A vaccines document is also a biomedicine document: close a label set under parents."""
    return ids | {a.id for i in ids for a in taxonomy.ancestors(taxonomy.topic(i))}


def evaluate(taxonomy: Taxonomy, docs: Sequence[EvalDoc]) -> EvalReport:
    """Classify every document and compare with its gold labels (optional topics count neither way)."""
    industry = [t.id for t in taxonomy.topics if t.facet == "industry"]
    report = EvalReport(per_topic={topic_id: Counts() for topic_id in industry})
    for doc in docs:
        result = classify(taxonomy, title=doc.title, text=doc.text)
        gold = _with_ancestors(taxonomy, doc.topics)
        optional = _with_ancestors(taxonomy, doc.optional) - gold
        predicted = {label.topic_id for label in result.topics} - optional
        for topic_id in gold | predicted:
            counts = report.per_topic.setdefault(topic_id, Counts())
            counts.tp += topic_id in gold and topic_id in predicted
            counts.fp += topic_id in predicted and topic_id not in gold
            counts.fn += topic_id in gold and topic_id not in predicted
        report.documents += 1
        report.relevance_right += result.relevant == doc.relevant
        report.mistakes.extend(_mistakes(doc, result.relevant, gold, predicted))
    return report


def _mistakes(doc: EvalDoc, relevant: bool, gold: frozenset[str], predicted: set[str]) -> Iterator[tuple[str, str]]:
    if relevant != doc.relevant:
        yield doc.id, f"relevant={relevant}, expected {doc.relevant}"
    if gold - predicted:
        yield doc.id, "missed " + ", ".join(sorted(gold - predicted))
    if predicted - gold:
        yield doc.id, "extra " + ", ".join(sorted(predicted - gold))


# --- synthetic documents -------------------------------------------------------------------


def seed_paragraphs(root: Path = SEEDS) -> tuple[list[str], list[int]]:
    """The seeds' extracted paragraphs, and each seed's text length (the sizes to imitate)."""
    paragraphs: list[str] = []
    sizes: list[int] = []
    for file in sorted(root.glob("*.txt")):
        text = extract(file.read_bytes(), ParseOptions(url=file.resolve().as_uri())).text
        sizes.append(len(text))
        paragraphs.extend(chunk for p in text.split("\n") for chunk in _chunks(p) if len(chunk) >= 20)
    return paragraphs, sizes


def _chunks(paragraph: str, limit: int = PARAGRAPH_LIMIT) -> Iterator[str]:
    """A paragraph cut at sentence ends into pieces of at most about `limit` characters."""
    piece = ""
    for sentence in _SENTENCE_END.split(paragraph):
        if piece and len(piece) + len(sentence) > limit:
            yield piece
            piece = ""
        piece += sentence
    if piece:
        yield piece


def synthetic_documents(n: int, paragraphs: Sequence[str], sizes: Sequence[int]) -> Iterator[tuple[str, str]]:
    """N (title, text) pairs of seed sizes, paragraphs drawn in a fixed pseudo-random order."""
    rng = random.Random(20_260_501)  # fixed: every run measures the same documents
    for i in range(n):
        target = sizes[i % len(sizes)]
        chosen: list[str] = []
        length = 0
        while length < target:
            chosen.append(rng.choice(paragraphs))
            length += len(chosen[-1]) + 1
        yield chosen[0][:40], "\n".join(chosen[1:] or chosen)


@dataclass(slots=True)
class Speed:
    """Documents classified, their characters, and the wall-clock and CPU seconds spent in classify."""

    documents: int = 0
    chars: int = 0
    wall: float = 0.0
    cpu: float = 0.0


def measure_speed(
    taxonomy: Taxonomy, docs: Iterator[tuple[str, str]], *, tick: Callable[[], None] = lambda: None
) -> Speed:
    """Time classify alone on each document (documents are built outside the clock)."""
    speed = Speed()
    for title, text in docs:
        wall, cpu = time.perf_counter(), time.process_time()
        classify(taxonomy, title=title, text=text)
        speed.wall += time.perf_counter() - wall
        speed.cpu += time.process_time() - cpu
        speed.documents += 1
        speed.chars += len(text)
        tick()
    return speed


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the command ---------------------------------------------------------------------------


@bench_app.command("classify")
def bench_classify(
    synthetic: Annotated[
        int, typer.Option("--synthetic", help="also time classify on N synthetic documents of seed size")
    ] = 0,
    taxonomy_file: Annotated[
        Path | None, typer.Option("--taxonomy", help="taxonomy YAML (default: the packaged one)", dir_okay=False)
    ] = None,
    eval_set: Annotated[Path, typer.Option("--eval-set", help="labelled documents (YAML)", dir_okay=False)] = EVAL_SET,
) -> None:
    """Precision/recall/F1 per topic and relevance accuracy on the eval set; with --synthetic, docs/s."""
    out = Console()
    taxonomy = _taxonomy(taxonomy_file)
    report = evaluate(taxonomy, load_eval_set(eval_set))
    out.print(_quality_table(taxonomy, report))
    for doc_id, what in report.mistakes:
        out.print(f"  [yellow]{doc_id}[/yellow]: {what}", highlight=False)
    if synthetic > 0:
        out.print(_speed_table(taxonomy, synthetic))


def _taxonomy(path: Path | None) -> Taxonomy:
    if path is None:
        return default_taxonomy()
    try:
        return load_taxonomy(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        Console(stderr=True).print(f"[red]policywatch:[/red] {path}: {exc}", highlight=False)
        raise typer.Exit(2) from exc


def _quality_table(taxonomy: Taxonomy, report: EvalReport) -> Table:
    table = Table(
        "topic",
        "name",
        "support",
        "precision",
        "recall",
        "F1",
        title=f"classify quality · {report.documents} documents · taxonomy {taxonomy.version}",
    )
    names = {t.id: t.name for t in taxonomy.topics}
    for topic_id, c in report.per_topic.items():
        table.add_row(topic_id, names.get(topic_id, "?"), str(c.tp + c.fn), *_prf(c.precision, c.recall, c.f1))
    micro = report.micro
    table.add_section()
    table.add_row("micro", "", str(micro.tp + micro.fn), *_prf(micro.precision, micro.recall, micro.f1))
    table.add_row("macro", "", "", *_prf(*report.macro()))
    table.add_row("relevance accuracy", "", str(report.documents), "", "", f"{report.relevance_accuracy:.3f}")
    return table


def _prf(p: float, r: float, f: float) -> tuple[str, str, str]:
    return f"{p:.3f}", f"{r:.3f}", f"{f:.3f}"


def _speed_table(taxonomy: Taxonomy, n: int) -> Table:
    with _one_core():
        return _measure_table(taxonomy, n)


def _measure_table(taxonomy: Taxonomy, n: int) -> Table:
    paragraphs, sizes = seed_paragraphs()
    classify(taxonomy, title="", text="生物医药")  # compile the engine and build jieba outside the clock
    rss_before = peak_rss_mib()
    with Progress(
        TextColumn("classify"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("classify", total=n)
        speed = measure_speed(taxonomy, synthetic_documents(n, paragraphs, sizes), tick=lambda: progress.advance(task))
    # CPU time is what one core spends on us; wall time also counts the moments another process had it.
    table = Table(
        "documents",
        "mean chars",
        "CPU s",
        "docs/s (CPU)",
        "wall s",
        "docs/s (wall)",
        "peak RSS MiB",
        "RSS before MiB",
        title="classify speed · synthetic documents of seed size · one core",
    )
    table.add_row(
        str(speed.documents),
        f"{speed.chars / max(speed.documents, 1):,.0f}",
        f"{speed.cpu:.1f}",
        f"{speed.documents / max(speed.cpu, 1e-9):,.0f}",
        f"{speed.wall:.1f}",
        f"{speed.documents / max(speed.wall, 1e-9):,.0f}",
        f"{peak_rss_mib():.0f}",
        f"{rss_before:.0f}",
    )
    return table


@contextmanager
def _one_core() -> Iterator[None]:
    """Run on one CPU so the figure is per core (Linux only), and give the others back afterwards."""
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)
