"""The records of a run: what each page and source gave, the frontier's news, and what the load did.

Flows build them, `parsers.placement` decides on them and `warehouse/` writes them; they hold plain values
only, so importing them loads nothing heavy (the standard library and `parsers.records`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from parsers.records import ParsedDocument

__all__ = ["MAX_FAILED_FETCHES", "FrontierRow", "FrontierState", "LoadReport", "PageOutcome", "SourceAttempt"]

# Failed pages are retried on later runs until they have failed this many times.
MAX_FAILED_FETCHES = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class PageOutcome:
    """One fetched or read page, parsed or not, as handed to the loader."""

    url: str
    source_name: str
    fetched_at: datetime  # UTC, naive
    raw_sha256: str | None = None
    raw_size: int | None = None
    content_type: str | None = None
    document: ParsedDocument | None = None
    error: str | None = None  # why nothing could be read or parsed
    http_status: int | None = None
    final_url: str | None = None
    headers: dict[str, str] | None = None
    list_facts: dict[str, Any] | None = None  # what the list stated about the page: parsed with it (0010)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceAttempt:
    """How one source fared this run."""

    source_name: str
    kind: str
    ok: bool
    items: int = 0
    error: str | None = None
    drifted: bool = False
    drift_reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FrontierRow:
    """One URL's news from this run: seen on a list, and perhaps fetched."""

    url: str
    source_name: str
    seen_at: datetime
    status: str = "discovered"
    fetched_at: datetime | None = None
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    raw_sha256: str | None = None
    list_updated: str | None = None
    title_hint: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class FrontierState:
    """What the warehouse knows of a URL."""

    status: str
    etag: str | None
    last_modified: str | None
    list_updated: str | None
    fetches: int

    @property
    def settled(self) -> bool:
        """Fetched (or given up on): a list naming it again is not a reason to fetch it."""
        if self.status == "failed":
            return self.fetches >= MAX_FAILED_FETCHES
        return self.status != "discovered"


@dataclass(slots=True)
class LoadReport:
    """Counts of what the load did, per source and in total."""

    by_source: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # source, url, message
    search_error: str | None = None  # the search index could not be updated after the commit

    def count(self, source: str, outcome: str) -> None:
        """Count one page outcome for a source."""
        self.by_source[source][outcome] += 1

    def total(self, outcome: str) -> int:
        """The count of one outcome over all sources."""
        return sum(c[outcome] for c in self.by_source.values())
