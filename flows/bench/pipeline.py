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
from flows.bench import synthetic_files
from flows.bench.app import bench_app
from flows.settings import load_settings, prepare_prefect_env

PER_LIST_PAGE = 100
HTML = {"Content-Type": "text/html; charset=utf-8"}
FILE = {"Content-Type": "application/octet-stream"}
# --attachments: every ATTACHMENT_EVERY-th document is a cover page handing over its text as a file, a PDF
# every PDF_EVERY-th of those, else a DOCX; the file says three times what a page says.
ATTACHMENT_EVERY = 4
PDF_EVERY = 3
FILE_PARAGRAPHS = 12
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
    """N deterministic documents: a title, a date and four paragraphs of seed sentences each.

    With `attachments`, a share of them are cover pages ("现将《…》印发给你们") linking their text as a file.
    """

    def __init__(self, size: int, seed: int = 7, *, attachments: bool = False) -> None:
        self.size = size
        self.pool = _paragraph_pool()
        self.seed = seed
        self.attachments = attachments

    def title(self, i: int) -> str:
        """Title of document i."""
        return f"关于支持{_TOPICS[i % len(_TOPICS)]}产业发展的若干措施（第{i}号）"

    def paragraphs(self, i: int, count: int = 4) -> list[str]:
        """The paragraphs of document i (or of its file)."""
        rng = random.Random(self.seed * 1_000_003 + i)
        return ["".join(rng.sample(self.pool, 3)) for _ in range(count)]

    def file_of(self, i: int) -> str | None:
        """Path of the file document i hands over, if it is a cover page."""
        if not self.attachments or i % ATTACHMENT_EVERY:
            return None
        return f"/files/{i}.{'pdf' if (i // ATTACHMENT_EVERY) % PDF_EVERY == 0 else 'docx'}"

    def page(self, i: int) -> bytes:
        """Detail page of document i, in the TRS style."""
        file = self.file_of(i)
        title = self.title(i)
        if file:
            # One sentence of its own: covers that differ only in their titles would be near copies of each other.
            body = (
                f"<p>现将《{title}》印发给你们，请认真贯彻执行。{self.paragraphs(i, 1)[0]}</p>"
                f"<p>附件：<a href='{file}'>{title}{file[file.rindex('.') :]}</a></p>"
            )
        else:
            body = "".join(f"<p>{p}</p>" for p in self.paragraphs(i))
            body += f"<p>本措施第{i}号自发布之日起施行，编号{i * 7919}。</p>"
        return (
            f"<html><head><meta charset='utf-8'><meta name='ArticleTitle' content='{title}'>"
            f"<meta name='PubDate' content='2026-11-{i % 28 + 1:02d} 09:00'></head><body>"
            f"<h1>{title}</h1><div class='TRS_Editor'>{body}</div></body></html>"
        ).encode()

    def file(self, path: str) -> bytes | None:
        """The bytes of a file a cover page links, None for a path that names none."""
        name = path.removeprefix("/files/")
        number, _, suffix = name.partition(".")
        if not number.isdigit() or self.file_of(int(number)) != path:
            return None
        i = int(number)
        text = [self.title(i), *self.paragraphs(i, FILE_PARAGRAPHS), f"本措施第{i}号自发布之日起施行，编号{i * 7919}。"]
        return synthetic_files.pdf(text) if suffix == "pdf" else synthetic_files.docx(text)

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
        if handler.path.startswith("/files/"):
            data = corpus.file(handler.path)
            return Response(data or b"", 200 if data is not None else 404, headers=FILE)
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


def _site_main(docs: int, attachments: bool, conn: Connection) -> None:
    """The synthetic site's own process: serve until the bench says stop or goes away."""
    corpus = Corpus(docs, attachments=attachments)
    with serve(Site(fallback=_route(corpus), keep_log=False), keep_alive=True) as site:
        conn.send(site.base)
        with suppress(EOFError):
            conn.recv()


@contextmanager
def _site(docs: int, attachments: bool = False) -> Iterator[tuple[str, int]]:
    """The synthetic site in a process of its own (its base URL and pid): the flow's process, whose memory the
    bench reports, then holds the pipeline alone, and the site's request handling does not take its GIL."""
    spawn = multiprocessing.get_context("spawn")
    ours, theirs = spawn.Pipe()
    process = spawn.Process(target=_site_main, args=(docs, attachments, theirs), daemon=True)
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


def measure(docs: int, attachments: bool) -> dict[str, float]:
    """A full load of a fresh synthetic site into a fresh warehouse, then a run that finds nothing new."""
    from flows.ingest import nightly_ingest

    with tempfile.TemporaryDirectory(prefix="pw-bench-") as tmp, _site(docs, attachments) as (base, site_pid):
        home = Path(tmp)
        os.environ["POLICYWATCH_HOME"] = str(home)
        sources, db = _registry(home, base, docs), home / "warehouse.duckdb"
        site_cpu, own_cpu = _cpu_seconds(site_pid), _cpu_seconds(os.getpid())
        started = time.perf_counter()
        with ChildPeaks(named={site_pid: "site"}) as children:
            full = nightly_ingest(str(sources), str(db), True)
        full_seconds = time.perf_counter() - started
        site_cpu, own_cpu = _cpu_seconds(site_pid) - site_cpu, _cpu_seconds(os.getpid()) - own_cpu
        rss_full = _peak_rss_mib()
        started = time.perf_counter()
        again = nightly_ingest(str(sources), str(db), False)
        quiet_seconds = time.perf_counter() - started
        size_mib = db.stat().st_size / 2**20
    files = full.attachments.statuses if full.attachments is not None else {}
    return {
        "full load: new documents": full.report.total("new"),
        "full load: attachment files read with text": files.get("ok", 0),
        "full load: seconds": full_seconds,
        "full load: documents/s": docs / full_seconds,
        "no-change run: seconds": quiet_seconds,
        "no-change run: new documents": again.report.total("new"),
        "no-change / full (%)": 100 * quiet_seconds / full_seconds,
        "full load: peak RSS of the flow's process (MiB)": rss_full,
        "full load: peak RSS of a parse worker or the search indexer (MiB)": children.peaks["worker"],
        "full load: peak RSS of another child: the Prefect server (MiB)": children.peaks["other"],
        "full load: peak RSS of the pipeline's processes together (MiB)": children.peaks["together"],
        "full load: peak RSS of the synthetic site, not counted above (MiB)": children.peaks["site"],
        "warehouse size (MiB)": size_mib,
        "full load: CPU seconds of the flow's process": own_cpu,
        "full load: CPU seconds of the synthetic site, not counted above": site_cpu,
    }


def _cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used so far."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def _measure_apart(docs: int, attachments: bool, api: str | None, conn: Connection) -> None:
    """`measure` in a process of its own (its peak RSS is its own), sending the figures back."""
    if api:
        os.environ["PREFECT_API_URL"] = api
    prepare_prefect_env(load_settings())
    conn.send(measure(docs, attachments))


def _apart(docs: int, attachments: bool, api: str | None) -> dict[str, float]:
    spawn = multiprocessing.get_context("spawn")
    ours, theirs = spawn.Pipe()
    process = spawn.Process(target=_measure_apart, args=(docs, attachments, api, theirs))
    process.start()
    try:
        figures: dict[str, float] = ours.recv()
    except EOFError:
        raise RuntimeError(f"the bench's run ({attachments=}) ended without figures") from None
    finally:
        process.join()
    return figures


@bench_app.command("pipeline")
def bench_pipeline(
    docs: Annotated[int, typer.Option(help="documents on the synthetic site")] = 10_000,
    ephemeral: Annotated[
        bool, typer.Option("--ephemeral", help="on Prefect's ephemeral API (its server loaded into the flow's process)")
    ] = False,
    attachments: Annotated[
        bool,
        typer.Option(
            "--attachments",
            help=f"also a site where every {ATTACHMENT_EVERY}th document hands its text over as a DOCX or PDF: "
            "both runs measured, each in a process of its own",
        ),
    ] = False,
    runner: Annotated[
        str | None,
        typer.Option(
            help="where the parse stage runs (sets POLICYWATCH_PARSE_RUNNER): local, processes on this machine, or "
            "dask, a LocalCluster of POLICYWATCH_DASK_WORKERS processes or the scheduler at POLICYWATCH_DASK_ADDRESS",
        ),
    ] = None,
) -> None:
    """End-to-end documents/s of a full load, then a nightly run that finds nothing new, and peak memory."""
    if runner:
        os.environ["POLICYWATCH_PARSE_RUNNER"] = runner  # the flow reads its settings itself; checked just below
    settings = load_settings()
    prepare_prefect_env(settings)
    from flows.adapters.prefect_server import free_port, prefect_server

    # The flow talks to a Prefect server in a process of its own, as a scheduled run does (`policywatch serve`,
    # workers). Prefect's ephemeral mode loads its whole server (FastAPI, SQLAlchemy: ~70 MB) into the
    # flow's process; with a server already configured (PREFECT_API_URL, a test harness) that one is used.
    api_server = nullcontext(None) if ephemeral else prefect_server(settings, port=free_port())
    with api_server as api:
        if attachments:
            runs = {"without attachments": _apart(docs, False, api), "with attachments": _apart(docs, True, api)}
        else:
            runs = {"value": measure(docs, False)}
    mode = "Prefect's ephemeral API" if ephemeral else "a Prefect server"
    parse = "dask" if settings.dask else "local"
    title = f"bench pipeline: {docs} documents from 127.0.0.1, on {mode}, parse runner {parse}"
    table = Table("measure", *runs, title=title)
    if attachments:
        table.add_column("difference")
    for name in runs[next(iter(runs))]:
        values = [runs[run][name] for run in runs]
        shown = [_shown(name, v) for v in values]
        table.add_row(name, *shown, *([_shown(name, values[1] - values[0], signed=True)] if attachments else []))
    _console().print(table)


def _shown(name: str, value: float, *, signed: bool = False) -> str:
    """A figure as the table shows it: counts whole, seconds and percentages to a tenth, MiB whole."""
    digits = 1 if ("seconds" in name or "%" in name) else 0
    return f"{value:{'+' if signed else ''}.{digits}f}"


def _console() -> Console:
    """Standard output, as the terminal (and COLUMNS) of this run has it."""
    return Console()
