"""Dates in normalised text: full dates in every form, labelled dates, news datelines, info-line stamps.

Patterns are data (module-level tuples, first match wins); the functions below only apply them.
"""

from __future__ import annotations

import re
from datetime import date

# Full dates, most explicit form first.
DATE_PATTERNS: tuple[re.Pattern[str], ...] = (
    # 2024年2月7日, also spaced out by PDF text extraction.
    re.compile(r"(?<!\d)(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"),
    # 2024-06-30, 2024/6/30, 2024.06.30, possibly followed by a time (CMS info lines, meta tags).
    re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)"),
    # 20240630: compact dates of meta tags and URLs.
    re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)"),
)
# Labels CMSs print before the publication date; only looked for in the first lines.
PUBLISHED_LABEL = re.compile(
    r"(?:^|\s)(?:发布时间|发布日期|发表于|发表时间|发文日期|公开日期|上传时间|时间|日期)\s*[:：]\s*(.{6,24})"
)
SIGNED_LABEL = re.compile(r"成文日期\s*[:：]\s*(.{6,24})")
# A date followed by a time of day: the publication stamp CMSs print under a headline.
_DATE_TIME = re.compile(
    r"(?<!\d)\d{4}(?:年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[-/.]\d{1,2}[-/.]\d{1,2})\s*\d{1,2}[:：时]\d{2}"
)
_STAMP_LINE_MAX = 80
HEAD_LINES = 15
# News datelines: 北京6月19日电, 新华社北京6月19日电, 本报北京2024年6月19日讯.
DATELINE = re.compile(
    r"^(?:[【\[(（][^】\])）]{1,12}[】\])）])?\s*(?P<place>[\u4e00-\u9fff]{0,12}?)"
    r"(?:(?P<year>\d{4})年)?(?P<month>\d{1,2})月(?P<day>\d{1,2})日\s*(?:电|讯)"
)
# Years the text speaks of, to date a dateline; 到2030年 / 至2035年 are targets, not the present.
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
_TARGET_BEFORE = ("到", "至")
DATE_LINE = re.compile(r"^[(（]?\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*[)）]?$")
_HEADER_LINE_MAX = 60


def valid_date(year: str, month: str, day: str) -> date | None:
    """The date, or None when the numbers make no date."""
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def first_date(text: str) -> date | None:
    """The earliest valid full date written in the text, in any of DATE_PATTERNS."""
    found: list[tuple[int, date]] = []
    for pattern in DATE_PATTERNS:
        for match in pattern.finditer(text):
            value = valid_date(*match.groups())
            if value:
                found.append((match.start(), value))
                break
    return min(found)[1] if found else None


def labelled_date(lines: list[str], label: re.Pattern[str]) -> date | None:
    """The date after a label (发布时间：…) in the first lines."""
    for line in lines[:HEAD_LINES]:
        match = label.search(line)
        if match and (value := first_date(match.group(1))):
            return value
    return None


def context_year(text: str, reference: date | None) -> int | None:
    """The latest year the text speaks of (targets excluded), not after the reference date's year."""
    years = {
        int(m.group(1))
        for m in _YEAR.finditer(text)
        if text[max(m.start() - 1, 0)] not in _TARGET_BEFORE or text[max(m.start() - 2, 0)] == "截"
    }
    if reference:
        years = {year for year in years if year <= reference.year}
    return max(years) if years else (reference.year if reference else None)


def dateline_date(body: str, reference: date | None) -> date | None:
    """The date of a news dateline (北京6月19日电), its year from the text or the reference date."""
    for line in body.split("\n")[:3]:
        match = DATELINE.match(line)
        if match:
            year = int(match["year"]) if match["year"] else context_year(body, reference)
            return valid_date(str(year), match["month"], match["day"]) if year else None
    return None


def dateline(body: str) -> tuple[str, str] | None:
    """Where a news dateline was filed (新华社北京, 中新网) and the rest of its paragraph, None without one."""
    for line in body.split("\n")[:3]:
        match = DATELINE.match(line)
        if match:
            return match["place"], line[match.end() :]
    return None


def header_date(lines: list[str]) -> date | None:
    """A short line opening with a date near the top: the info line of pages without labels."""
    for line in lines[:6]:
        if len(line) <= _HEADER_LINE_MAX and any(p.match(line) for p in DATE_PATTERNS):
            return first_date(line)
    return None


def stamp_date(lines: tuple[str, ...], reference: date | None, *, with_time: bool) -> date | None:
    """The date of the info line nearest above the article: a short line with a date (and a time)."""
    for line in reversed(lines):
        if len(line) > _STAMP_LINE_MAX or (with_time and not _DATE_TIME.search(line)):
            continue
        value = first_date(line)
        if value and (reference is None or value <= reference):
            return value
    return None
