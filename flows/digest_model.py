"""The weekly digest as data: everything the templates show, built from warehouse queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb

from warehouse import queries
from warehouse.queries import DigestDocument
from warehouse.weeks import shift_week, week_bounds

LEVEL_NAMES = {"central": "中央", "provincial": "省级", "municipal": "市级", "unknown": "未标明"}
TREND_WEEKS = 8


@dataclass(frozen=True, slots=True)
class TopicSection:
    """One topic and its documents this week."""

    topic_id: str
    topic: str
    documents: list[DigestDocument]


@dataclass(frozen=True, slots=True)
class TrendRow:
    """A topic's weekly counts over the trend window, oldest first."""

    topic: str
    counts: list[int]

    @property
    def peak(self) -> int:
        """The largest weekly count (for scaling bars)."""
        return max(self.counts, default=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Digest:
    """Everything one weekly digest says."""

    week: str
    monday: date
    sunday: date
    total: int
    previous_total: int
    by_level: dict[str, int]
    sections: list[TopicSection]
    trend_weeks: list[str]
    trend: list[TrendRow]
    keywords: list[tuple[str, int]]
    instruments: list[tuple[str, int]]
    unhealthy: list[tuple[str, int, str | None, bool, object]] = field(default_factory=list)

    @property
    def change(self) -> int:
        """New documents this week minus last week."""
        return self.total - self.previous_total

    @property
    def subject(self) -> str:
        """The mail subject line."""
        return f"PolicyWatch 周报 {self.week}: {self.total} 项新政策"


def build_digest(con: duckdb.DuckDBPyConnection, week: str) -> Digest:
    """Gather a week's digest from the warehouse."""
    monday, sunday = week_bounds(week)
    documents = queries.week_documents(con, week)
    previous = queries.count_by_level(con, shift_week(week, -1))
    first = shift_week(week, -(TREND_WEEKS - 1))
    weeks = [shift_week(first, i) for i in range(TREND_WEEKS)]
    return Digest(
        week=week, monday=monday, sunday=sunday, total=len(documents), previous_total=sum(previous.values()),
        by_level={LEVEL_NAMES.get(k, k): v for k, v in sorted(queries.count_by_level(con, week).items())},
        sections=_sections(documents), trend_weeks=weeks,
        trend=_trend(queries.topic_trend(con, first, week), weeks),
        keywords=queries.top_keywords(con, week), instruments=_instruments(documents),
        unhealthy=queries.unhealthy_sources(con),
    )


def _sections(documents: list[DigestDocument]) -> list[TopicSection]:
    """Each document under its best topic, topics ordered by how many documents they hold."""
    by_topic: dict[tuple[str, str], list[DigestDocument]] = {}
    for doc in documents:
        key = (doc.topics[0][0], doc.topics[0][1]) if doc.topics else ("other", "其他")
        by_topic.setdefault(key, []).append(doc)
    ordered = sorted(by_topic.items(), key=lambda item: (-len(item[1]), item[0][0]))
    return [TopicSection(tid, name, docs) for (tid, name), docs in ordered]


def _trend(rows: list[tuple[str, str, int]], weeks: list[str]) -> list[TrendRow]:
    table: dict[str, dict[str, int]] = {}
    for week, topic, count in rows:
        table.setdefault(topic, {})[week] = count
    trend = [TrendRow(topic, [counts.get(w, 0) for w in weeks]) for topic, counts in table.items()]
    return sorted(trend, key=lambda r: (-sum(r.counts), r.topic))


def _instruments(documents: list[DigestDocument]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for doc in documents:
        for name in doc.instruments:
            counts[name] = counts.get(name, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
