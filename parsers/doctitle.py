"""Titles and document types: the headline of a text without markup, and what kind of document it is.

Patterns are data (module-level tuples, first match wins); the functions below only apply them.
"""

from __future__ import annotations

import re

from parsers.dates import DATE_LINE, DATELINE

# 关于印发《X》的通知 (and 科技部…印发《X》的通知, without 关于): the document is X; the notice only wraps it.
_WRAPPER = re.compile(
    r"(?:关于(?:印发|转发|发布|公布|下发|修订印发)(.+?)|(?:印发|转发|联合印发)《(.+?)》)的(?:通知|函|公告)$"
)
# A trailing note in brackets tells the edition, not the kind: （试行）, （2024年修订）, （国务院令第782号第四次修订）.
_TRAILING_NOTE = re.compile(r"\s*[(（][^()（）]{1,30}[)）]$")
# The types of official documents (党政机关公文处理工作条例, art. 8), as a 公文种类 cell may name them.
OFFICIAL_KINDS = frozenset((
    "决议", "决定", "命令", "令", "公报", "公告", "通告", "意见", "通知", "通报", "报告", "请示", "批复", "议案", "函",
    "纪要",
))  # fmt: skip
# Title endings to document types, longest first where one ends another (行动计划 before 计划, 办法 before 法).
DOC_TYPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"行动计划$"), "行动计划"),
    (re.compile(r"方案$"), "方案"),
    (re.compile(r"意见$"), "意见"),
    (re.compile(r"(规划|规划纲要|纲要)$"), "规划"),
    (re.compile(r"细则$"), "细则"),
    (re.compile(r"办法$"), "办法"),
    (re.compile(r"(措施|举措)$"), "措施"),
    (re.compile(r"规定$"), "规定"),
    (re.compile(r"规则$"), "规则"),
    (re.compile(r"条例$"), "条例"),
    (re.compile(r"决定$"), "决定"),
    (re.compile(r"(指南|指引)$"), "指南"),
    (re.compile(r"要点$"), "要点"),
    (re.compile(r"计划$"), "计划"),
    (re.compile(r"目录$"), "目录"),
    (re.compile(r"清单$"), "清单"),
    (re.compile(r"公告$"), "公告"),
    (re.compile(r"通告$"), "通告"),
    (re.compile(r"批复$"), "批复"),
    (re.compile(r"通知$"), "通知"),
    (re.compile(r"函$"), "函"),
    (re.compile(r"报告$"), "报告"),
    # An order: 《粮食流通行政执法办法》 2026年第40号令 (its text promulgates the regulation it names).
    (re.compile(r"令$"), "令"),
    # A law: 中华人民共和国科学技术普及法; not 办法, 方法 or 做法.
    (re.compile(r"(?<![办方做])法$"), "法"),
)
_INTERPRETATION = re.compile(r"解读")
# A reporter's byline: (记者 吕少威), （河北日报记者 米彦泽）, 本报讯.
_BYLINE = re.compile(r"[(（][^()（）]{0,20}记者[^()（）]{0,20}[)）]|本报讯|记者\s*[\u4e00-\u9fff]{2,4}\s*[报摄]道")

_TITLE_MAX = 60
_DERIVED_TITLE_MAX = 40
_NOT_TITLE = re.compile(r"[。；;:：,，、]$|^[(（]?[一二三四五六七八九十]{1,3}[、)）]")
# Clauses that open a news lead without saying what happened: 5月10日, 近日, 今年以来.
_LEAD_TIME = re.compile(r"((\d{4}年)?\d{1,2}月\d{1,2}日(至\d{1,2}日)?|近日|日前|近期|目前|今年以来|\d{4}年)")
_GLUED_TITLE_MIN = 8
_CLAUSE_START = re.compile(r"\s*[，、；：,;:]")
# A plan or regulation whose title runs into its first sentence (a PDF's text without line breaks:
# “十四五”生物经济发展规划科学规划、系统推进…): the title ends at the first plan-type word before the
# first clause mark. Only plan-like types: 意见 or 通知 open news leads as objects (印发意见要求…).
_RUN_ON_TITLE = re.compile(
    r"^([^，。；：、,;:！？]{4,40}?(?:规划纲要|行动计划|实施方案|实施细则|规划|纲要|方案|办法|细则|条例|规定|指南))"
    r"(?=[^，。；：、,;:！？]{2,}[，。；：、,;:])"
)


def is_news(body: str) -> bool:
    """A news report: a dateline or a reporter's byline at the start or the end."""
    head = body[:200]
    if any(DATELINE.match(line) for line in body.split("\n")[:3]):
        return True
    return bool(_BYLINE.search(head) or _BYLINE.search(body[-200:]))


def wrapped_title(title: str) -> str | None:
    """The title of the document a notice wraps (关于印发《X》的通知 → X), None for a title that wraps none."""
    match = _WRAPPER.search(title)
    return (match.group(1) or match.group(2)).strip('《》〈〉“”"') if match else None


def substantive_title(title: str) -> str:
    """The title of the document itself: what a notice wraps, without an edition note such as (试行)."""
    return _TRAILING_NOTE.sub("", wrapped_title(title) or title).strip()


def doc_type_of(title: str | None, body: str, *, kind: str | None = None) -> str | None:
    """政策解读, 新闻报道, the wrapped document's type, the 公文种类 cell's, or the type the title ends with."""
    if title and _INTERPRETATION.search(title):
        return "政策解读"
    if is_news(body):
        return "新闻报道"
    kind = re.sub(r"\s+", "", kind or "")
    if title and not wrapped_title(title) and kind in OFFICIAL_KINDS:
        return kind
    if not title:
        return kind if kind in OFFICIAL_KINDS else None
    inner = substantive_title(title)
    return next((kind for pattern, kind in DOC_TYPES if pattern.search(inner)), None)


def _title_line(lines: list[str]) -> str | None:
    first = lines[0] if lines else ""
    if 4 <= len(first) <= _TITLE_MAX and not _NOT_TITLE.search(first) and not DATE_LINE.match(first):
        return first
    return None


def run_on_title(body: str) -> str | None:
    """The title of a plan text whose title line runs into its first sentence."""
    first = body.split("\n", 1)[0]
    match = _RUN_ON_TITLE.match(first) if len(first) > _TITLE_MAX else None
    return match.group(1) if match else None


def derive_title(body: str) -> str | None:
    """A stand-in title for text without one: the first clause that says what happened."""
    for line in body.split("\n")[:3]:
        sentence = re.split(r"[。！？!?]", line, maxsplit=1)[0]
        clauses = [c.strip() for c in re.split(r"[,，;；:：]", sentence) if c.strip()]
        clauses = [c for c in clauses if not _LEAD_TIME.fullmatch(c)]
        if clauses:
            return clauses[0][:_DERIVED_TITLE_MAX]
    return None


def find_title(body: str) -> str | None:
    """The first line when it reads as a headline, a plan title run into the text, else a derived title."""
    return _title_line(body.split("\n")) or run_on_title(body) or derive_title(body)


def remove_title(body: str, title: str | None) -> str:
    """Drop the lines repeating the title, and a title glued to the start of the first line."""
    if not title:
        return body
    key = title.replace(" ", "")
    lines = [line for line in body.split("\n") if line.replace(" ", "") != key]
    # Glued to a new sentence it is a heading that lost its line break; before a clause mark it is the
    # opening clause of the first sentence (a title derived from it), which stays.
    if (
        lines
        and len(title) >= _GLUED_TITLE_MIN
        and lines[0].startswith(title)
        and not _CLAUSE_START.match(lines[0][len(title) :])
    ):
        lines[0] = lines[0][len(title) :].lstrip()
    return "\n".join(line for line in lines if line)
