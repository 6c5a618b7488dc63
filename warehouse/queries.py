"""Named, parameterised read queries used by the digest and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb

# Relevant documents first seen in a week, with how many other places they were seen.
WEEK_DOCUMENTS = """
SELECT d.doc_id, d.title, d.url, d.published_on, d.issuers, d.doc_number, d.level, d.doc_type, d.summary,
       d.first_seen_at, d.regions,
       (SELECT list(DISTINCT s.source_name ORDER BY s.source_name) FROM core.document_sightings s
         WHERE s.doc_id = d.doc_id AND s.match <> 'first') AS also_seen_by,
       (SELECT count(*) FROM core.document_sightings s WHERE s.doc_id = d.doc_id AND s.match <> 'first') AS reposts
FROM core.documents d
WHERE d.week = ? AND d.relevant
ORDER BY d.published_on DESC NULLS LAST, d.first_seen_at DESC, d.doc_id
"""
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
WEEK_KEYWORDS = """
SELECT k, count(*) AS n FROM (SELECT unnest(keywords) AS k FROM core.documents WHERE week = ? AND relevant)
GROUP BY k ORDER BY n DESC, k LIMIT ?
"""
TOPIC_TREND = """
SELECT week, topic, documents FROM main.weekly_topic_counts WHERE week BETWEEN ? AND ? ORDER BY week, topic
"""
UNHEALTHY_SOURCES = """
SELECT source_name, consecutive_failures, last_error, drifted, last_success_at FROM core.source_health
WHERE consecutive_failures > 0 OR drifted ORDER BY source_name
"""


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
        (doc_id, title, url, published_on, issuers, doc_number, level, doc_type, summary, first_seen_at, regions,
         also_seen_by, reposts) = row
        own = labels.get(doc_id, {})
        documents.append(DigestDocument(
            doc_id=doc_id, title=title or "(无标题)", url=url, published_on=published_on, issuers=issuers or [],
            doc_number=doc_number, level=level, doc_type=doc_type, summary=summary or "",
            first_seen_at=first_seen_at, regions=regions or [], also_seen_by=also_seen_by or [],
            reposts=reposts, topics=own.get("industry", []),
            instruments=[t for _, t, _ in own.get("instrument", [])],
        ))
    return documents


def count_by_level(con: duckdb.DuckDBPyConnection, week: str) -> dict[str, int]:
    """Relevant documents of a week by administrative level."""
    return dict(con.execute(WEEK_COUNT_BY_LEVEL, [week]).fetchall())


def top_keywords(con: duckdb.DuckDBPyConnection, week: str, limit: int = 12) -> list[tuple[str, int]]:
    """The most frequent document keywords of a week."""
    return [(k, n) for k, n in con.execute(WEEK_KEYWORDS, [week, limit]).fetchall()]


def topic_trend(con: duckdb.DuckDBPyConnection, first_week: str, last_week: str) -> list[tuple[str, str, int]]:
    """(week, topic, documents) for the weeks between two ISO weeks (inclusive)."""
    return [(w, t, n) for w, t, n in con.execute(TOPIC_TREND, [first_week, last_week]).fetchall()]


def unhealthy_sources(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, str | None, bool, datetime | None]]:
    """Sources failing or drifted, for the digest footer."""
    return [tuple(r) for r in con.execute(UNHEALTHY_SOURCES).fetchall()]  # type: ignore[misc]
