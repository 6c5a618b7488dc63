"""ISO weeks in Asia/Shanghai: how the warehouse and the digest name a week."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from parsers.errors import ConfigError

SHANGHAI = ZoneInfo("Asia/Shanghai")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def to_shanghai(moment: datetime) -> datetime:
    """A stored UTC time (naive or aware) as Asia/Shanghai local time."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(SHANGHAI)


def iso_week(moment: datetime) -> str:
    """The ISO week, in Asia/Shanghai, of a UTC time: `2026-W47`."""
    year, week, _ = to_shanghai(moment).isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(text: str) -> tuple[int, int]:
    """`2026-W47` to (2026, 47), refusing anything else."""
    match = _WEEK.match(text.strip())
    if not match:
        raise ConfigError(f"week must look like 2026-W47, not {text!r}")
    year, week = int(match[1]), int(match[2])
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError as exc:
        raise ConfigError(f"{text} is not an ISO week") from exc
    return year, week


def week_bounds(week: str) -> tuple[date, date]:
    """Monday and Sunday of an ISO week."""
    year, number = parse_week(week)
    monday = date.fromisocalendar(year, number, 1)
    return monday, monday + timedelta(days=6)


def shift_week(week: str, weeks: int) -> str:
    """The ISO week `weeks` before (negative) or after a week."""
    monday, _ = week_bounds(week)
    year, number, _ = (monday + timedelta(weeks=weeks)).isocalendar()
    return f"{year}-W{number:02d}"


def current_week(now: datetime) -> str:
    """The ISO week that holds `now`, in Asia/Shanghai."""
    return iso_week(now)


def last_complete_week(now: datetime) -> str:
    """The ISO week before the one that holds `now`, in Asia/Shanghai."""
    return shift_week(current_week(now), -1)


def current_week_now() -> str:
    """The ISO week of this moment in Asia/Shanghai (for `make demo`)."""
    return current_week(datetime.now(UTC))
