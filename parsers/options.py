"""A page's parse options, built in one place from what the pipeline knows about the page.

Collecting, re-parsing and `policywatch parse` all call `page_options`, so a page re-read from the
archive gets the options it was first read with, and `parse` on a seed gives what the warehouse holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from parsers.errors import ConfigError
from parsers.records import ParseOptions

__all__ = ["SourceDefaults", "fact_date", "page_options"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceDefaults:
    """What a source's registry entry says of every page it names."""

    name: str
    encoding: str | None = None  # force a charset (a source whose server lies)
    issuer: str | None = None
    region: str | None = None
    detail_json: tuple[tuple[str, str], ...] = ()  # a JSON detail API's (field, dotted path) pairs


def page_options(
    *,
    url: str | None,
    source: SourceDefaults | None = None,
    fetched_on: date | None = None,
    list_facts: Mapping[str, Any] | None = None,
    manifest_facts: Mapping[str, Any] | None = None,
    content_type: str | None = None,
) -> ParseOptions:
    """Options of one page: its source's defaults, the list's facts, then the manifest's (a person's, they win).

    Facts (all optional): `url` (the document's own URL), `fetched_on` (the day the copy was saved),
    `title`, `published_on`, `issuers` (a list) or `issuer` (names separated by spaces), `doc_number`.
    A page a source named is an article link: kept as a document even when the extractor doubts it.
    """
    facts = {**(list_facts or {}), **(manifest_facts or {})}
    return ParseOptions(
        url=_text(facts.get("url")) or url,
        source_name=source.name if source else None,
        content_type=content_type,
        encoding=source.encoding if source else None,
        default_issuer=source.issuer if source else None,
        default_region=source.region if source else None,
        reference_date=fact_date(facts.get("fetched_on")) or fetched_on,
        known_title=_text(facts.get("title")),
        known_published_on=fact_date(facts.get("published_on")),
        known_issuers=_issuers(facts),
        known_doc_number=_text(facts.get("doc_number")),
        article_link=source is not None,
        detail_json=source.detail_json if source else (),
    )


def fact_date(value: Any) -> date | None:
    """A fact's date: a date, or its ISO text (as YAML or JSON hold it)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ConfigError(f"not a date (YYYY-MM-DD): {value!r}") from exc


def _issuers(facts: Mapping[str, Any]) -> tuple[str, ...]:
    listed = facts.get("issuers") or facts.get("issuer") or ()
    # An API gives one text field: a document signed jointly names its issuers in it separated by spaces.
    names = listed.split() if isinstance(listed, str) else listed
    return tuple(text for text in map(_text, names) if text)


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None
