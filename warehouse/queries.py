"""Named, parameterised read queries used by the digest and the CLI."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

import duckdb

# Relevant documents first seen in a week, with the other sites (host of each later sighting, else its
# source) that carried them: "also reported by N sites".
WEEK_DOCUMENTS = """
SELECT d.doc_id, d.title, d.url, d.published_on, d.issuers, d.doc_number, d.level, d.doc_type, d.summary,
       d.first_seen_at, d.regions,
       (SELECT list(DISTINCT coalesce(nullif(regexp_extract(s.url, '^https?://([^/:?#]+)', 1), ''), s.source_name)
                    ORDER BY 1)
          FROM core.document_sightings s WHERE s.doc_id = d.doc_id AND s.match <> 'first') AS also_seen_by,
       (SELECT count(*) FROM core.document_sightings s WHERE s.doc_id = d.doc_id AND s.match <> 'first') AS reposts
FROM core.documents d
WHERE d.week = ? AND d.relevant
ORDER BY d.published_on DESC NULLS LAST, d.first_seen_at DESC, d.doc_id
"""
# The newest weeks holding relevant documents: what to point at when the asked week has none.
WEEKS_WITH_DOCUMENTS = """
SELECT week, count(*) FROM core.documents WHERE relevant GROUP BY week ORDER BY week DESC LIMIT ?
"""
DOCUMENT_IDS = "SELECT doc_id FROM core.documents ORDER BY doc_id"
URLS_LIKE = "SELECT count(*), count(DISTINCT url) FILTER (WHERE url LIKE ?) FROM core.documents"
TITLE_AND_TEXT = "SELECT coalesce(title, ''), text FROM core.documents WHERE doc_id = ?"
WEEK_LABELS = """
SELECT l.doc_id, l.facet, l.topic_id, l.topic, l.score
FROM core.document_labels l JOIN core.documents d USING (doc_id)
WHERE d.week = ? AND d.relevant
ORDER BY l.doc_id, l.score DESC
"""
WEEK_COUNT_BY_LEVEL = """
SELECT coalesce(level, 'unknown') AS level, count(*) FROM core.documents
WHERE week = ? AND relevant GROUP BY ALL
"""
# A week's keywords, those absent from the weeks before it (within the window) first: "top new keywords".
WEEK_KEYWORDS = """
WITH this AS (SELECT unnest(keywords) AS k FROM core.documents WHERE week = ? AND relevant),
     before AS (SELECT DISTINCT unnest(keywords) AS k FROM core.documents WHERE week >= ? AND week < ? AND relevant)
SELECT k, count(*) AS n, k NOT IN (SELECT k FROM before) AS new FROM this
GROUP BY k ORDER BY new DESC, n DESC, k LIMIT ?
"""
TOPIC_TREND = """
SELECT week, topic, documents FROM main.weekly_topic_counts WHERE week BETWEEN ? AND ? ORDER BY week, topic
"""
# Source health as of a week's end, from the ledger: the nightly runs that started before it, newest first,
# with the sources that failed or drifted in each (run summaries, warehouse/load.py), and the pages that
# failed during the week (bounds in UTC). Not core.source_health: that is the state now, and a digest of
# last week built on Monday would show Monday's failures.
RUNS_BEFORE = """
SELECT started_at, summary FROM core.runs
WHERE flow = 'nightly-ingest' AND status = 'success' AND started_at < ? AND summary IS NOT NULL
ORDER BY started_at DESC LIMIT ?
"""
FAILED_PAGES = """
SELECT source_name, count(*) FROM core.pages
WHERE outcome = 'failed' AND fetched_at >= ? AND fetched_at < ? GROUP BY source_name
"""
HEALTH_RUNS = 60  # runs looked back over to count a source's consecutive failures


@dataclass(frozen=True, slots=True, kw_only=True)
class DigestDocument:
    """A document as the digest shows it."""

    doc_id: str
    title: str
    url: str | None
    published_on: date | None
    issuers: list[str]
    doc_number: str | None
    level: str | None
    doc_type: str | None
    summary: str
    first_seen_at: datetime
    regions: list[str]
    also_seen_by: list[str]
    reposts: int
    topics: list[tuple[str, str, float]]  # (topic_id, topic, score), best first
    instruments: list[str]


def week_documents(con: duckdb.DuckDBPyConnection, week: str) -> list[DigestDocument]:
    """The relevant documents first seen in an ISO week, with their labels."""
    labels: dict[str, dict[str, list[tuple[str, str, float]]]] = {}
    for doc_id, facet, topic_id, topic, score in con.execute(WEEK_LABELS, [week]).fetchall():
        labels.setdefault(doc_id, {}).setdefault(facet, []).append((topic_id, topic, score))
    documents = []
    for row in con.execute(WEEK_DOCUMENTS, [week]).fetchall():
        (
            doc_id,
            title,
            url,
            published_on,
            issuers,
            doc_number,
            level,
            doc_type,
            summary,
            first_seen_at,
            regions,
            also_seen_by,
            reposts,
        ) = row
        own = labels.get(doc_id, {})
        documents.append(
            DigestDocument(
                doc_id=doc_id,
                title=title or "(无标题)",
                url=url,
                published_on=published_on,
                issuers=issuers or [],
                doc_number=doc_number,
                level=level,
                doc_type=doc_type,
                summary=summary or "",
                first_seen_at=first_seen_at,
                regions=regions or [],
                also_seen_by=also_seen_by or [],
                reposts=reposts,
                topics=own.get("industry", []),
                instruments=[t for _, t, _ in own.get("instrument", [])],
            )
        )
    return documents


def document_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every document's id, sorted."""
    return [doc_id for (doc_id,) in con.execute(DOCUMENT_IDS).fetchall()]


def documents_with_urls_like(con: duckdb.DuckDBPyConnection, pattern: str) -> tuple[int, int]:
    """(documents, distinct URLs among them matching the LIKE `pattern`)."""
    row = con.execute(URLS_LIKE, [pattern]).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def title_and_text(con: duckdb.DuckDBPyConnection, doc_id: str) -> tuple[str, str]:
    """A document's title ('' when it has none) and text."""
    row = con.execute(TITLE_AND_TEXT, [doc_id]).fetchone()
    if row is None:
        raise KeyError(doc_id)
    return str(row[0]), str(row[1])


def weeks_with_documents(con: duckdb.DuckDBPyConnection, limit: int = 3) -> list[tuple[str, int]]:
    """The newest ISO weeks that hold relevant documents, with how many, newest first."""
    return [(str(week), int(n)) for week, n in con.execute(WEEKS_WITH_DOCUMENTS, [limit]).fetchall()]


def count_by_level(con: duckdb.DuckDBPyConnection, week: str) -> dict[str, int]:
    """Relevant documents of a week by administrative level."""
    return dict(con.execute(WEEK_COUNT_BY_LEVEL, [week]).fetchall())


@dataclass(frozen=True, slots=True)
class Keyword:
    """A keyword of the week's documents; `new` when the weeks before (from `since`) never had it."""

    keyword: str
    documents: int
    new: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceProblem:
    """A source failing or drifted, for the digest's health footer."""

    source_name: str
    consecutive_failures: int
    last_error: str | None
    drifted: bool
    drift_reason: str | None
    last_success_at: datetime | None
    failed_pages: int


def top_keywords(con: duckdb.DuckDBPyConnection, week: str, since: str, limit: int = 12) -> list[Keyword]:
    """The week's most frequent keywords, new ones (unseen between `since` and the week) first."""
    return [Keyword(k, n, new) for k, n, new in con.execute(WEEK_KEYWORDS, [week, since, week, limit]).fetchall()]


def topic_trend(con: duckdb.DuckDBPyConnection, first_week: str, last_week: str) -> list[tuple[str, str, int]]:
    """(week, topic, documents) for the weeks between two ISO weeks (inclusive)."""
    return [(w, t, n) for w, t, n in con.execute(TOPIC_TREND, [first_week, last_week]).fetchall()]


def last_nightly_run(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> datetime | None:
    """Start of the newest successful nightly run in [start, end): what the week's health footer is as of."""
    row = con.execute(RUNS_BEFORE, [end, 1]).fetchone()
    return row[0] if row and row[0] >= start else None


def unhealthy_sources(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> list[SourceProblem]:
    """Sources failing or drifted in the last nightly run before `end`, or with failed pages in [start, end)."""
    runs = [(at, json.loads(summary)) for at, summary in con.execute(RUNS_BEFORE, [end, HEALTH_RUNS]).fetchall()]
    failed_pages = dict(con.execute(FAILED_PAGES, [start, end]).fetchall())
    newest = runs[0][1] if runs else {}
    errors: dict[str, str] = newest.get("source_errors") or {}
    drift: dict[str, str] = newest.get("source_drift") or {}
    problems = []
    for name in sorted(set(errors) | set(drift) | set(failed_pages)):
        streak = next((i for i, (_, s) in enumerate(runs) if name not in (s.get("source_errors") or {})), len(runs))
        problems.append(
            SourceProblem(
                source_name=name,
                consecutive_failures=streak,
                last_error=errors.get(name),
                drifted=name in drift,
                drift_reason=drift.get(name),
                last_success_at=runs[streak][0] if streak < len(runs) else None,
                failed_pages=int(failed_pages.get(name, 0)),
            )
        )
    return problems


# Shown in the digest for readers to paste into DuckDB: a literal, not executed here.
SQL_HINT = "SELECT * FROM documents WHERE week = '{week}' AND relevant ORDER BY published_on DESC;"


def sql_hint(week: str) -> str:
    """The query a digest reader can run to see the week's documents (week is a checked ISO week)."""
    return SQL_HINT.format(week=week)
