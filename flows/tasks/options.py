"""What the pipeline knows about a page, as the plain values `parsers.options.page_options` takes.

The registry entry becomes `SourceDefaults`, a JSON API's list item its facts, a `files` source's
manifest entry its facts: collect, reparse, `parse` and `sources try` all build options this way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import suppress
from datetime import date
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from flows.tasks import files_source
from parsers.errors import FetchError
from parsers.options import SourceDefaults, page_options
from parsers.records import ParseOptions

if TYPE_CHECKING:
    from flows.sources import Source
    from parsers.listing import ListItem


def source_defaults(source: Source) -> SourceDefaults:
    """The registry entry's defaults for every page of the source."""
    mapping = source.options.get("detail_json") or {}
    return SourceDefaults(
        name=source.name,
        encoding=source.encoding,
        issuer=source.issuer,
        region=source.region,
        detail_json=tuple((str(k), str(v)) for k, v in mapping.items()),
    )


def list_facts(item: ListItem) -> dict[str, Any]:
    """What a list item states about its page, JSON-ready (it is stored with the page); {} when it states nothing.

    Only an API item with facts of its own speaks for the document: an HTML list's anchor text may be cut
    short, and a feed's or a sitemap's date may be the list's, not the document's.
    """
    if not item.facts:
        return {}
    stated = {
        "title": item.title,
        "published_on": item.published_on.isoformat() if item.published_on else None,
        **item.facts,
    }
    return {key: value for key, value in stated.items() if value not in (None, "")}


def manifest_entry(manifest: Mapping[str, Mapping[str, Any]], url: str) -> dict[str, Any]:
    """The manifest's facts of a `files` page, found by the file name in its file:// URL."""
    name = PurePosixPath(unquote(urlsplit(url).path)).name
    return dict(manifest.get(name) or {})


def file_options(sources: Iterable[Source], path: Path, *, fetched_on: date | None) -> ParseOptions | None:
    """Options of a file that a `files` source reads, as the nightly run builds them; None when none reads it."""
    target = path.resolve()
    for source in (s for s in sources if s.kind == "files"):
        items: list[files_source.FileItem] = []
        with suppress(FetchError):  # a source whose folder is missing reads no file
            items = files_source.discover(source)
        for item in items:
            if item.path.resolve() == target:
                return file_item_options(source, item, files_source.load_manifest(source), fetched_on)
    return None


def file_item_options(
    source: Source, item: files_source.FileItem, manifest: Mapping[str, Mapping[str, Any]], fetched_on: date | None
) -> ParseOptions:
    """Options of one file of a `files` source: the source's defaults and the manifest's entry for the file."""
    return page_options(
        url=item.url,
        source=source_defaults(source),
        fetched_on=fetched_on,
        manifest_facts=manifest_entry(manifest, item.url),
    )
