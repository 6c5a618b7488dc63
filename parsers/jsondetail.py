"""JSON detail APIs: a document served as a JSON record (NFRA's DocInfo, gkmlpt's DETAIL), not a page.

A source may say where its record's fields are, as dotted paths (`data.docClob`); without that mapping,
the record is read by the generic guess below rather than failing. Pure: text in, a JsonDetail out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

# The fields a source's `detail_json` mapping may name.
FIELDS = ("html", "text", "title", "published_on", "signed_on", "doc_number", "index_number", "issuer", "source")

# Without a mapping, the first key (case-insensitive, anywhere in the record) of each list names the field:
# the key names JSON APIs of government CMSs use (NFRA DocInfo, gkmlpt, gov.cn search, jpaas units).
GUESSED_KEYS: dict[str, tuple[str, ...]] = {
    "title": ("docSubtitle", "title", "docTitle", "articleTitle", "name"),
    "published_on": ("publishDate", "pubDate", "publishTime", "pubtime", "releaseDate", "created_at", "date"),
    "doc_number": ("documentNo", "document_number", "docNo", "fileNo", "pcode", "wh"),
    "index_number": ("indexNo", "identifier", "index"),
    "issuer": ("puborg", "publisher", "issuer"),
}
# A body: the longest string holding HTML tags, else the longest string of at least this many characters.
_TAG = re.compile(r"<(?:p|div|span|br|table|font)[\s>/]", re.IGNORECASE)
_MIN_TEXT_BODY = 200
_JSON_START = re.compile(r"^\s*[{\[]")


@dataclass(frozen=True, slots=True, kw_only=True)
class JsonDetail:
    """A detail record's fields, as strings the extractor reads like a page's."""

    body: str = ""
    body_is_html: bool = False
    title: str | None = None
    published_on: str | None = None
    signed_on: str | None = None
    doc_number: str | None = None
    index_number: str | None = None
    issuer: str | None = None
    source: str | None = None


def looks_like_json(text: str, content_type: str | None) -> bool:
    """A JSON content type, or text opening with { or [."""
    return "json" in (content_type or "").lower() or bool(_JSON_START.match(text[:64]))


def read_json_detail(text: str, mapping: tuple[tuple[str, str], ...] = ()) -> JsonDetail | None:
    """The record's fields by the mapping (dotted paths), else guessed; None when the text is no JSON object."""
    try:
        record = json.loads(text)
    except ValueError:
        return None
    if not isinstance(record, (dict, list)):
        return None
    found = {field: _string(_at(record, path)) for field, path in mapping if field in FIELDS}
    if not mapping:
        found = {field: _guess(record, keys) for field, keys in GUESSED_KEYS.items()}
    html, plain = found.pop("html", None), found.pop("text", None)
    if not html and not plain and not mapping:
        html, plain = _guess_body(record)
    return JsonDetail(body=html or plain or "", body_is_html=bool(html), **found)


def _at(record: Any, path: str) -> Any:
    """The value at a dotted path (list items by index: items.0.title)."""
    for part in path.split("."):
        if isinstance(record, dict):
            record = record.get(part)
        elif isinstance(record, list) and part.isdigit() and int(part) < len(record):
            record = record[int(part)]
        else:
            return None
    return record


def _string(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def _strings(record: Any) -> list[tuple[str, str]]:
    """Every (key, string value) of the record, depth first, iteratively."""
    found, stack = [], [("", record)]
    while stack:
        key, value = stack.pop()
        if isinstance(value, dict):
            stack.extend(reversed(list(value.items())))
        elif isinstance(value, list):
            stack.extend((key, item) for item in reversed(value))
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            found.append((key, str(value)))
    return found


def _guess(record: Any, keys: tuple[str, ...]) -> str | None:
    values: dict[str, str] = {}
    for key, value in _strings(record):
        if value.strip():
            values.setdefault(key.lower(), value.strip())
    return next((values[key.lower()] for key in keys if key.lower() in values), None)


def _guess_body(record: Any) -> tuple[str | None, str | None]:
    values = [value for _key, value in _strings(record)]
    html = [value for value in values if _TAG.search(value)]
    if html:
        return max(html, key=len), None
    plain = [value for value in values if len(value) >= _MIN_TEXT_BODY]
    return None, max(plain, key=len) if plain else None
