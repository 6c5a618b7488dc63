"""The attachment stage of the nightly run: the files its new and changed documents link, fetched, read, merged.

After the load commits, every document this run inserted or gave a new version has its page's attachment
links (parsers.records.Attachment) followed:
1. a link on a host its page's source does not name (the source's host and `allowed_hosts`, the rule pages
   follow) is a row `off_host` with a reason, never fetched;
2. the rest are fetched once per URL through a Fetcher like the pages' (robots, per-host politeness, time
   bounds) with a size cap of their own (POLICYWATCH_MAX_ATTACHMENT_BYTES), conditionally (the ETag and
   Last-Modified held for the URL): a 304, or the bytes held already, is neither read again nor refetched;
3. new bytes are archived like pages (flows/adapters/archive) and read (parsers.attachment_merge.read_file,
   in processes when there are many);
4. per chunk of documents, the core decides (parsers.attachment_merge.merge, same_document) and the
   warehouse writes rows, classification, labels and links in one transaction (warehouse/attachments.py);
5. this run's new documents holding the text of a stored attachment are linked to its notice.
A file that fails is a row with a status and a reason; the stage failing as a whole is reported, never fatal.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import duckdb

from flows.adapters import archive
from flows.adapters.clock import utcnow
from flows.adapters.fetch import Fetcher, FetchResult
from flows.adapters.politeness import allowed_hosts, fetch_policy, host_policies
from flows.settings import Settings
from flows.sources import BROWSER_USER_AGENT, Source
from parsers.attachment_merge import (
    AttachedText,
    FileText,
    LinkStatus,
    Merged,
    attached_to,
    linkable,
    merge,
    read_file,
    refusal,
    same_document,
)
from parsers.classify import default_taxonomy
from parsers.extract import file_name
from parsers.records import Attachment, AttachmentFormat
from parsers.run import PageOutcome
from warehouse import attachments as store
from warehouse.batches import chunked
from warehouse.connection import open_writer

CHUNK = 200  # documents merged and written per transaction: memory holds their attachments' text only
FETCH_WORKERS = 32  # coroutines fetching files; the fetcher's per-host limits decide what is in flight
READ_POOL_THRESHOLD = 24  # fewer files than this are read in-process (a worker costs ~2 s to start)
MAX_PER_DOCUMENT = 30  # links followed per page: a page listing a whole folder of forms stops here (the rest: skipped)
# Files may be larger and servers slower than for pages: each read may wait this long, a whole request twice it.
ATTACHMENT_TIMEOUT_SECONDS = 60.0
NEAR_THRESHOLD = 0.8  # as the loader's (warehouse.load.RunLoader): the same text, for dedup
# What a held file's text survives: a 304 or the same bytes (no failure), and a failed request (a timeout, a
# 503, a 404 of a file the page still links): the document is revisited only when its page changes, so a
# failure now would lose the text for good. A file now too large, or now disallowed by robots.txt, is not kept.
_KEEPS_HELD = (None, LinkStatus.FAILED)


@dataclass(frozen=True, slots=True, kw_only=True)
class PageLinks:
    """The attachment links of one parsed page, kept until the load says which document the page gave."""

    url: str
    source_name: str
    links: tuple[Attachment, ...]


def page_links(pages: Iterable[PageOutcome]) -> Iterator[PageLinks]:
    """The links of the parsed pages that name attachments."""
    for page in pages:
        doc = page.document
        if doc is not None and doc.ok and doc.extraction.attachments:
            yield PageLinks(url=page.url, source_name=page.source_name, links=doc.extraction.attachments)


@dataclass(slots=True)
class AttachmentReport:
    """What the stage did this run."""

    documents: int = 0  # documents whose attachments were processed
    files: int = 0  # distinct file URLs fetched or judged
    requested: int = 0
    not_modified: int = 0  # 304 to a conditional request
    unchanged: int = 0  # the bytes held already: not read again
    read: int = 0
    statuses: Counter[str] = field(default_factory=Counter)  # rows written, by extraction_status
    merged: int = 0  # documents whose classification took attachment text in
    links: int = 0  # attachment links found (either way)
    error: str | None = None

    def summary(self) -> dict[str, Any]:
        """The counts, as recorded in the run's summary."""
        return {
            "documents": self.documents,
            "files": self.files,
            "requested": self.requested,
            "not_modified": self.not_modified,
            "unchanged": self.unchanged,
            "read": self.read,
            "statuses": dict(sorted(self.statuses.items())),
            "merged": self.merged,
            "links": self.links,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class _Document:
    doc_id: str
    page_url: str
    source: Source | None
    links: tuple[Attachment, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Fetched:
    """What asking for a file gave: new bytes (archived), a 304, or why there are none."""

    url: str
    at: datetime
    http_status: int | None = None
    sha256: str | None = None  # new bytes, archived
    size: int | None = None
    not_modified: bool = False
    failure: LinkStatus | None = None
    reason: str | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None


def attach_files(
    settings: Settings,
    sources: Sequence[Source],
    run_id: str,
    found: Iterable[PageLinks],
    *,
    cookies: Sequence[Mapping[str, Any]] = (),
) -> AttachmentReport:
    """The attachment stage of a run; a failure of the stage itself is reported in the result, never raised.

    `cookies`: those a browser earned this run (`fetch: browser` sources), sent with the files of their hosts.
    """
    report = AttachmentReport()
    try:
        _attach(settings, sources, run_id, found, report, cookies)
    except Exception as exc:  # the load is committed: nothing here may cost the night
        report.error = f"attachment stage failed (the documents are loaded): {type(exc).__name__}: {exc}"
    try:
        with open_writer(settings.db, wait_seconds=settings.writer_wait_seconds) as con:
            store.record_stage(con, run_id, report.summary())
    except Exception as exc:
        report.error = report.error or f"attachment stage not recorded: {exc}"
    return report


def _attach(
    settings: Settings,
    sources: Sequence[Source],
    run_id: str,
    found: Iterable[PageLinks],
    report: AttachmentReport,
    cookies: Sequence[Mapping[str, Any]] = (),
) -> None:
    with open_writer(settings.db, wait_seconds=settings.writer_wait_seconds) as con:
        todo = _documents(found, store.run_documents(con, run_id), {s.name: s for s in sources})
        requests = _requests(todo)
        held = store.stored(con, list(requests), text=False)
    report.documents, report.files = len(todo), len({a.url for d in todo for a in d.links})
    fetched = asyncio.run(_fetch_all(settings, sources, requests, held, cookies)) if requests else {}
    report.requested = len(fetched)
    report.not_modified = sum(f.not_modified for f in fetched.values())
    with (
        open_writer(settings.db, wait_seconds=settings.writer_wait_seconds) as con,
        _reader(_to_read(fetched, held)) as pool,
    ):
        for chunk in chunked(todo, CHUNK):
            _process(con, chunk, fetched, pool, settings, run_id, report)
        links = _reverse_links(con, run_id)
        store.write_links(con, links, utcnow())
        report.links += len(links)


def _documents(found: Iterable[PageLinks], owners: Mapping[str, str], sources: Mapping[str, Source]) -> list[_Document]:
    """The run's documents with links, each once (its last page wins), their links in page order (each once)."""
    by_doc: dict[str, _Document] = {}
    for page in found:
        doc_id = owners.get(page.url)
        if doc_id is None:
            continue  # a copy of a known document, or a page that failed to load: its links are not its own
        source = sources.get(page.source_name)
        by_doc[doc_id] = _Document(doc_id=doc_id, page_url=page.url, source=source, links=page.links)
    return [by_doc[d] for d in sorted(by_doc)]


def _hosts(source: Source | None) -> frozenset[str]:
    """The origins a document's source names (its attachments may come from no other)."""
    return source.scope if source is not None else frozenset()


def _requests(todo: Sequence[_Document]) -> dict[str, _Document]:
    """File URL → the first document linking it (its page is the Referer, its source's headers are sent)."""
    wanted: dict[str, _Document] = {}
    for doc in todo:
        for link in doc.links[:MAX_PER_DOCUMENT]:
            if refusal(link.url, _hosts(doc.source)) is None:
                wanted.setdefault(link.url, doc)
    return wanted


async def _fetch_all(
    settings: Settings,
    sources: Sequence[Source],
    requests: Mapping[str, _Document],
    held: Mapping[str, store.Stored],
    cookies: Sequence[Mapping[str, Any]] = (),
) -> dict[str, _Fetched]:
    """Every file once, politely, archived as it arrives: a run never holds more files than requests in flight."""
    pages = fetch_policy(settings, list(sources))
    timeout = max(pages.timeout_seconds, ATTACHMENT_TIMEOUT_SECONDS)
    # A file may take a minute per read: its deadline is at least two reads' worth (a page's default is one).
    deadline = max(pages.deadline_seconds, 2 * timeout)
    policy = replace(pages, max_bytes=settings.max_attachment_bytes, timeout_seconds=timeout, deadline_seconds=deadline)
    results: dict[str, _Fetched] = {}
    queue = iter(sorted(requests.items()))
    async with Fetcher(
        policy, allowed_hosts=allowed_hosts(list(sources)), host_policies=host_policies(list(sources))
    ) as fetcher:
        fetcher.add_cookies(list(cookies))

        async def worker() -> None:
            for url, doc in queue:  # a shared iterator: each file is taken by exactly one worker
                before = held.get(url)
                result = await fetcher.get(
                    url,
                    etag=before.etag if before and before.read else None,
                    last_modified=before.last_modified if before and before.read else None,
                    headers=_file_headers(doc),
                )
                results[url] = _kept(result, settings)

        await asyncio.gather(*(worker() for _ in range(min(len(requests), FETCH_WORKERS))))
    return results


def _file_headers(doc: _Document) -> dict[str, str]:
    """The page as Referer, the source's headers; a browser source's files go as its pages did (browser UA)."""
    browser = {"User-Agent": BROWSER_USER_AGENT} if doc.source and doc.source.fetch != "plain" else {}
    return {"Referer": doc.page_url, **browser, **(doc.source.headers if doc.source else {})}


def _kept(result: FetchResult, settings: Settings) -> _Fetched:
    """A fetch's outcome with its body archived (and dropped): what the rows and the reader need of it."""
    facts: dict[str, Any] = {
        "url": result.url,
        "at": result.fetched_at,
        "http_status": result.status,
        "content_type": result.headers.get("content-type"),
        "etag": result.headers.get("etag"),
        "last_modified": result.headers.get("last-modified"),
    }
    if result.not_modified:
        return _Fetched(**facts, not_modified=True)
    if result.truncated:
        reason = f"larger than {settings.max_attachment_bytes} bytes (POLICYWATCH_MAX_ATTACHMENT_BYTES): not read"
        return _Fetched(**facts, failure=LinkStatus.TOO_LARGE, reason=reason)
    if result.error is not None or result.body is None:
        failure = LinkStatus.ROBOTS if result.error_kind == "robots" else LinkStatus.FAILED
        return _Fetched(**facts, failure=failure, reason=result.error or "no body")
    try:
        digest = archive.store(settings.archive, result.body)
    except archive.ArchiveError as exc:
        return _Fetched(**facts, failure=LinkStatus.FAILED, reason=str(exc))
    return _Fetched(**facts, sha256=digest, size=len(result.body))


def _to_read(fetched: Mapping[str, _Fetched], held: Mapping[str, store.Stored]) -> int:
    """How many files have bytes not read before (the rest are 304s, failures, or the bytes held)."""
    return sum(1 for url, f in fetched.items() if f.sha256 and not _same_bytes(f, held.get(url)))


def _same_bytes(fetched: _Fetched, before: store.Stored | None) -> bool:
    return before is not None and before.read and before.sha256 == fetched.sha256


def _reader(count: int) -> Any:
    """Processes for reading files when there are many (PDF and Word reading is pure CPU), else this one."""
    workers = os.cpu_count() or 1
    if count < READ_POOL_THRESHOLD or workers < 2:
        return nullcontext(None)
    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))


def read_archived(root: Path, sha256: str, name: str | None) -> FileText:
    """Read a file from the archive (in a worker process, or here); never raises."""
    try:
        return read_file(archive.load(root, sha256), name)
    except archive.ArchiveError as exc:
        return _unread(str(exc))
    except Exception as exc:  # a reader bug on one file must not cost the others
        return _unread(f"reader error: {type(exc).__name__}: {exc}")


def _unread(reason: str) -> FileText:
    return FileText(
        format=AttachmentFormat.UNKNOWN.value,
        media_type="application/octet-stream",
        status=LinkStatus.FAILED.value,
        reason=reason[:300],
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """One document's share of the CPU work: its files to read (or their text as held), then its merge."""

    doc_id: str
    title: str
    page_text: str
    files: tuple[tuple[str, str | None, str | None, FileText | None], ...]  # url, sha256 to read, name, held


def work(root: Path, job: Job) -> tuple[dict[str, FileText], Merged | None]:
    """Read a document's new files and merge their text into it; in a worker process when there are many.

    The merge classifies, and the classifier's keywords load jieba (~110 MB): a large run keeps that out of
    the flow's process, as its parse stage does.
    """
    files = {}
    for url, sha256, name, held in job.files:
        file = read_archived(root, sha256, name) if sha256 else held
        if file is not None:
            files[url] = file
    attached = [AttachedText(url=url, text=file.text) for url, file in files.items() if file.text]
    if not attached:
        return files, None
    return files, merge(default_taxonomy(), title=job.title, page_text=job.page_text, attached=attached)


def _run(jobs: Sequence[Job], pool: Executor | None, root: Path) -> list[tuple[dict[str, FileText], Merged | None]]:
    if pool is None:
        return [work(root, job) for job in jobs]
    return list(pool.map(work, [root] * len(jobs), jobs, chunksize=4))


def _process(
    con: duckdb.DuckDBPyConnection,
    chunk: list[_Document],
    fetched: Mapping[str, _Fetched],
    pool: Executor | None,
    settings: Settings,
    run_id: str,
    report: AttachmentReport,
) -> None:
    """Read a chunk's new files, merge its documents, find their links, and write it all in one transaction."""
    held = store.stored(con, {link.url for doc in chunk for link in doc.links}, text=True)
    pages = store.page_texts(con, [d.doc_id for d in chunk])
    jobs = [_job(doc, fetched, held, pages) for doc in chunk]
    report.read += sum(sha256 is not None for job in jobs for _, sha256, _, _ in job.files)
    report.unchanged += sum(sha256 is None for job in jobs for _, sha256, _, _ in job.files)
    done = _run(jobs, pool, settings.archive)
    now = utcnow()
    rows = [
        _row(doc, i, link, fetched, held, files, run_id, now)
        for doc, (files, _) in zip(chunk, done, strict=True)
        for i, link in enumerate(doc.links, 1)
    ]
    report.statuses.update(r.extraction_status for r in rows)
    merged = {job.doc_id: m for job, (_, m) in zip(jobs, done, strict=True) if m is not None and job.doc_id in pages}
    report.merged += len(merged)
    links = _links(con, rows)
    report.links += len(links)
    store.write_chunk(con, doc_ids=[d.doc_id for d in chunk], rows=rows, merged=merged, links=links, now=now)


def _job(
    doc: _Document,
    fetched: Mapping[str, _Fetched],
    held: Mapping[str, store.Stored],
    pages: Mapping[str, tuple[str, str]],
) -> Job:
    """A document's files: read anew when their bytes are new, else their text as held (a 304, the same bytes)."""
    files: list[tuple[str, str | None, str | None, FileText | None]] = []
    for link in doc.links:
        got, before = fetched.get(link.url), held.get(link.url)
        if got is not None and got.sha256 and not _same_bytes(got, before):
            files.append((link.url, got.sha256, file_name(link.url) or link.name, None))
        elif got is not None and got.failure in _KEEPS_HELD and before is not None and before.file is not None:
            files.append((link.url, None, None, before.file))
    title, text = pages.get(doc.doc_id, ("", ""))
    return Job(doc_id=doc.doc_id, title=title, page_text=text, files=tuple(files))


def _row(
    doc: _Document,
    position: int,
    link: Attachment,
    fetched: Mapping[str, _Fetched],
    held: Mapping[str, store.Stored],
    files: Mapping[str, FileText],
    run_id: str,
    now: datetime,
) -> store.AttachmentRow:
    """The row of one link of a document: what its file is and says, or why it has nothing to say."""
    common: dict[str, Any] = {"doc_id": doc.doc_id, "url": link.url, "name": link.name, "position": position}
    common |= {"checked_at": now, "run_id": run_id}
    unfetched = _not_fetched(doc, position, link)
    if unfetched is not None:
        return store.AttachmentRow(**common, extraction_status=unfetched[0].value, reason=unfetched[1])
    got, before, file = fetched.get(link.url), held.get(link.url), files.get(link.url)
    if got is None or file is None:
        status = got.failure if got is not None and got.failure else LinkStatus.FAILED
        reason = got.reason if got is not None else "not fetched"
        http = got.http_status if got is not None else None
        return store.AttachmentRow(**common, extraction_status=status.value, reason=reason, http_status=http)
    return store.AttachmentRow(
        **common,
        **_facts(got, before),
        format=file.format,
        media_type=file.media_type,
        text=file.text,
        text_hash=file.text_hash,
        minhash=file.minhash if linkable(file) else (),
        pages=file.pages,
        extraction_status=file.status,
        reason=_kept_reason(got, before) or file.reason,
    )


def _not_fetched(doc: _Document, position: int, link: Attachment) -> tuple[LinkStatus, str] | None:
    """Why a link was never asked for (past the files followed on a page, another host), if it was not."""
    if position > MAX_PER_DOCUMENT:
        return LinkStatus.SKIPPED, f"the page links more than {MAX_PER_DOCUMENT} files: not fetched"
    refused = refusal(link.url, _hosts(doc.source))
    return (LinkStatus.OFF_HOST, refused) if refused is not None else None


def _kept_reason(got: _Fetched, before: store.Stored | None) -> str | None:
    """Why a held file's text stands although this run's request failed."""
    if got.failure is None or before is None:
        return None
    held_on = f"{before.fetched_at:%Y-%m-%d}" if before.fetched_at else "an earlier run"
    return f"kept from the fetch of {held_on}; this run's request failed: {got.reason}"


def _facts(got: _Fetched, before: store.Stored | None) -> dict[str, Any]:
    """The fetch facts of a row: this run's new bytes, or those held (after a 304, a failure, the same bytes)."""
    if got.sha256 and not _same_bytes(got, before):
        return {
            "bytes": got.size,
            "sha256": got.sha256,
            "http_status": got.http_status,
            "content_type": got.content_type,
            "etag": got.etag,
            "last_modified": got.last_modified,
            "fetched_at": got.at,
        }
    assert before is not None  # a file with no new bytes has text only when held
    return {
        "bytes": before.bytes,
        "sha256": before.sha256,
        "http_status": got.http_status or before.http_status,
        "content_type": before.content_type,
        "etag": got.etag or before.etag,
        "last_modified": got.last_modified or before.last_modified,
        "fetched_at": before.fetched_at,
    }


def reread_attachments(con: duckdb.DuckDBPyConnection, root: Path) -> tuple[int, int]:
    """Read every archived attachment again (after a reader change) and merge its document again; the rows kept.

    A reparse rewrites a document's classification from its page alone: this puts its attachments' part
    back, read by the current readers, without fetching anything. Returns (files read, documents merged).
    """
    files, documents = 0, 0
    for chunk in chunked(store.documents_with_files(con), CHUNK):
        rows, pages = store.rows_of(con, chunk), store.page_texts(con, chunk)
        jobs = [_reread_job(doc_id, [r for r in rows if r.doc_id == doc_id], pages) for doc_id in chunk]
        done = {job.doc_id: work(root, job) for job in jobs}
        files += sum(len(job.files) for job in jobs)
        fresh = [_reread(row, done[row.doc_id][0].get(row.url)) for row in rows]
        merged = {doc_id: m for doc_id, (_, m) in done.items() if m is not None and doc_id in pages}
        documents += len(merged)
        store.write_chunk(con, doc_ids=chunk, rows=fresh, merged=merged, links=_links(con, fresh), now=utcnow())
    return files, documents


def _reread_job(doc_id: str, rows: Sequence[store.AttachmentRow], pages: Mapping[str, tuple[str, str]]) -> Job:
    """A document's archived files, all to be read again."""
    files = tuple(
        (row.url, row.sha256, file_name(row.url) or row.name, None)
        for row in rows
        if row.sha256 is not None and row.format is not None
    )
    title, text = pages.get(doc_id, ("", ""))
    return Job(doc_id=doc_id, title=title, page_text=text, files=files)


def _reread(row: store.AttachmentRow, file: FileText | None) -> store.AttachmentRow:
    """A row with what reading its file again gave (a row without bytes as it was)."""
    if file is None:
        return row
    return replace(
        row,
        format=file.format,
        media_type=file.media_type,
        text=file.text,
        text_hash=file.text_hash,
        minhash=file.minhash if linkable(file) else (),
        pages=file.pages,
        extraction_status=file.status,
        reason=file.reason,
    )


def _links(con: duckdb.DuckDBPyConnection, rows: Sequence[store.AttachmentRow]) -> list[store.Link]:
    """A chunk's attachments whose text is a known document of its own: notice → that document."""
    linked = [r for r in rows if r.minhash and r.text_hash]
    if not linked:
        return []
    prints = [FileText(format="", media_type="", status="", text_hash=r.text_hash, minhash=r.minhash) for r in linked]
    index = store.documents_index(con, prints, threshold=NEAR_THRESHOLD)
    found = []
    for row in linked:
        match = same_document(index, text_hash=row.text_hash or "", minhash=row.minhash, owner=row.doc_id)
        if match is not None:
            found.append(store.Link(row.doc_id, match.doc_id, row.url))
    return found


def _reverse_links(con: duckdb.DuckDBPyConnection, run_id: str) -> list[store.Link]:
    """This run's new documents holding the text of another document's stored attachment: notice → document."""
    found = []
    for doc_id, content_hash, signature, attachment in store.reverse_candidates(con, run_id):
        matched = attached_to(
            doc_id=doc_id, content_hash=content_hash, minhash=signature, prints=[attachment], threshold=NEAR_THRESHOLD
        )
        found += [store.Link(p.doc_id, doc_id, p.url) for p in matched]
    return found
