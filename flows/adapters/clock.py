"""The pipeline's one clock: the warehouse stores UTC without a zone."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now in UTC, naive (the warehouse stores UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)
