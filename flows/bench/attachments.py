"""`policywatch bench attachments`: our attachment readers against a peer per format, on a folder of files.

Every file of the folder (read recursively; `X.json` sidecars of a file `X` left out) is sniffed and read
by `read_attachment`; where a peer exists it reads the same bytes in the same run, file by file in turn:
pypdf's plain `page.extract_text()` for PDF, python-docx for DOCX (paragraphs and table cells), antiword
for DOC and WPS when it is on PATH. Per format: files, files/s, the share of files with non-empty text,
the share of the peer's CJK characters our text holds, and the RSS sampled while each reader ran: the
process's peak, and the most it grew during one read.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from io import BytesIO
from pathlib import Path
from typing import Annotated

import psutil
import typer
from rich.console import Console
from rich.table import Table

from flows.bench.app import bench_app
from parsers.attachments import Format, read_attachment, sniff

_CJK = re.compile(r"[\u4e00-\u9fff]")
_SAMPLE_EVERY = 0.005  # seconds between RSS samples: a reader's peak lasts milliseconds
_ANTIWORD_TIMEOUT = 60


@dataclass(frozen=True, slots=True)
class Sample:
    """One file of the corpus."""

    name: str
    format: Format
    data: bytes


@dataclass(slots=True)
class Figures:
    """What one reader did with the files of one format."""

    files: int = 0
    seconds: float = 0.0
    non_empty: int = 0
    peak_rss_mib: float = 0.0  # of the process, while this reader ran
    growth_mib: float = 0.0  # the most RSS grew during one read: the reader's own working memory
    texts: list[str] = field(default_factory=list)

    @property
    def files_per_second(self) -> float:
        """Files read per second of reading (timed passes only)."""
        return self.files / self.seconds if self.seconds else 0.0

    @property
    def non_empty_share(self) -> float:
        """Share of the files that gave some text."""
        return self.non_empty / len(self.texts) if self.texts else 0.0


class RssPeak:
    """The peak resident memory of this process while a block runs, sampled by a thread."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        self.start_mib: float = self._process.memory_info().rss / 2**20
        self.peak_mib: float = self.start_mib
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def growth_mib(self) -> float:
        """How much the RSS grew above its value at the start."""
        return self.peak_mib - self.start_mib

    def __enter__(self) -> RssPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _sample(self) -> None:
        self.peak_mib = max(self.peak_mib, self._process.memory_info().rss / 2**20)

    def _run(self) -> None:
        while not self._stop.wait(_SAMPLE_EVERY):
            self._sample()


def load_files(folder: Path) -> list[Sample]:
    """Every file under the folder, sniffed, except the JSON sidecars of other files."""
    paths = sorted(path for path in folder.rglob("*") if path.is_file())
    names = {path.name for path in paths}
    return [
        Sample(str(path.relative_to(folder)), sniff(data := path.read_bytes(), path.name), data)
        for path in paths
        if not (path.suffix == ".json" and path.stem in names)
    ]


def ours(sample: Sample) -> str:
    """PolicyWatch's reader (parsers.attachments.read_attachment)."""
    return read_attachment(sample.data, sample.name, sniffed=sample.format).text


def pypdf_plain(sample: Sample) -> str:
    """pypdf's own extract_text, page after page, nothing removed or rejoined."""
    from pypdf import PdfReader

    reader = PdfReader(BytesIO(sample.data))
    if reader.is_encrypted:
        reader.decrypt("")
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def python_docx(sample: Sample) -> str:
    """python-docx: the body's paragraphs, then every table cell."""
    import docx

    document = docx.Document(BytesIO(sample.data))
    cells = (cell.text for table in document.tables for row in table.rows for cell in row.cells)
    return "\n".join([*(paragraph.text for paragraph in document.paragraphs), *cells])


def antiword(sample: Sample) -> str:
    """The antiword program (Debian's), given the file through a temporary copy."""
    with tempfile.NamedTemporaryFile(suffix=".doc") as file:
        file.write(sample.data)
        file.flush()
        run = subprocess.run(
            ["antiword", "-m", "UTF-8.txt", file.name],
            capture_output=True,
            text=True,
            timeout=_ANTIWORD_TIMEOUT,
            check=False,
        )
    return run.stdout


def peers() -> dict[Format, tuple[str, Callable[[Sample], str]]]:
    """The peer reader of each format that has one here."""
    found: dict[Format, tuple[str, Callable[[Sample], str]]] = {
        Format.PDF: ("pypdf extract_text", pypdf_plain),
        Format.DOCX: ("python-docx", python_docx),
    }
    if shutil.which("antiword"):
        found[Format.DOC] = found[Format.WPS] = ("antiword", antiword)
    return found


def _guarded(reader: Callable[[Sample], str], sample: Sample) -> str:
    try:
        return reader(sample)
    except Exception:  # a peer failing on a bad file reads as no text: that is what it gave
        return ""


def _run_one(figures: Figures, reader: Callable[[Sample], str], sample: Sample, *, timed: bool) -> None:
    with RssPeak() as rss:
        start = time.perf_counter()
        text = _guarded(reader, sample)
        elapsed = time.perf_counter() - start
    figures.peak_rss_mib = max(figures.peak_rss_mib, rss.peak_mib)
    figures.growth_mib = max(figures.growth_mib, rss.growth_mib)
    if timed:
        figures.files += 1
        figures.seconds += elapsed
    else:
        figures.texts.append(text)
        figures.non_empty += bool(text.strip())


def load_readers() -> None:
    """Import every reader's libraries up front, so that RSS growth counts reading, not importing."""
    for module in (
        "pypdf",
        "lxml.etree",
        "olefile",
        "xlrd",
        "docx",
        "parsers.attachments.docx",
        "parsers.attachments.worddoc",
        "parsers.attachments.sheets",
        "parsers.attachments.ofd",
        "parsers.attachments.rtf",
        "parsers.pdftext",
    ):
        import_module(module)


def run_all(samples: list[Sample], *, repeat: int) -> dict[Format, dict[str, Figures]]:
    """Ours and the format's peer over every file: once untimed (texts kept), then `repeat` times timed."""
    load_readers()
    readers = peers()
    results: dict[Format, dict[str, Figures]] = defaultdict(dict)
    for turn in range(repeat + 1):
        for sample in samples:
            pairs: list[tuple[str, Callable[[Sample], str]]] = [("policywatch", ours)]
            if sample.format in readers:
                pairs.append(readers[sample.format])
            for name, reader in pairs:
                figures = results[sample.format].setdefault(name, Figures())
                _run_one(figures, reader, sample, timed=turn > 0)
    return dict(results)


def cjk_held(ours_texts: list[str], peer_texts: list[str]) -> float:
    """Share of the peer's CJK characters (as a multiset) that our texts hold too."""
    theirs = Counter(char for text in peer_texts for char in _CJK.findall(text))
    mine = Counter(char for text in ours_texts for char in _CJK.findall(text))
    return sum((mine & theirs).values()) / sum(theirs.values()) if theirs else 1.0


def render(results: dict[Format, dict[str, Figures]], corpus: Path) -> Table:
    """One row per format and reader."""
    table = Table(
        "format",
        "reader",
        "files",
        "files/s",
        "non-empty",
        "peer's CJK held",
        "peak RSS MiB",
        "RSS growth MiB",
        title=f"attachment readers over {corpus}",
    )
    for fmt in sorted(results, key=lambda f: f.value):
        by_reader = results[fmt]
        mine = by_reader["policywatch"]
        for name, figures in by_reader.items():
            held = cjk_held(mine.texts, figures.texts) if name != "policywatch" else None
            table.add_row(
                fmt.value,
                name,
                str(len(figures.texts)),
                f"{figures.files_per_second:.1f}",
                f"{figures.non_empty_share:.2f}",
                "" if held is None else f"{held:.3f}",
                f"{figures.peak_rss_mib:.0f}",
                f"{figures.growth_mib:.1f}",
            )
    return table


@bench_app.command("attachments")
def bench_attachments(
    corpus: Annotated[Path, typer.Option("--corpus", help="folder of attachment files (read recursively)")],
    repeat: Annotated[int, typer.Option("--repeat", min=1, help="timed passes after an untimed one")] = 1,
) -> None:
    """Files/s, share with text and peak RSS of our attachment readers, per format, beside a peer's."""
    console = Console()
    if not corpus.is_dir():
        Console(stderr=True).print(f"[red]policywatch:[/red] not a folder: {corpus}")
        raise typer.Exit(2)
    samples = load_files(corpus)
    if not samples:
        Console(stderr=True).print(f"[red]policywatch:[/red] no files in {corpus}")
        raise typer.Exit(2)
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings on broken files would fill the screen
    load_readers()
    baseline = psutil.Process().memory_info().rss / 2**20
    with console.status(f"reading {len(samples)} files {repeat + 1} times…"):
        results = run_all(samples, repeat=repeat)
    console.print(render(results, corpus))
    peer_names = sorted({name for by_reader in results.values() for name in by_reader} - {"policywatch"})
    console.print(
        f"peers: {', '.join(peer_names) or 'none for these formats'}; peak RSS is this process's, sampled every 5 ms "
        f"while the reader ran (with the readers loaded, before any file was read: {baseline:.0f} MiB); RSS growth: "
        "the most it rose during one read (a subprocess peer's own memory is not counted)"
    )
