"""Real detail pages of government sites (tests/fixtures/real/<host>/): every field their sidecar expects.

Each page was copied byte for byte with a sidecar `<file>.json`: its provenance, the URL it was served
at, the source's defaults (as a registry entry would give them) and the values judged by hand from
the page. Pages are parsed as the nightly run parses them: reached as an article link of their source.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from parsers.extract import extract
from parsers.records import Extraction, ExtractionStatus, ParseOptions

REAL = Path(__file__).with_name("fixtures") / "real"
# A detail page's sidecar expects a title; list pages' sidecars (discovery's) expect other things.
PAGES = sorted(
    path.with_suffix("")
    for path in REAL.rglob("*.json")
    if path.suffixes[-2:-1] and "title" in json.loads(path.read_text("utf-8")).get("expect", {})
)
# The first sentence starts this close to the text's start (an order's header lines, a regulation's
# note come first); the last ends this close to its end (a signature and a date follow it).
FIRST_SLACK, LAST_SLACK = 300, 120
_SPACE = re.compile(r"\s+")


def sidecar(page: Path) -> dict[str, Any]:
    return json.loads(page.with_name(page.name + ".json").read_text("utf-8"))


def options_for(page: Path) -> ParseOptions:
    """The options the nightly run gives a page of this source, reached as an article link."""
    gold, defaults = sidecar(page), sidecar(page).get("source_defaults", {})
    return ParseOptions(
        url=gold["url"],
        default_issuer=defaults.get("issuer"),
        article_link=True,
        detail_json=tuple((defaults.get("detail_json") or {}).items()),
    )


@cache
def extracted(page: Path) -> Extraction:
    return extract(page.read_bytes(), options_for(page))


def name(page: Path) -> str:
    return str(page.relative_to(REAL))


def fold(text: str) -> str:
    return _SPACE.sub("", text)


def opens_with(text: str, sentence: str) -> bool:
    """The sentence is in the text, starting near its start (spacing and line breaks ignored)."""
    return 0 <= fold(text).find(fold(sentence)) <= FIRST_SLACK


def closes_with(text: str, sentence: str) -> bool:
    """The sentence is in the text, ending near its end (spacing and line breaks ignored)."""
    at = fold(text).rfind(fold(sentence))
    return at >= 0 and len(fold(text)) - at - len(fold(sentence)) <= LAST_SLACK


def field_value(record: Extraction, key: str) -> Any:
    """The record's value for a sidecar key, as the sidecar writes it."""
    if key == "attachments":
        return len(record.attachments)
    value = getattr(record, key)
    return value.isoformat() if hasattr(value, "isoformat") else list(value) if isinstance(value, tuple) else value


def field_cases() -> list[Any]:
    return [
        pytest.param(page, key, expected, id=f"{name(page)}:{key}")
        for page in PAGES
        for key, expected in sidecar(page)["expect"].items()
    ]


SENTENCE_CHECKS = {"first_sentence": opens_with, "last_sentence": closes_with}


@pytest.mark.parametrize(("page", "key", "expected"), field_cases())
def test_real_extraction_field_matches_the_page(page: Path, key: str, expected: Any) -> None:
    record = extracted(page)
    if key in SENTENCE_CHECKS:
        assert SENTENCE_CHECKS[key](record.text, expected), (key, expected, record.text[:200], record.text[-200:])
    else:
        assert field_value(record, key) == expected


@pytest.mark.parametrize("page", PAGES, ids=name)
def test_real_extraction_page_is_a_confident_document(page: Path) -> None:
    record = extracted(page)
    assert (record.status, record.reason) == (ExtractionStatus.OK, None)


@pytest.mark.parametrize("page", PAGES, ids=name)
def test_real_extraction_copy_is_byte_for_byte(page: Path) -> None:
    provenance = sidecar(page)["provenance"]
    assert hashlib.sha256(page.read_bytes()).hexdigest() == provenance["sha256"]


def test_real_extraction_corpus_has_every_real_detail_page() -> None:
    hosts = {page.parent.name for page in PAGES}
    assert len(PAGES) >= 18 and hosts >= {
        "www.ndrc.gov.cn",
        "www.most.gov.cn",
        "www.csrc.gov.cn",
        "www.sasac.gov.cn",
        "www.nfra.gov.cn",
        "www.gov.cn",
    }
