"""`policywatch bench warehouse --docs N`: load rate, cookbook query times, search latency and recall, sizes.

The corpus is synthetic and deterministic: each document is a title and 5–10 paragraphs drawn from the
seed documents' own lines, with 1–3 topics and maybe an instrument, spread over 104 weeks, and a random
(distinct) MinHash-like signature, so no document is a copy of another. Every document goes through
the loader the nightly flow uses (`warehouse.load.RunLoader`: one run and one transaction per `--batch`,
fed `--chunk` documents at a time), then the search index is updated after each commit, as the flow
does. Then the cookbook of docs/warehouse.md and 20 searches are timed, and search's recall is checked
against a brute-force scan (DuckDB `contains` over the raw titles and texts, the LIKE scan a search box
would otherwise run) on random substrings of the corpus.
"""

from __future__ import annotations

import cProfile
import hashlib
import io
import pstats
import random
import re
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from flows.bench.app import bench_app
from flows.settings import REPO_ROOT
from parsers.classify import default_taxonomy
from parsers.links import cited_numbers, cited_titles
from parsers.normalize import normalize_text
from parsers.records import Classification, Extraction, ExtractionStatus, ParsedDocument, TopicLabel
from parsers.run import PageOutcome, SourceAttempt
from warehouse import lake
from warehouse.batches import chunked
from warehouse.connection import open_reader, open_writer
from warehouse.load import RunLoader, index_search
from warehouse.queries import document_ids, documents_with_urls_like, title_and_text
from warehouse.search import matching, scan_matching, search
from warehouse.search_build import index_documents, index_size
from warehouse.search_compact import compact_if_due

START = datetime(2024, 11, 4, 2, 0)  # a Monday: week 0 of the synthetic corpus
WEEKS = 104
REGIONS = ("北京", "上海", "广东", "江苏", "浙江", "山东", "湖北", "四川", "天津", "安徽")
LEVELS = ("central", "provincial", "municipal")
TYPES = ("通知", "意见", "规划", "办法", "方案", "新闻")
QUERIES = (
    "合成生物",
    "生物经济",
    "生物医药 创新",
    "疫苗",
    "细胞治疗",
    "生物制造",
    "基因测序",
    "中医药",
    "生物安全",
    "脑机接口",
    "产业集群",
    "财政资金 补助",
    "人才引进",
    "审评审批",
    "医疗器械",
    '"生物经济先导区"',
    "生物育种",
    "十四五 规划",
    "投资基金",
    "精准医疗",
)
RECALL_SEED, RECALL_SUBSTRINGS = 20, 200  # substrings of 2–6 characters, drawn with a fixed seed
RECALL_APART = 50  # and words of 3–4 characters whose bigrams a document holds apart (the masks' case)
_SQL_BLOCK = re.compile(r"^```sql\n(.*?)^```", re.MULTILINE | re.DOTALL)
_HEADING = re.compile(r"^### (\d+)\. (.+)$", re.MULTILINE)


class Corpus:
    """Deterministic synthetic documents made of the seed documents' lines."""

    def __init__(self, seed: int = 7) -> None:
        lines = []
        for path in sorted((REPO_ROOT / "seeds").glob("*.txt")):
            lines += [line for line in normalize_text(path.read_text(encoding="utf-8")).split("\n") if len(line) > 20]
        self.lines = lines
        taxonomy = default_taxonomy()
        self.topics = [t for t in taxonomy.topics if t.facet == "industry"]
        self.instruments = [t for t in taxonomy.topics if t.facet == "instrument"]
        self.version = taxonomy.version
        self.seed = seed

    def documents(self, start: int, count: int) -> list[tuple[ParsedDocument, datetime, str]]:
        """(document, first seen, url) of documents start … start+count-1."""
        rng = np.random.default_rng([self.seed, start])
        picks = rng.integers(0, len(self.lines), size=(count, 10))
        sizes = rng.integers(5, 11, size=count)
        signatures = rng.integers(0, 2**32, size=(count, 128), dtype=np.uint64)  # 32-bit values, as minhash()
        topic_picks = rng.integers(0, len(self.topics), size=(count, 3))
        return [self._one(start + k, picks[k, : sizes[k]], signatures[k], topic_picks[k]) for k in range(count)]

    def _one(self, i: int, lines: np.ndarray, signature: np.ndarray, topics: np.ndarray) -> tuple[Any, ...]:
        topic = self.topics[int(topics[0])]
        keyword = topic.keywords[i % len(topic.keywords)]
        title = f"关于{REGIONS[i % len(REGIONS)]}{topic.name}{keyword}第{i}号的{TYPES[i % 6]}"
        text = "\n".join(self.lines[int(j)] for j in lines)
        seen = START + timedelta(weeks=(i * 7919) % WEEKS, hours=i % 24)
        chosen = [self.topics[t] for t in dict.fromkeys(int(t) for t in topics[: 1 + i % 3])]
        labels = tuple(
            TopicLabel(topic=t.name, topic_id=t.id, score=2.0 + n, evidence=t.keywords[:2])
            for n, t in enumerate(chosen)
        )
        instruments = (
            ()
            if i % 3
            else (
                TopicLabel(
                    topic=self.instruments[i % len(self.instruments)].name,
                    topic_id=self.instruments[i % len(self.instruments)].id,
                    score=2.0,
                    facet="instrument",
                ),
            )
        )
        extraction = Extraction(
            status=ExtractionStatus.OK,
            title=title,
            text=text,
            published_on=(seen - timedelta(days=i % 5)).date(),
            issuers=("某某厅",),
            regions=(REGIONS[i % len(REGIONS)],),
            level=LEVELS[i % 3],
            doc_type=TYPES[i % 6],
        )
        classification = Classification(
            topics=labels,
            instruments=instruments,
            relevant=i % 10 != 0,
            keywords=(topic.name,),
            summary=text[:100],
            taxonomy_version=self.version,
        )
        digest = hashlib.blake2b(f"{self.seed}:{i}".encode(), digest_size=16).hexdigest()
        url = f"https://bench{i % 50}.gov.cn/policy/{i}.html"
        doc = ParsedDocument(
            url=url,
            source_name=f"bench-{i % 50}",
            extraction=extraction,
            classification=classification,
            content_hash=digest,
            minhash=tuple(signature.tolist()),
            cited_titles=cited_titles(text),
            cited_numbers=cited_numbers(text),
        )
        return doc, seen, url


def _pages(docs: list[tuple[ParsedDocument, datetime, str]]) -> list[PageOutcome]:
    return [
        PageOutcome(
            url=url,
            source_name=doc.source_name or "bench",
            fetched_at=seen,
            raw_sha256="0" * 64,
            raw_size=len(doc.extraction.text),
            document=doc,
        )
        for doc, seen, url in docs
    ]


def load_through_loader(
    con: Any, docs: list[tuple[ParsedDocument, datetime, str]], run_id: str, chunk: int, with_search: bool = True
) -> tuple[float, float]:
    """Seconds the loader takes for one run (its documents fed in chunks, as the parse stage does), and
    seconds the search indexing after its commit takes."""
    pages = _pages(docs)
    attempts = [SourceAttempt(source_name=s, kind="files", ok=True) for s in sorted({p.source_name for p in pages})]
    now = max(p.fetched_at for p in pages)
    started = time.perf_counter()
    with RunLoader(con, run_id=run_id, now=now) as loader:
        for part in chunked(pages, chunk):
            loader.add(part)
        loader.finish(attempts, search=False)
    loaded = time.perf_counter()
    error = index_search(con, now) if with_search else None
    if error:
        raise RuntimeError(error)
    return loaded - started, time.perf_counter() - loaded


def cookbook() -> list[tuple[str, str]]:
    """(label, sql) of each numbered cookbook question of docs/warehouse.md."""
    text = (REPO_ROOT / "docs" / "warehouse.md").read_text(encoding="utf-8")
    out = []
    for match in _SQL_BLOCK.finditer(text):
        headings = _HEADING.findall(text[: match.start()])
        if headings:
            out.append((f"{headings[-1][0]}. {headings[-1][1]}", match.group(1)))
    return out


def best_of(con: Any, sql: str, repeat: int = 3) -> tuple[float, int]:
    """Fastest of `repeat` runs in ms, and the row count."""
    times, rows = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        rows = len(con.execute(sql).fetchall())
        times.append((time.perf_counter() - started) * 1000)
    return min(times), rows


def _batches(total: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, size):
        yield start, min(size, total - start)


@bench_app.command("warehouse")
def bench_warehouse(
    docs: Annotated[int, typer.Option("--docs", help="synthetic documents loaded into the warehouse")] = 50_000,
    batch: Annotated[int, typer.Option("--batch", help="documents per run (one load transaction each)")] = 50_000,
    chunk: Annotated[int, typer.Option("--chunk", help="documents per RunLoader.add call")] = 5_000,
    db: Annotated[Path | None, typer.Option("--db", help="warehouse file (default: a temporary one)")] = None,
    profile: Annotated[bool, typer.Option("--profile", help="profile the second run")] = False,
    with_search: Annotated[bool, typer.Option("--search/--no-search", help="index for search and time it")] = True,
    reuse: Annotated[
        bool, typer.Option("--reuse", help="with --db: skip the load when the file already holds the corpus")
    ] = False,
) -> None:
    """Load rate of the loader, search indexing rate, cookbook query times, search latency and file size."""
    corpus = Corpus()
    scratch = None if db else tempfile.TemporaryDirectory(prefix="pw-bench-")  # removed at the end
    path = db or Path(scratch.name) / "warehouse.duckdb"  # type: ignore[union-attr]  # set when db is None
    results: list[tuple[str, str]] = []
    on_lake = lake.configured()
    with open_writer(path) as con:
        if reuse and db and _holds_corpus(con, docs):  # query iterations: the load of 200 000 takes 15 min
            results.append(("load", f"skipped (--reuse: {path} holds the {docs:,} documents)"))
            if with_search:
                results += _reindex(con)
        else:
            results += _measure_loader(con, corpus, docs, batch, chunk, profile, with_search)
        if on_lake is None:  # a lake's files are written at each commit (its CHECKPOINT compacts them)
            con.execute("CHECKPOINT")
            results.append(("file size", f"{path.stat().st_size / 2**20:,.0f} MiB ({docs:,} documents)"))
        else:
            results.append(("lake", f"{on_lake} ({docs:,} documents)"))
    with open_reader(path) as con:  # as analysts and `policywatch search` read it (the writer's memory is capped)
        results += _measure_queries(con, with_search)
    if scratch is not None:
        scratch.cleanup()
    _print(results, docs)


def _holds_corpus(con: Any, count: int) -> bool:
    """Whether the warehouse holds exactly the first `count` synthetic documents (their urls, one each)."""
    return documents_with_urls_like(con, "https://bench%.gov.cn/policy/%") == (count, count)


def _reindex(con: Any) -> list[tuple[str, str]]:
    """Index what the current scheme lacks (everything after a scheme change, as the next run would), timed;
    then compact the index when due, as the index step does."""
    started = time.perf_counter()
    count = index_documents(con, commit_each=True)
    seconds = time.perf_counter() - started
    rate = f" = {count / seconds:,.0f} docs/s" if count else ""
    rows = [("search index (--reuse: stale documents only)", f"{count:,} documents in {seconds:.1f} s{rate}")]
    started = time.perf_counter()
    if compact_if_due(con, datetime.now(UTC).replace(tzinfo=None)):
        rows.append(("search index compaction", f"{time.perf_counter() - started:.1f} s"))
    return rows


def _measure_loader(
    con: Any, corpus: Corpus, count: int, batch: int, chunk: int, profile: bool, with_search: bool
) -> list[tuple[str, str]]:
    load = index = build = 0.0
    progress = Progress(*Progress.get_default_columns(), console=_console(), transient=True)
    with progress:
        task = progress.add_task("loading", total=count)
        for n, (start, size) in enumerate(_batches(count, batch)):
            began = time.perf_counter()
            docs = corpus.documents(start, size)
            build += time.perf_counter() - began
            profiler = cProfile.Profile() if profile and n == 1 else None
            if profiler:
                profiler.enable()
            seconds, searched = load_through_loader(con, docs, f"bench-{start}", chunk, with_search)
            if profiler:
                profiler.disable()
                stream = io.StringIO()
                pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(15)
                _console().print(stream.getvalue(), highlight=False)
            load, index = load + seconds, index + searched
            progress.advance(task, size)
    rows = [
        (
            "load (RunLoader, one transaction per run)",
            f"{count:,} documents in {load:.1f} s = {count / load:,.0f} docs/s "
            f"(runs of {batch:,}, chunks of {chunk:,}; building the synthetic records took {build:.1f} s more)",
        )
    ]
    if with_search:
        rows.append(
            ("search index (after each commit)", f"{count:,} documents in {index:.1f} s = {count / index:,.0f} docs/s")
        )
    return rows


def _measure_queries(con: Any, with_search: bool) -> list[tuple[str, str]]:
    rows = []
    for label, sql in cookbook():
        ms, count = best_of(con, sql)
        rows.append((f"cookbook {label}", f"{ms:,.0f} ms ({count} rows)"))
    if not with_search:
        return rows
    latencies = []
    for query in QUERIES:
        search(con, query, limit=10, snippets=False)  # warm
        started = time.perf_counter()
        search(con, query, limit=10, since=date(2025, 1, 1), snippets=False)  # as `policywatch search` runs it
        latencies.append((time.perf_counter() - started) * 1000)
    p50 = statistics.median(latencies)
    p95 = statistics.quantiles(latencies, n=20)[-1]
    rows.append(("search latency (20 queries)", f"p50 {p50:,.0f} ms, p95 {p95:,.0f} ms, max {max(latencies):,.0f} ms"))
    grams, size = index_size(con)
    rows.append(("search index size", f"{size / 2**20:,.0f} MiB, {grams:,} gram rows"))
    return rows + _measure_recall(con)


def substrings(con: Any, count: int, seed: int = RECALL_SEED) -> list[str]:
    """`count` random substrings of 2–6 characters without whitespace, from random documents' titles and texts."""
    rng = random.Random(seed)
    ids = document_ids(con)
    out: list[str] = []
    while len(out) < count:
        doc_id = rng.choice(ids)
        title, text = title_and_text(con, doc_id)
        source = rng.choice([title, text]) or text
        size = rng.randint(2, 6)
        start = rng.randrange(max(1, len(source) - size + 1))
        piece = source[start : start + size]
        if len(piece) == size and not any(c.isspace() for c in piece):
            out.append(piece)
    return out


def apart(con: Any, count: int, seed: int = RECALL_SEED) -> list[str]:
    """`count` words of 3–4 characters chained from bigrams one text holds apart: t[i]t[i+1] and t[j]t[j+1]
    with t[i+1] == t[j] give t[i]t[j]t[j+1] (and once more for 4), which the text may or may not hold whole."""
    rng = random.Random(seed)
    ids = document_ids(con)
    out: list[str] = []
    while len(out) < count:
        _, text = title_and_text(con, rng.choice(ids))
        word = text[(at := rng.randrange(max(1, len(text) - 1))) : at + 2]
        for _ in range(rng.randint(1, 2)):
            nexts = [k + 1 for k in range(len(text) - 1) if text[k] == word[-1] and abs(k - at) > 1]
            if not nexts:
                break
            at = rng.choice(nexts)
            word += text[at]
        if len(word) >= 3 and not any(c.isspace() for c in word):
            out.append(word)
    return out


def _measure_recall(con: Any) -> list[tuple[str, str]]:
    """Search's match set against the brute-force scan: every raw hit must be found (folding may add more)."""
    found = expected = 0
    ours, scans = [], []
    for piece in substrings(con, RECALL_SUBSTRINGS) + apart(con, RECALL_APART):
        started = time.perf_counter()
        raw = scan_matching(con, piece)
        scans.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        matched = matching(con, piece)
        ours.append((time.perf_counter() - started) * 1000)
        found, expected = found + len(raw & matched), expected + len(raw)
    recall = found / expected if expected else 1.0
    return [
        (
            "search recall vs scan",
            f"{recall:.3f} ({found:,} of {expected:,} documents, {RECALL_SUBSTRINGS} substrings of 2–6 characters, "
            f"{RECALL_APART} words of 3–4 whose bigrams a text holds apart)",
        ),
        (
            "match set time vs scan",
            f"p50 {statistics.median(ours):,.0f} ms (search.matching), p50 {statistics.median(scans):,.0f} ms (scan)",
        ),
    ]


def _print(results: list[tuple[str, str]], docs: int) -> None:
    table = Table("measure", "result", title=f"bench warehouse --docs {docs:,}")
    for name, value in results:
        table.add_row(name, value)
    Console().print(table)


def _console() -> Console:
    """Standard output, as the terminal (and COLUMNS) of this run has it."""
    return Console()
