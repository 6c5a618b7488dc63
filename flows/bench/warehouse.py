"""`policywatch bench warehouse --docs N`: load rate, cookbook query times, search latency, file size.

The corpus is synthetic and deterministic: each document is a title and 5–10 paragraphs drawn from the
seed documents' own lines, with 1–3 topics and maybe an instrument, spread over 104 weeks, and a random
(distinct) MinHash-like signature, so no document is a copy of another. The first `--loader-docs`
documents go through the public loader (`warehouse.load.load_run`, one run per `--batch`); the rest
through a pure Arrow bulk insert of the same rows (the headroom the loader could reach). Then
everything is indexed for search, and the cookbook of docs/warehouse.md and 20 searches are timed.
"""

from __future__ import annotations

import cProfile
import hashlib
import io
import pstats
import re
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pyarrow as pa
import typer
from rich.console import Console
from rich.table import Table

from flows.bench.app import bench_app
from flows.settings import REPO_ROOT
from parsers.classify import default_taxonomy
from parsers.dedup import band_keys_many
from parsers.normalize import normalize_text
from parsers.records import Classification, Extraction, ExtractionStatus, ParsedDocument, TopicLabel
from warehouse.connection import open_writer
from warehouse.load import PageOutcome, SourceAttempt, load_run
from warehouse.search import index_documents, search
from warehouse.weeks import iso_week

console = Console()
START = datetime(2024, 11, 4, 2, 0)  # a Monday: week 0 of the synthetic corpus
WEEKS = 104
REGIONS = ("北京", "上海", "广东", "江苏", "浙江", "山东", "湖北", "四川", "天津", "安徽")
LEVELS = ("central", "provincial", "municipal")
TYPES = ("通知", "意见", "规划", "办法", "方案", "新闻")
QUERIES = ("合成生物", "生物经济", "生物医药 创新", "疫苗", "细胞治疗", "生物制造", "基因测序", "中医药",
           "生物安全", "脑机接口", "产业集群", "财政资金 补助", "人才引进", "审评审批", "医疗器械",
           '"生物经济先导区"', "生物育种", "十四五 规划", "投资基金", "精准医疗")
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
        labels = tuple(TopicLabel(topic=t.name, topic_id=t.id, score=2.0 + n, evidence=t.keywords[:2])
                       for n, t in enumerate(chosen))
        instruments = () if i % 3 else (TopicLabel(topic=self.instruments[i % len(self.instruments)].name,
                                                   topic_id=self.instruments[i % len(self.instruments)].id,
                                                   score=2.0, facet="instrument"),)
        extraction = Extraction(status=ExtractionStatus.OK, title=title, text=text,
                                published_on=(seen - timedelta(days=i % 5)).date(), issuers=("某某厅",),
                                regions=(REGIONS[i % len(REGIONS)],), level=LEVELS[i % 3], doc_type=TYPES[i % 6])
        classification = Classification(topics=labels, instruments=instruments, relevant=i % 10 != 0,
                                        keywords=(topic.name,), summary=text[:100], taxonomy_version=self.version)
        digest = hashlib.blake2b(f"{self.seed}:{i}".encode(), digest_size=16).hexdigest()
        url = f"https://bench{i % 50}.gov.cn/policy/{i}.html"
        doc = ParsedDocument(url=url, source_name=f"bench-{i % 50}", extraction=extraction,
                             classification=classification, content_hash=digest, minhash=tuple(signature.tolist()))
        return doc, seen, url


def _pages(docs: list[tuple[ParsedDocument, datetime, str]]) -> list[PageOutcome]:
    return [PageOutcome(url=url, source_name=doc.source_name or "bench", fetched_at=seen, raw_sha256="0" * 64,
                        raw_size=len(doc.extraction.text), document=doc) for doc, seen, url in docs]


def load_through_loader(con: Any, docs: list[tuple[ParsedDocument, datetime, str]], run_id: str) -> float:
    """Seconds load_run takes for one batch (one run)."""
    pages = _pages(docs)
    attempts = [SourceAttempt(source_name=s, kind="files", ok=True) for s in sorted({p.source_name for p in pages})]
    started = time.perf_counter()
    load_run(con, run_id=run_id, pages=pages, attempts=attempts, now=max(p.fetched_at for p in pages))
    return time.perf_counter() - started


def bulk_tables(docs: list[tuple[ParsedDocument, datetime, str]]) -> dict[str, pa.Table]:
    """The same rows the loader writes for new documents, built column by column as Arrow tables."""
    ids = ["b" + d.content_hash[:15] for d, _, _ in docs]
    ex = [d.extraction for d, _, _ in docs]
    cl = [d.classification for d, _, _ in docs]
    seen = [s for _, s, _ in docs]
    urls = [u for _, _, u in docs]
    sigs = np.array([d.minhash for d, _, _ in docs], dtype=np.uint64)
    documents = pa.table({
        "doc_id": ids, "title": [e.title for e in ex], "url": urls, "published_on": [e.published_on for e in ex],
        "first_seen_at": seen, "week": [iso_week(s) for s in seen], "updated_at": seen,
        "issuers": [list(e.issuers) for e in ex], "regions": [list(e.regions) for e in ex],
        "level": [e.level for e in ex], "doc_type": [e.doc_type for e in ex],
        "source_name": [d.source_name for d, _, _ in docs], "relevant": [c.relevant for c in cl],
        "text": [e.text for e in ex], "summary": [c.summary for c in cl], "keywords": [list(c.keywords) for c in cl],
        "content_hash": [d.content_hash for d, _, _ in docs],
        "minhash": pa.FixedSizeListArray.from_arrays(pa.array(sigs.ravel()), 128).cast(pa.list_(pa.uint64())),
        "cited_titles": pa.array([[] for _ in docs], pa.list_(pa.string())), "version": [1] * len(docs),
        "taxonomy_version": [c.taxonomy_version for c in cl], "indexed_hash": [d.content_hash for d, _, _ in docs],
    })
    labels = [(i, t) for i, c in zip(ids, cl, strict=True) for t in (*c.topics, *c.instruments)]
    bands = band_keys_many(sigs)
    return {
        "core.documents": documents,
        "core.document_labels": pa.table({
            "doc_id": [i for i, _ in labels], "facet": [t.facet for _, t in labels],
            "topic_id": [t.topic_id for _, t in labels], "topic": [t.topic for _, t in labels],
            "score": [t.score for _, t in labels], "evidence": [list(t.evidence) for _, t in labels]}),
        "core.document_sightings": pa.table({"doc_id": ids, "url": urls, "source_name": documents["source_name"],
                                             "seen_at": seen, "match": ["first"] * len(ids)}),
        "core.document_versions": pa.table({"doc_id": ids, "version": [1] * len(ids), "fetched_at": seen,
                                            "content_hash": documents["content_hash"], "url": urls,
                                            "title": documents["title"], "text": documents["text"]}),
        "core.pages": pa.table({"url": urls, "source_name": documents["source_name"], "run_id": ["bulk"] * len(ids),
                                "fetched_at": seen, "outcome": ["new"] * len(ids), "doc_id": ids}),
        "core.document_bands": pa.table({"bucket": pa.array(bands.ravel()),
                                         "band": np.tile(np.arange(bands.shape[1], dtype=np.int16), len(ids)),
                                         "doc_id": np.repeat(np.array(ids, dtype=object), bands.shape[1])}),
    }


def load_bulk(con: Any, tables: dict[str, pa.Table]) -> float:
    """Seconds to insert prepared Arrow tables in one transaction (INSERT … BY NAME from each)."""
    from warehouse.batches import insert_table

    started = time.perf_counter()
    con.execute("BEGIN TRANSACTION")
    for name, table in tables.items():
        insert_table(con, name, table)
    con.execute("COMMIT")
    return time.perf_counter() - started


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
    docs: Annotated[int, typer.Option("--docs", help="synthetic documents in the warehouse")] = 50_000,
    loader_docs: Annotated[int, typer.Option("--loader-docs", help="of them, how many through load_run")] = 20_000,
    batch: Annotated[int, typer.Option("--batch", help="documents per run / bulk transaction")] = 10_000,
    db: Annotated[Path | None, typer.Option("--db", help="warehouse file (default: a temporary one)")] = None,
    profile: Annotated[bool, typer.Option("--profile", help="print where load_run spends its time")] = False,
    with_search: Annotated[bool, typer.Option("--search/--no-search", help="index for search and time it")] = True,
) -> None:
    """Load rate (loader and pure Arrow), cookbook query times, search latency and file size."""
    corpus, loader_docs = Corpus(), min(loader_docs, docs)
    scratch = None if db else tempfile.TemporaryDirectory(prefix="pw-bench-")  # removed at the end
    path = db or Path(scratch.name) / "warehouse.duckdb"  # type: ignore[union-attr]  # set when db is None
    results: list[tuple[str, str]] = []
    with open_writer(path) as con:
        results += _measure_loader(con, corpus, loader_docs, batch, profile)
        results += _measure_bulk(con, corpus, loader_docs, docs, batch)
        if with_search:
            results.append(_measure_index(con))
        con.execute("CHECKPOINT")
        results.append(("file size", f"{path.stat().st_size / 2**20:,.0f} MiB ({docs:,} documents)"))
        results += _measure_queries(con, with_search)
    if scratch is not None:
        scratch.cleanup()
    _print(results, docs)


def _measure_loader(con: Any, corpus: Corpus, count: int, batch: int, profile: bool) -> list[tuple[str, str]]:
    seconds = 0.0
    for n, (start, size) in enumerate(_batches(count, batch)):
        docs = corpus.documents(start, size)
        if profile and n == 1:
            profiler = cProfile.Profile()
            profiler.enable()
        seconds += load_through_loader(con, docs, f"bench-{start}")
        if profile and n == 1:
            profiler.disable()
            stream = io.StringIO()
            pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(12)
            console.print(stream.getvalue(), highlight=False)
    rate = count / seconds if seconds else 0
    return [("load_run (loader)", f"{count:,} documents in {seconds:.1f} s = {rate:,.0f} docs/s")] if count else []


def _measure_bulk(con: Any, corpus: Corpus, start: int, total: int, batch: int) -> list[tuple[str, str]]:
    build = insert = 0.0
    for first, size in _batches(total - start, batch):
        began = time.perf_counter()
        tables = bulk_tables(corpus.documents(start + first, size))
        build += time.perf_counter() - began
        insert += load_bulk(con, tables)
    count = total - start
    if not count:
        return []
    return [("Arrow bulk insert", f"{count:,} documents in {insert:.1f} s = {count / insert:,.0f} docs/s "
             f"(+ {build:.1f} s building Arrow from records = {count / (insert + build):,.0f} docs/s overall)")]


def _measure_index(con: Any) -> tuple[str, str]:
    started = time.perf_counter()
    indexed = index_documents(con)
    seconds = time.perf_counter() - started
    return "search index", f"{indexed:,} documents in {seconds:.1f} s = {indexed / seconds:,.0f} docs/s"


def _measure_queries(con: Any, with_search: bool) -> list[tuple[str, str]]:
    rows = []
    for label, sql in cookbook():
        ms, count = best_of(con, sql)
        rows.append((f"cookbook {label}", f"{ms:,.0f} ms ({count} rows)"))
    if not with_search:
        return rows
    latencies = []
    for query in QUERIES:
        search(con, query, limit=10)  # warm
        started = time.perf_counter()
        search(con, query, limit=10, since=date(2025, 1, 1))
        latencies.append((time.perf_counter() - started) * 1000)
    p50 = statistics.median(latencies)
    p95 = statistics.quantiles(latencies, n=20)[-1]
    rows.append(("search latency (20 queries)", f"p50 {p50:,.0f} ms, p95 {p95:,.0f} ms, max {max(latencies):,.0f} ms"))
    return rows


def _print(results: list[tuple[str, str]], docs: int) -> None:
    table = Table("measure", "result", title=f"bench warehouse --docs {docs:,}")
    for name, value in results:
        table.add_row(name, value)
    Console().print(table)
