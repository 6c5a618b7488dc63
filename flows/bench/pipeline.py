"""`policywatch bench pipeline --docs N`: the real nightly flow over a synthetic site on 127.0.0.1."""

from __future__ import annotations

import multiprocessing
import os
import random
import resource
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from http.server import BaseHTTPRequestHandler
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Annotated

import psutil
import typer
import yaml
from rich.console import Console
from rich.table import Table

from flows.adapters.loopback import Response, Route, Site, serve
from flows.bench.app import bench_app
from flows.settings import load_settings, prepare_prefect_env

PER_LIST_PAGE = 100
HTML = {"Content-Type": "text/html; charset=utf-8"}
_TOPICS = (
    "创新药",
    "疫苗",
    "医疗器械",
    "细胞治疗",
    "基因编辑",
    "中医药",
    "生物育种",
    "合成生物",
    "生物质能",
    "脑机接口",
    "生物安全",
    "生物信息",
)


def _paragraph_pool() -> list[str]:
    """Sentences of the seed documents: realistic policy prose to build synthetic documents from."""
    seeds = Path(__file__).resolve().parents[2] / "seeds"
    sentences: list[str] = []
    for path in sorted(seeds.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        sentences += [s.strip() + "。" for s in text.replace("\n", "。").split("。") if 25 <= len(s.strip()) <= 160]
    return sentences


class Corpus:
    """N deterministic documents: a title, a date and four paragraphs of seed sentences each."""

    def __init__(self, size: int, seed: int = 7) -> None:
        self.size = size
        self.pool = _paragraph_pool()
        self.seed = seed

    def title(self, i: int) -> str:
        """Title of document i."""
        return f"关于支持{_TOPICS[i % len(_TOPICS)]}产业发展的若干措施（第{i}号）"

    def page(self, i: int) -> bytes:
        """Detail page of document i, in the TRS style."""
        rng = random.Random(self.seed * 1_000_003 + i)
        paragraphs = ["".join(rng.sample(self.pool, 3)) for _ in range(4)]
        body = "".join(f"<p>{p}</p>" for p in paragraphs) + f"<p>本措施第{i}号自发布之日起施行，编号{i * 7919}。</p>"
        title = self.title(i)
        return (
            f"<html><head><meta charset='utf-8'><meta name='ArticleTitle' content='{title}'>"
            f"<meta name='PubDate' content='2026-11-{i % 28 + 1:02d} 09:00'></head><body>"
            f"<h1>{title}</h1><div class='TRS_Editor'>{body}</div></body></html>"
        ).encode()

    def list_page(self, number: int) -> bytes:
        """List page `number` (0 = newest): 100 links, newest first, and a next link."""
        first = self.size - 1 - number * PER_LIST_PAGE
        ids = range(first, max(first - PER_LIST_PAGE, -1), -1)
        rows = "".join(f"<li><a href='/doc/{i}.html' title='{self.title(i)}'>{self.title(i)}</a></li>" for i in ids)
        more = first - PER_LIST_PAGE >= 0
        pager = f"<a class='next' href='/list/index_{number + 1}.html'>下一页</a>" if more else ""
        return f"<html><body><ul class='u-list'>{rows}</ul>{pager}</body></html>".encode()


def _route(corpus: Corpus) -> Route:
    """The synthetic site: its list pages, its documents, robots.txt allowing everything."""

    def route(site: Site, handler: BaseHTTPRequestHandler) -> Response:
        body = _body(corpus, handler.path)
        return Response(body or b"", 200 if body is not None else 404, headers=HTML)

    return route


def _body(corpus: Corpus, path: str) -> bytes | None:
    if path == "/robots.txt":
        return b"User-agent: *\nAllow: /\n"
    if path == "/list/index.html":
        return corpus.list_page(0)
    if path.startswith("/list/index_"):
        return corpus.list_page(int(path.removeprefix("/list/index_").removesuffix(".html")))
    if path.startswith("/doc/"):
        return corpus.page(int(path.removeprefix("/doc/").removesuffix(".html")))
    return None


def _site_main(docs: int, conn: Connection) -> None:
    """The synthetic site's own process: serve until the bench says stop or goes away."""
    with serve(Site(fallback=_route(Corpus(docs)), keep_log=False), keep_alive=True) as site:
        conn.send(site.base)
        with suppress(EOFError):
            conn.recv()


@contextmanager
def _site(docs: int) -> Iterator[tuple[str, int]]:
    """The synthetic site in a process of its own (its base URL and pid): the flow's process, whose memory the
    bench reports, then holds the pipeline alone, and the site's request handling does not take its GIL."""
    spawn = multiprocessing.get_context("spawn")
    ours, theirs = spawn.Pipe()
    process = spawn.Process(target=_site_main, args=(docs, theirs), daemon=True)
    process.start()
    try:
        if not ours.poll(60):
            raise RuntimeError("the synthetic site did not start within 60 s")
        yield ours.recv(), process.pid or 0
    finally:
        with suppress(OSError):
            ours.send("stop")
        process.join(10)
        if process.is_alive():
            process.kill()


def _registry(folder: Path, base: str, size: int) -> Path:
    source = {
        "name": "synthetic",
        "kind": "html-list",
        "url": f"{base}/list/index.html",
        "link_selector": "ul.u-list li a",
        "next_selector": "a.next",
        "max_pages": -(-size // PER_LIST_PAGE),
        "concurrency": 16,
        "delay_seconds": 0,
    }
    path = folder / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": [source]}, allow_unicode=True), encoding="utf-8")
    return path


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class ChildPeaks:
    """Peak RSS of the child processes, sampled (`ru_maxrss` of children is no use: a child forked by a
    large process is charged the parent's size at the fork), by role, and of the pipeline's processes together.

    A child is a "worker" (a parse worker or the search indexer: multiprocessing children), one of the
    `named` pids (and their children) under its name, or "other". Together counts this process and every
    child except the named ones: they are the bench's scaffolding, not the pipeline.
    """

    def __init__(self, every: float = 0.25, named: dict[int, str] | None = None) -> None:
        self.every = every
        self.named = dict(named or {})
        roles = ("worker", "other", "together", *self.named.values())
        self.peaks: dict[str, float] = dict.fromkeys(roles, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ChildPeaks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(self.every):
            together = me.memory_info().rss / 2**20
            for child in me.children(recursive=True):
                with suppress(psutil.Error):
                    role, rss = self._role(child), child.memory_info().rss / 2**20
                    self.peaks[role] = max(self.peaks[role], rss)
                    if role not in self.named.values():
                        together += rss
            self.peaks["together"] = max(self.peaks["together"], together)

    def _role(self, child: psutil.Process) -> str:
        for process in (child, *child.parents()):
            if process.pid in self.named:
                return self.named[process.pid]
        return "worker" if "multiprocessing" in " ".join(child.cmdline()) else "other"


@bench_app.command("pipeline")
def bench_pipeline(
    docs: Annotated[int, typer.Option(help="documents on the synthetic site")] = 10_000,
    ephemeral: Annotated[
        bool, typer.Option("--ephemeral", help="on Prefect's ephemeral API (its server loaded into the flow's process)")
    ] = False,
) -> None:
    """End-to-end documents/s of a full load, then a nightly run that finds nothing new, and peak memory."""
    settings = load_settings()
    prepare_prefect_env(settings)
    from flows.adapters.prefect_server import free_port, prefect_server
    from flows.ingest import nightly_ingest

    # The flow talks to a Prefect server in a process of its own, as a scheduled run does (`policywatch serve`,
    # workers). Prefect's ephemeral mode loads its whole server (FastAPI, SQLAlchemy: ~70 MB) into the
    # flow's process; with a server already configured (PREFECT_API_URL, a test harness) that one is used.
    api = nullcontext() if ephemeral else prefect_server(settings, port=free_port())
    with tempfile.TemporaryDirectory(prefix="pw-bench-") as tmp, _site(docs) as (base, site_pid), api:
        home = Path(tmp)
        os.environ["POLICYWATCH_HOME"] = str(home)
        sources, db = _registry(home, base, docs), home / "warehouse.duckdb"
        started = time.perf_counter()
        with ChildPeaks(named={site_pid: "site"}) as children:
            full = nightly_ingest(str(sources), str(db), True)
        full_seconds = time.perf_counter() - started
        rss_full = _peak_rss_mib()
        started = time.perf_counter()
        again = nightly_ingest(str(sources), str(db), False)
        quiet_seconds = time.perf_counter() - started
        size_mib = db.stat().st_size / 2**20
    mode = "Prefect's ephemeral API" if ephemeral else "a Prefect server"
    table = Table("measure", "value", title=f"bench pipeline: {docs} documents from 127.0.0.1, on {mode}")
    table.add_row("full load: new documents", str(full.report.total("new")))
    table.add_row("full load: seconds", f"{full_seconds:.1f}")
    table.add_row("full load: documents/s", f"{docs / full_seconds:.0f}")
    table.add_row("no-change run: seconds", f"{quiet_seconds:.1f}")
    table.add_row("no-change run: new documents", str(again.report.total("new")))
    table.add_row("no-change / full", f"{100 * quiet_seconds / full_seconds:.1f} %")
    table.add_row("full load: peak RSS of the flow's process (MiB)", f"{rss_full:.0f}")
    table.add_row(
        "full load: peak RSS of a parse worker or the search indexer (MiB)", f"{children.peaks['worker']:.0f}"
    )
    table.add_row("full load: peak RSS of another child: the Prefect server (MiB)", f"{children.peaks['other']:.0f}")
    table.add_row("full load: peak RSS of the pipeline's processes together (MiB)", f"{children.peaks['together']:.0f}")
    table.add_row("full load: peak RSS of the synthetic site, not counted above (MiB)", f"{children.peaks['site']:.0f}")
    table.add_row("warehouse size (MiB)", f"{size_mib:.0f}")
    _console().print(table)


def _console() -> Console:
    """Standard output, as the terminal (and COLUMNS) of this run has it."""
    return Console()
