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
import numpy as np
import pyarrow as pa

from parsers.dedup import BANDS, ROWS, DedupIndex, band_keys_many, canonical_key
from parsers.fingerprint import minhash
from parsers.links import cited_numbers, cited_titles, number_key, title_keys
from parsers.placement import KnownDocument, Probe
from warehouse import sql
from warehouse.batches import execute_with_batch, insert_rows, insert_table, keys

_TYPES = {"bucket": pa.uint64(), "band": pa.int16(), "minhash": pa.list_(pa.uint64())}


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """What a document's bands, keys and citations are built from."""

    doc_id: str
    title: str | None
    doc_number: str | None
    doc_type: str | None
    minhash: Sequence[int]
    cited_titles: Sequence[str]
    cited_numbers: Sequence[str]


def read_index(
    con: duckdb.DuckDBPyConnection, probe: Probe, *, threshold: float
) -> tuple[DedupIndex, dict[str, KnownDocument]]:
    """An index of just the documents these pages can match: same URL, same hash, a shared bucket."""
    index = DedupIndex(threshold=threshold)
    banded = index.band_ahead(probe.signatures)  # matching the run's pages reuses these keys
    with keys(con, probe.urls, pa.string()):
        by_url = con.execute(sql.DOCS_BY_URL).fetchall()
    doc_ids = {doc_id for _, doc_id in by_url}
    with keys(con, probe.hashes, pa.string()):
        doc_ids.update(d for (d,) in con.execute(sql.DOCS_BY_HASH).fetchall())
    if banded.size:
        with keys(con, np.unique(banded), pa.uint64()):
            doc_ids.update(d for (d,) in con.execute(sql.DOCS_BY_BUCKET).fetchall())
    known = {}
    with keys(con, sorted(doc_ids), pa.string()):
        rows = con.execute(sql.KNOWN_DOCS).fetchall()
    for doc_id, content_hash, signature, version, key, url, published_on in rows:
        index.add(doc_id, content_hash, signature, url)
        key = key or canonical_key(url=url or "", published_on=published_on)
        known[doc_id] = KnownDocument(doc_id, content_hash, version, key)
    for url, doc_id in sorted(by_url):
        index.add_url(url, doc_id)
    return index, known


def refresh_stale(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Re-sign and re-index documents loaded before migration 0005 or re-parsed since; their ids."""
    ids = [doc_id for (doc_id,) in con.execute(sql.STALE_IDS).fetchall()]
    if not ids:
        return []
    with keys(con, ids, pa.string()):
        stale = con.execute(sql.STALE_DOCS).fetchall()
    entries, resigned = [], []
    for doc_id, title, doc_number, doc_type, text, url, published_on, key in stale:
        signature = minhash(text)
        entries.append(
            IndexEntry(doc_id, title, doc_number, doc_type, signature, cited_titles(text), cited_numbers(text))
        )
        key = key or canonical_key(url=url or "", published_on=published_on)
        resigned.append({"doc_id": doc_id, "minhash": list(signature), "canonical_key": key})
    execute_with_batch(con, sql.RESIGN_FROM_BATCH, resigned, _TYPES)
    index_documents(con, entries)
    return [e.doc_id for e in entries]


def index_documents(con: duckdb.DuckDBPyConnection, entries: list[IndexEntry], *, new: bool = False) -> None:
    """Replace the bands, citation keys and citations of these documents; mark them indexed.

    `new`: documents inserted by this load with `indexed_hash` set: there is nothing to replace or mark.
    """
    if not entries:
        return
    if not new:
        with keys(con, [e.doc_id for e in entries], pa.string()):
            for statement in (sql.CLEAR_BANDS, sql.CLEAR_KEYS, sql.CLEAR_CITATIONS, sql.MARK_INDEXED):
                con.execute(statement)
    insert_table(con, "core.document_bands", _band_table(entries))
    insert_rows(con, "core.document_keys", [row for e in entries for row in _key_rows(e)], _TYPES)
    insert_rows(con, "core.document_citations", [row for e in entries for row in _citation_rows(e)], _TYPES)


def _band_table(entries: list[IndexEntry]) -> pa.Table:
    banded = [e for e in entries if len(e.minhash) >= BANDS * ROWS]
    buckets = band_keys_many(np.asarray([e.minhash for e in banded], dtype=np.uint64).reshape(len(banded), -1))
    return pa.table(
        {
            "bucket": pa.array(buckets.ravel(), pa.uint64()),
            "band": pa.array(np.tile(np.arange(BANDS, dtype=np.int16), len(banded)), pa.int16()),
            "doc_id": pa.array(np.repeat(np.array([e.doc_id for e in banded], dtype=object), BANDS), pa.string()),
        }
    )


def _key_rows(entry: IndexEntry) -> list[dict[str, Any]]:
    rows = [{"key": key, "doc_id": entry.doc_id, "kind": "title"} for key in title_keys(entry.title)]
    # A 发文字号 is owned by an official document (one with a type: 通知, 办法, 方案 …); a news story
    # quoting a number may have it extracted as its own, and would then be linked as the cited one.
    number = number_key(entry.doc_number) if entry.doc_type else None
    if number:
        rows.append({"key": number, "doc_id": entry.doc_id, "kind": "number"})
    return rows


def _citation_rows(entry: IndexEntry) -> list[dict[str, Any]]:
    cited = [(key, "title") for key in entry.cited_titles] + [(key, "number") for key in entry.cited_numbers]
    return [{"key": key, "doc_id": entry.doc_id, "kind": kind} for key, kind in cited]


def link(con: duckdb.DuckDBPyConnection, doc_ids: list[str], now: datetime) -> None:
    """Cites links both ways for these documents: what they cite, and who cites them."""
    if doc_ids:
        with keys(con, doc_ids, pa.string()):
            con.execute(sql.LINK_CITATIONS, [now])
