"""The warehouse side of deduplication and linking: read per run, written per document (issue 6).

A run reads only the documents its pages can match (same URL, same content hash, a shared LSH
bucket), never the whole warehouse. Load semantics: core.document_bands, document_keys and
document_citations are replaced per document whenever its text changes (delete by doc_id, insert);
core.document_links is insert-if-absent on (from_doc_id, to_doc_id, relation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from parsers.dedup import DedupIndex, band_keys, canonical_key
from parsers.fingerprint import minhash
from parsers.links import cited_numbers, cited_titles, number_key, title_keys
from warehouse import sql
from warehouse.batches import execute_with_batch, insert_rows

_TYPES = {"bucket": pa.uint64(), "band": pa.int16(), "minhash": pa.list_(pa.uint64())}


@dataclass(frozen=True, slots=True)
class KnownDocument:
    """What the loader needs of a document already in the warehouse."""

    doc_id: str
    content_hash: str
    version: int
    canonical_key: str


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """What a document's bands, keys and citations are built from."""

    doc_id: str
    title: str | None
    doc_number: str | None
    doc_type: str | None
    text: str
    minhash: Sequence[int]


@dataclass(frozen=True, slots=True, kw_only=True)
class Probe:
    """What a run's pages can be matched by."""

    urls: list[str]
    hashes: list[str]
    signatures: list[Sequence[int]]


def read_index(
    con: duckdb.DuckDBPyConnection, probe: Probe, *, threshold: float
) -> tuple[DedupIndex, dict[str, KnownDocument]]:
    """An index of just the documents these pages can match: same URL, same hash, a shared bucket."""
    index = DedupIndex(threshold=threshold)
    by_url = con.execute(sql.DOCS_BY_URL, [probe.urls, probe.urls]).fetchall()
    buckets = sorted({key for sig in probe.signatures for key in band_keys(sig)})
    doc_ids = {doc_id for _, doc_id in by_url}
    doc_ids.update(d for (d,) in con.execute(sql.DOCS_BY_HASH, [probe.hashes]).fetchall())
    doc_ids.update(d for (d,) in con.execute(sql.DOCS_BY_BUCKET, [buckets]).fetchall())
    known = {}
    for doc_id, content_hash, signature, version, key, url, published_on in con.execute(
        sql.KNOWN_DOCS, [sorted(doc_ids)]
    ).fetchall():
        index.add(doc_id, content_hash, signature, url)
        key = key or canonical_key(url=url or "", published_on=published_on)
        known[doc_id] = KnownDocument(doc_id, content_hash, version, key)
    for url, doc_id in sorted(by_url):
        index.add_url(url, doc_id)
    return index, known


def refresh_stale(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Re-sign and re-index documents loaded before migration 0005 or re-parsed since; their ids."""
    stale = con.execute(sql.STALE_DOCS).fetchall()
    if not stale:
        return []
    entries, resigned = [], []
    for doc_id, title, doc_number, doc_type, text, url, published_on, key in stale:
        signature = minhash(text)
        entries.append(IndexEntry(doc_id, title, doc_number, doc_type, text, signature))
        key = key or canonical_key(url=url or "", published_on=published_on)
        resigned.append({"doc_id": doc_id, "minhash": list(signature), "canonical_key": key})
    execute_with_batch(con, sql.RESIGN_FROM_BATCH, resigned, _TYPES)
    index_documents(con, entries)
    return [e.doc_id for e in entries]


def index_documents(con: duckdb.DuckDBPyConnection, entries: list[IndexEntry]) -> None:
    """Replace the bands, citation keys and citations of these documents; mark them indexed."""
    if not entries:
        return
    doc_ids = [e.doc_id for e in entries]
    for statement in (sql.CLEAR_BANDS, sql.CLEAR_KEYS, sql.CLEAR_CITATIONS):
        con.execute(statement, [doc_ids])
    insert_rows(con, "core.document_bands", [row for e in entries for row in _band_rows(e)], _TYPES)
    insert_rows(con, "core.document_keys", [row for e in entries for row in _key_rows(e)], _TYPES)
    insert_rows(con, "core.document_citations", [row for e in entries for row in _citation_rows(e)], _TYPES)
    con.execute(sql.MARK_INDEXED, [doc_ids])


def _band_rows(entry: IndexEntry) -> list[dict[str, Any]]:
    keys = band_keys(entry.minhash)
    return [{"bucket": key, "band": band, "doc_id": entry.doc_id} for band, key in enumerate(keys)]


def _key_rows(entry: IndexEntry) -> list[dict[str, Any]]:
    rows = [{"key": key, "doc_id": entry.doc_id, "kind": "title"} for key in title_keys(entry.title)]
    # A 发文字号 is owned by an official document (one with a type: 通知, 办法, 方案 …); a news story
    # quoting a number may have it extracted as its own, and would then be linked as the cited one.
    number = number_key(entry.doc_number) if entry.doc_type else None
    if number:
        rows.append({"key": number, "doc_id": entry.doc_id, "kind": "number"})
    return rows


def _citation_rows(entry: IndexEntry) -> list[dict[str, Any]]:
    cited = [(key, "title") for key in cited_titles(entry.text)]
    cited += [(key, "number") for key in cited_numbers(entry.text)]
    return [{"key": key, "doc_id": entry.doc_id, "kind": kind} for key, kind in cited]


def link(con: duckdb.DuckDBPyConnection, doc_ids: list[str], now: datetime) -> None:
    """Cites links both ways for these documents: what they cite, and who cites them."""
    if doc_ids:
        con.execute(sql.LINK_CITATIONS, [now, doc_ids, doc_ids])


def take_over(
    con: duckdb.DuckDBPyConnection, doc_id: str, *, url: str, source_name: str, key: str, now: datetime
) -> None:
    """Make a better copy the document's canonical copy; its doc_id stays."""
    con.execute(sql.TAKE_OVER, [url, source_name, key, now, doc_id])

