"""Chinese full-text search: jieba terms per document in core.document_terms, ranked with BM25 in SQL.

Chosen over the `fts` extension (measured in docs/benchmarks.md): this index is incremental (a night
re-indexes only its new and changed documents, right after the load commits), while `fts` rebuilds
the whole index on every change and is tied to DuckDB 1.5.5 through its wheel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import pyarrow as pa

from parsers.normalize import normalize_text
from parsers.tokens import query_terms, term_counts
from warehouse.batches import chunked, keys, registered_table

__all__ = ["SearchHit", "index_documents", "search"]

# BM25 knobs: the usual k1 and b; a title hit counts three times a body hit (as in the classifier).
K1, B, TITLE_BOOST = 1.2, 0.75, 3.0
# A title holding every query term is what the user is after: put it on top; a title equal to the
# query (letters and digits only) above every other.
EXACT_TITLE_BONUS = 100.0
# Documents per batch of term rows: the rows of a batch are built in Python and grouped and sorted by
# DuckDB at once (20 000 at a time took 80 KB a document of memory in a backfill; 500 keep it flat).
CHUNK = 500
_QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”')
_LETTERS = re.compile(r"[\W_]+")  # everything but letters and digits, as `[^\p{L}\p{N}]` in SQL
_SNIPPET = 60  # characters of context around the first hit

# What a document contributes to search (issue 19): its title; its page's text, then the text its attachments
# gave, in page order (a word only in the plan a notice hands over finds the notice). Its terms are kept at
# an index hash: its content_hash, or with attachment text, a hash of that and the texts' hashes, so a
# new, changed or newly read attachment re-indexes its document. {filter}: narrows the attachments read.
ATTACHED = """
SELECT doc_id, string_agg(text, chr(10) ORDER BY position) AS text,
       string_agg(text_hash, ',' ORDER BY position) AS hashes
FROM core.attachments WHERE text IS NOT NULL {filter} GROUP BY doc_id
"""
INDEX_HASH = "CASE WHEN a.hashes IS NULL THEN d.content_hash ELSE md5(d.content_hash || ':' || a.hashes) END"
# Documents whose terms are missing or older than their text: new, re-parsed, a new version, or attachments
# read since (their hashes only: no text is read here).
UNINDEXED = f"""
SELECT d.doc_id FROM core.documents d LEFT JOIN core.search_documents s USING (doc_id)
LEFT JOIN (SELECT doc_id, string_agg(text_hash, ',' ORDER BY position) AS hashes FROM core.attachments
           WHERE text IS NOT NULL GROUP BY doc_id) a USING (doc_id)
WHERE s.doc_id IS NULL OR s.content_hash <> {INDEX_HASH} ORDER BY d.doc_id
"""
# {ids}: `$dN` placeholders. A constant IN list filters inside the scan; a semi-join on a registered
# table read every text of the warehouse for each chunk (see FETCH). Attachments are read for the listed
# documents only, here and in FETCH.
CONTRIBUTED = f"""core.documents d
LEFT JOIN ({ATTACHED.replace("{filter}", "AND doc_id IN ({ids})")}) a USING (doc_id)"""
BODY = "d.text || coalesce(chr(10) || a.text, '')"
DOCS_TO_INDEX = f"""
SELECT d.doc_id, coalesce(d.title, ''), {BODY}, {INDEX_HASH} FROM {CONTRIBUTED}
WHERE d.doc_id IN ({{ids}}) ORDER BY d.doc_id
"""
# Re-indexed documents only: terms first (found through the keys of the rows about to go), then the rows.
# A chunk of new documents skips both (the DELETE scans the whole terms table).
INDEXED_KEYS = "SELECT doc_key FROM core.search_documents WHERE doc_id IN (SELECT doc_id FROM _pw_search_ids)"
CLEAR_TERMS = "DELETE FROM core.document_terms WHERE doc_key IN (SELECT v FROM _pw_keys)"
CLEAR_INDEXED = "DELETE FROM core.search_documents WHERE doc_key IN (SELECT v FROM _pw_keys)"
INSERT_INDEXED = """
INSERT INTO core.search_documents (doc_key, doc_id, content_hash, title_terms, body_terms, indexed_at)
SELECT nextval('core.search_doc_key'), doc_id, content_hash, title_terms, body_terms, $now
FROM (SELECT i.doc_id, i.content_hash,
             coalesce(sum(l.tf) FILTER (WHERE d.field = 'title'), 0) AS title_terms,
             coalesce(sum(l.tf) FILTER (WHERE d.field = 'body'), 0) AS body_terms
      FROM _pw_search_ids i LEFT JOIN _pw_search_doc_lines d USING (doc_id)
      LEFT JOIN _pw_search_lines l USING (line_id)
      GROUP BY i.doc_id, i.content_hash
      ORDER BY i.doc_id)
"""
# Lines are cut once per batch (boilerplate and copies repeat); DuckDB sums them per document and
# field and sorts by term, so zone maps let a lookup of a few terms skip most row groups.
INSERT_TERMS = """
INSERT INTO core.document_terms (term, doc_key, field, tf, field_terms)
SELECT term, doc_key, field, tf, sum(tf) OVER (PARTITION BY doc_key, field)
FROM (SELECT l.term, s.doc_key, d.field, sum(l.tf)::INTEGER AS tf
      FROM _pw_search_doc_lines d JOIN _pw_search_lines l USING (line_id)
      JOIN core.search_documents s ON s.doc_id = d.doc_id AND s.doc_id IN (SELECT doc_id FROM _pw_search_ids)
      GROUP BY ALL)
ORDER BY term, doc_key, field
"""

# Stage 1 ranks on the terms table and the documents' short columns (the filters): BM25 per field,
# title boosted, documents with more distinct query terms first, a bonus when the title holds every
# query term. {terms} is a list of `$tN` placeholders (values are bound); filters are no-ops when NULL.
RANK = """
WITH stats AS (
    SELECT count(*)::DOUBLE AS n, greatest(avg(title_terms), 1) AS avg_title, greatest(avg(body_terms), 1) AS avg_body
    FROM core.search_documents),
hits AS (SELECT term, doc_key, field, tf, field_terms FROM core.document_terms WHERE term IN ({terms})),
per_term AS (  -- one row per document and term: the saturated tf of both fields, without idf yet
    SELECT h.doc_key, h.term, bool_or(h.field = 'title') AS in_title,
           sum(h.tf * ($k1 + 1) / (h.tf + $k1 * (1 - $b + $b * h.field_terms
                                                / CASE h.field WHEN 'title' THEN s.avg_title ELSE s.avg_body END))
               * CASE h.field WHEN 'title' THEN $title_boost ELSE 1 END) AS part
    FROM hits h CROSS JOIN stats s
    GROUP BY h.doc_key, h.term),
idf AS (
    SELECT p.term, ln(1 + (any_value(s.n) - count(*) + 0.5) / (count(*) + 0.5)) AS idf
    FROM per_term p CROSS JOIN stats s GROUP BY p.term),
scored AS (  -- plain aggregates only: DISTINCT aggregates cost seconds on common terms
    SELECT p.doc_key, count(*) AS matched, count(*) FILTER (WHERE p.in_title) AS in_title, sum(i.idf * p.part) AS bm25
    FROM per_term p JOIN idf i USING (term)
    GROUP BY p.doc_key)
SELECT sd.doc_id, sc.matched, sc.bm25 + CASE WHEN sc.in_title = $terms_count THEN $bonus ELSE 0 END AS score
FROM scored sc JOIN core.search_documents sd USING (doc_key) JOIN core.documents d ON d.doc_id = sd.doc_id
WHERE ($since::DATE IS NULL OR coalesce(d.published_on, d.first_seen_at::DATE) >= $since::DATE)
  AND ($until::DATE IS NULL OR coalesce(d.published_on, d.first_seen_at::DATE) <= $until::DATE)
  AND ($region::VARCHAR IS NULL OR list_contains(d.regions, $region::VARCHAR))
  AND ($topic::VARCHAR IS NULL OR d.doc_id IN (SELECT l.doc_id FROM core.document_labels l
                                               WHERE l.topic = $topic::VARCHAR OR l.topic_id = $topic::VARCHAR))
ORDER BY sc.matched DESC, score DESC, sd.doc_id
LIMIT $pool
"""
# Stage 2 reads titles and texts of the candidates only. A constant IN list ({ids}: `$dN`
# placeholders, values bound) filters inside the scan, so the text column of other documents is
# never read; a join or `unnest(?)` there would read every text (measured: 25 ms against 200 ms at
# 200 000 documents). `exact`: the title equals the query; `phrases_ok`: every quoted part appears.
FETCH = rf"""
SELECT doc_id, title, url, published_on, source_name, regions,
       regexp_replace(coalesce(title, ''), '[^\p{{L}}\p{{N}}]', '', 'g') = $whole AS exact,
       substr(body, greatest(1, strpos(body, $anchor) - $context), 2 * $context) AS snippet,
       coalesce(list_bool_and([strpos(coalesce(title, '') || chr(10) || body, p) > 0
                               FOR p IN $phrases::VARCHAR[]]), true) AS phrases_ok
FROM (SELECT d.doc_id, d.title, d.url, d.published_on, d.source_name, d.regions, {BODY} AS body
      FROM {CONTRIBUTED} WHERE d.doc_id IN ({{ids}}))
"""
POOL = 200  # candidates re-ranked by stage 2: far more than a page of results
# With quoted parts, more candidates (the phrase filter drops some); a longer IN list costs superlinearly.
PHRASE_POOL = 500


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One ranked search result."""

    doc_id: str
    title: str | None
    url: str | None
    published_on: date | None
    source_name: str | None
    regions: tuple[str, ...]
    score: float
    matched: int  # distinct query terms the document contains
    snippet: str


def index_documents(
    con: duckdb.DuckDBPyConnection,
    doc_ids: list[str] | None = None,
    *,
    now: datetime | None = None,
    commit_each: bool = False,
) -> int:
    """(Re)index the given documents, or every document not indexed at its current text; returns the count.

    Runs no BEGIN/COMMIT unless `commit_each`: call it inside a transaction so terms and documents commit
    together. With `commit_each` (outside a transaction), every CHUNK documents commit on their own, so
    a backfill's terms never sit uncommitted in memory; an interrupted indexing resumes where it stopped.
    """
    ids = [r[0] for r in con.execute(UNINDEXED).fetchall()] if doc_ids is None else sorted(set(doc_ids))
    stamp = (now or datetime.now(UTC)).replace(tzinfo=None)
    for chunk in chunked(ids, CHUNK):
        if commit_each:
            con.execute("BEGIN TRANSACTION")
        _index_chunk(con, chunk, stamp)
        if commit_each:
            con.execute("COMMIT")
    return len(ids)


def _index_chunk(con: duckdb.DuckDBPyConnection, ids: list[str], now: datetime) -> None:
    query = DOCS_TO_INDEX.replace("{ids}", _placeholders("d", len(ids)))
    docs = con.execute(query, {f"d{i}": doc_id for i, doc_id in enumerate(ids)}).fetchall()
    with registered_table(con, "_pw_search_ids", pa.table({"doc_id": pa.array(ids, pa.string())})):
        indexed = [key for (key,) in con.execute(INDEXED_KEYS).fetchall()]
    if indexed:
        with keys(con, indexed, pa.int64()):
            con.execute(CLEAR_TERMS)
            con.execute(CLEAR_INDEXED)
    found = pa.table(
        {
            "doc_id": pa.array([d[0] for d in docs], pa.string()),
            "content_hash": pa.array([d[3] for d in docs], pa.string()),
        }
    )
    doc_lines, lines = _line_tables(docs)
    with (
        registered_table(con, "_pw_search_ids", found),
        registered_table(con, "_pw_search_doc_lines", doc_lines),
        registered_table(con, "_pw_search_lines", lines),
    ):
        con.execute(INSERT_INDEXED, {"now": now})
        con.execute(INSERT_TERMS)


def _line_tables(docs: list[tuple[Any, ...]]) -> tuple[pa.Table, pa.Table]:
    """(doc_id, field, line_id) per line of each document, and (line_id, term, tf) per distinct line."""
    line_ids: dict[str, int] = {}
    doc_col, field_col, line_col = [], [], []
    for doc_id, title, text, _ in docs:
        for field, body in (("title", title), ("body", text)):
            for line in body.split("\n"):
                if line:
                    doc_col.append(doc_id)
                    field_col.append(field)
                    line_col.append(line_ids.setdefault(line, len(line_ids)))
    term_line, term_col, tf_col = [], [], []
    for line, line_id in line_ids.items():
        for term, tf in term_counts(line).items():
            term_line.append(line_id)
            term_col.append(term)
            tf_col.append(tf)
    doc_lines = pa.table(
        {
            "doc_id": pa.array(doc_col, pa.string()),
            "field": pa.array(field_col, pa.string()),
            "line_id": pa.array(line_col, pa.int32()),
        }
    )
    lines = pa.table(
        {
            "line_id": pa.array(term_line, pa.int32()),
            "term": pa.array(term_col, pa.string()),
            "tf": pa.array(tf_col, pa.int32()),
        }
    )
    return doc_lines, lines


def search(
    con: duckdb.DuckDBPyConnection,
    query: str,
    *,
    limit: int = 20,
    since: date | None = None,
    until: date | None = None,
    topic: str | None = None,
    region: str | None = None,
) -> list[SearchHit]:
    """Ranked documents for a query; "quoted parts" must appear verbatim; filters by date, topic, region."""
    terms = query_terms(query)
    if not terms:
        return []
    phrases = [normalize_text(a or b) for a, b in _QUOTED.findall(query)]
    ranked = _rank(
        con,
        terms,
        limit=max(PHRASE_POOL if phrases else POOL, limit),
        since=since,
        until=until,
        topic=topic,
        region=region,
    )
    if not ranked:
        return []
    params: dict[str, Any] = {f"d{i}": doc_id for i, (doc_id, _, _) in enumerate(ranked)}
    params |= {
        "whole": _LETTERS.sub("", normalize_text(query)),
        "anchor": phrases[0] if phrases else terms[0],
        "context": _SNIPPET // 2,
        "phrases": phrases,
    }
    rows = {r[0]: r for r in con.execute(FETCH.replace("{ids}", _placeholders("d", len(ranked))), params).fetchall()}
    hits = [
        SearchHit(
            doc_id,
            r[1],
            r[2],
            r[3],
            r[4],
            tuple(r[5]),
            score + (EXACT_TITLE_BONUS if r[6] else 0.0),
            matched,
            r[7] or "",
        )
        for doc_id, matched, score in ranked
        if (r := rows.get(doc_id)) is not None and r[8]
    ]
    hits.sort(key=lambda h: (-h.matched, -h.score, h.doc_id))
    return hits[:limit]


def _rank(
    con: duckdb.DuckDBPyConnection,
    terms: tuple[str, ...],
    *,
    limit: int,
    since: date | None,
    until: date | None,
    topic: str | None,
    region: str | None,
) -> list[tuple[str, int, float]]:
    """Stage 1: (doc_id, matched terms, score) of the best `limit` candidates."""
    params: dict[str, Any] = {f"t{i}": term for i, term in enumerate(terms)}
    params |= {
        "k1": K1,
        "b": B,
        "title_boost": TITLE_BOOST,
        "bonus": EXACT_TITLE_BONUS,
        "terms_count": len(terms),
        "since": since,
        "until": until,
        "region": region,
        "topic": topic,
        "pool": limit,
    }
    rows = con.execute(RANK.replace("{terms}", _placeholders("t", len(terms))), params).fetchall()
    return [(r[0], int(r[1]), float(r[2])) for r in rows]


def _placeholders(prefix: str, count: int) -> str:
    """`$p0, $p1, …`: named parameters for a list of bound values."""
    return ", ".join(f"${prefix}{i}" for i in range(count))
