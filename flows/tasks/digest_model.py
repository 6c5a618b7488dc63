"""The weekly digest as data: everything the templates show, built from warehouse queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import duckdb

from warehouse import queries
from warehouse.digest_attachments import DigestAttachment, digest_attachments
from warehouse.queries import DigestDocument, Keyword, SourceProblem
from warehouse.weeks import SHANGHAI, shift_week, week_bounds

LEVELS = (("central", "中央"), ("provincial", "省级"), ("municipal", "市级"))
UNKNOWN_LEVEL = "未标明"
TREND_WEEKS = 8
TREND_TOPICS = 8  # the busiest topics of the window; the rest would make the block longer than it is useful


@dataclass(frozen=True, slots=True)
class LevelCount:
    """New documents of one administrative level this week and the week before."""

    level: str
    documents: int
    previous: int

    @property
    def change(self) -> int:
        """This week minus last week."""
        return self.documents - self.previous


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


# What a failing source's error tells a reader of the (Chinese) digest; first match wins, over our own
# messages (flows/adapters/fetch_errors.py, fetch.py, browser.py); anything else is "出错".
HEALTH_KINDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("does not resolve", "(dns)"), "无法访问（域名无法解析，网络不可达）"),
    (("reset", "closed early"), "连接中断"),
    (("unreachable", "connect"), "无法访问（网络不可达）"),
    (("timed out", "deadline"), "访问超时"),
    (("javascript challenge", "needs chromium"), "需要浏览器验证（JavaScript 挑战）"),
    (("robots.txt",), "被 robots.txt 禁止抓取"),
    (("http 4",), "拒绝访问或页面不存在（HTTP 4xx）"),
    (("http 5",), "服务器出错（HTTP 5xx）"),
)
OTHER_FAILURE = "出错"


def health_kind(error: str | None) -> str:
    """The reader's words for why a source failed."""
    text = (error or "").lower()
    return next((label for markers, label in HEALTH_KINDS if any(m in text for m in markers)), OTHER_FAILURE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Digest:
    """Everything one weekly digest says."""

    week: str
    monday: date
    sunday: date
    total: int
    previous_total: int
    levels: list[LevelCount]
    sections: list[TopicSection]
    trend_weeks: list[str]
    trend: list[TrendRow]
    keywords: list[Keyword]
    instruments: list[tuple[str, int]]
    unhealthy: list[SourceProblem] = field(default_factory=list)
    # When the newest nightly run the health footer reflects started (naive UTC); None: no run that week.
    health_run_at: datetime | None = None
    # doc_id → the files shown under it: the one holding its substance (its page is a cover), and those whose
    # text is a document of its own (collapsed under it when both are new this week).
    attachments: dict[str, list[DigestAttachment]] = field(default_factory=dict)
    # doc_id → (title, url) of the notice whose file it is, when that notice is not in this digest.
    attached_to: dict[str, tuple[str, str | None]] = field(default_factory=dict)

    @property
    def trend_peak(self) -> int:
        """The largest weekly count of any topic in the trend block (bars share one scale)."""
        return max((row.peak for row in self.trend), default=0)

    @property
    def failing(self) -> list[tuple[str, list[SourceProblem]]]:
        """Sources failing at the week's end, grouped by why (in Chinese), the largest group first."""
        groups: dict[str, list[SourceProblem]] = {}
        for problem in self.unhealthy:
            if problem.consecutive_failures:
                groups.setdefault(health_kind(problem.last_error), []).append(problem)
        return sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))

    @property
    def health_as_of(self) -> str:
        """What the health footer is as of: its run's start in Asia/Shanghai, else the week's Sunday."""
        if self.health_run_at is None:
            return self.sunday.isoformat()
        return self.health_run_at.replace(tzinfo=UTC).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")

    @property
    def drifted(self) -> list[SourceProblem]:
        """Sources whose pages all came out empty in the week's last run: their layout may have changed."""
        return [p for p in self.unhealthy if p.drifted]

    @property
    def pages_failed(self) -> list[SourceProblem]:
        """Sources with pages that could not be read during the week."""
        return [p for p in self.unhealthy if p.failed_pages]

    @property
    def change(self) -> int:
        """New documents this week minus last week."""
        return self.total - self.previous_total

    @property
    def subject(self) -> str:
        """The mail subject line."""
        # "new this week" is when PolicyWatch first saw a document, not when it was published (a 2022 plan
        # found this week counts): the subject says 新收录, and each entry leads with its publication date.
        if not self.total:
            return f"PolicyWatch 周报 {self.week}: 本周无新收录"
        return f"PolicyWatch 周报 {self.week}: 本周新收录 {self.total} 项"


def build_digest(con: duckdb.DuckDBPyConnection, week: str) -> Digest:
    """Gather a week's digest from the warehouse."""
    monday, sunday = week_bounds(week)
    documents = queries.week_documents(con, week)
    files, notices = digest_attachments(con, [d.doc_id for d in documents])
    collapsed = _collapsed(documents, notices)
    documents = [d for d in documents if d.doc_id not in collapsed]
    previous = shift_week(week, -1)
    this_week = queries.count_by_level(con, week)
    for level in collapsed.values():
        this_week[level] = this_week.get(level, 0) - 1
    levels = _levels(this_week, queries.count_by_level(con, previous))
    weeks = [shift_week(week, i - TREND_WEEKS + 1) for i in range(TREND_WEEKS)]
    return Digest(
        week=week,
        monday=monday,
        sunday=sunday,
        total=len(documents),
        previous_total=sum(lc.previous for lc in levels),
        levels=levels,
        sections=_sections(documents),
        trend_weeks=weeks,
        trend=_trend(queries.topic_trend(con, weeks[0], week), weeks),
        keywords=queries.top_keywords(con, week, since=weeks[0]),
        instruments=_instruments(documents),
        unhealthy=queries.unhealthy_sources(con, *utc_bounds(week)),
        health_run_at=queries.last_nightly_run(con, *utc_bounds(week)),
        attachments=files,
        attached_to={doc.doc_id: notices[doc.doc_id][1:] for doc in documents if doc.doc_id in notices},
    )


def _collapsed(documents: list[DigestDocument], notices: dict[str, tuple[str, str, str | None]]) -> dict[str, str]:
    """doc_id → level key of the documents that are a file of a notice in the same digest: shown under it.

    The plan a notice hands over, loaded on its own too, is one policy: the reader sees it once, under the
    notice that names its issuer and 发文字号, not as an unrelated second entry.
    """
    shown = {d.doc_id for d in documents}
    return {
        d.doc_id: d.level or "unknown"
        for d in documents
        if d.doc_id in notices and notices[d.doc_id][0] in shown and notices[d.doc_id][0] != d.doc_id
    }


def utc_bounds(week: str) -> tuple[datetime, datetime]:
    """Start and end (exclusive) of an ISO week in Asia/Shanghai, as naive UTC like the warehouse."""
    monday, _ = week_bounds(week)
    start = datetime.combine(monday, time(), SHANGHAI).astimezone(UTC).replace(tzinfo=None)
    return start, start + timedelta(weeks=1)


def _levels(this: dict[str, int], before: dict[str, int]) -> list[LevelCount]:
    """Central, provincial, municipal always; documents of no known level only when there are some."""
    rows = [LevelCount(name, this.get(key, 0), before.get(key, 0)) for key, name in LEVELS]
    known = {key for key, _ in LEVELS}
    other = LevelCount(
        UNKNOWN_LEVEL,
        sum(n for k, n in this.items() if k not in known),
        sum(n for k, n in before.items() if k not in known),
    )
    return [*rows, other] if other.documents or other.previous else rows


def _sections(documents: list[DigestDocument]) -> list[TopicSection]:
    """Each document under its best topic, topics ordered by how many documents they hold."""
    by_topic: dict[tuple[str, str], list[DigestDocument]] = {}
    for doc in documents:
        key = (doc.topics[0][0], doc.topics[0][1]) if doc.topics else ("other", "其他")
        by_topic.setdefault(key, []).append(doc)
    ordered = sorted(by_topic.items(), key=lambda item: (-len(item[1]), item[0][0]))
    return [TopicSection(tid, name, docs) for (tid, name), docs in ordered]


def _trend(rows: list[tuple[str, str, int]], weeks: list[str]) -> list[TrendRow]:
    """The busiest topics of the window, each with a count per week (0 where it had none)."""
    table: dict[str, dict[str, int]] = {}
    for week, topic, count in rows:
        table.setdefault(topic, {})[week] = count
    trend = [TrendRow(topic, [counts.get(w, 0) for w in weeks]) for topic, counts in table.items()]
    return sorted(trend, key=lambda r: (-r.counts[-1], -sum(r.counts), r.topic))[:TREND_TOPICS]


def _instruments(documents: list[DigestDocument]) -> list[tuple[str, int]]:
    """Policy instruments of the week's documents, most frequent first."""
    counts: dict[str, int] = {}
    for doc in documents:
        for name in doc.instruments:
            counts[name] = counts.get(name, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
