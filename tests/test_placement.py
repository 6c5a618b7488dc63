"""Placement, the loader's decisions without a database: new, copy, version, takeover, failed, and their order."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import opencc
import pytest

from parsers.dedup import DedupIndex, MatchKind, canonical_key, new_doc_id
from parsers.parse import parse_document
from parsers.placement import FAILED, KnownDocument, Placement, arrange, place
from parsers.records import ParseOptions
from parsers.run import PageOutcome
from parsers.urls import canonical_url

REPO = Path(__file__).resolve().parents[1]
SEEDS = sorted((REPO / "seeds").glob("*.txt"))
NOW = datetime(2026, 11, 20, 1, 0)
GOV, NEWS, REPOST = "https://www.gd.gov.cn/3.html", "https://www.news.cn/3.htm", "https://repost.example.com/3.html"
_S2T = opencc.OpenCC("s2t")


def seed(i: int) -> str:
    return SEEDS[i].read_text(encoding="utf-8")


def trimmed(text: str) -> str:
    """The copy without its first paragraph: a near copy, not an exact one."""
    body = parse_document(text.encode("utf-8"), ParseOptions()).extraction.text
    return "\n".join(body.split("\n")[1:])


def page(text: str, url: str, source: str = "test", *, error: str | None = None) -> PageOutcome:
    doc = parse_document(text.encode("utf-8"), ParseOptions(url=url, source_name=source))
    return PageOutcome(url=url, source_name=source, fetched_at=NOW, document=doc, error=error)


def known_as(p: PageOutcome, doc_id: str = "d-known", version: int = 1) -> tuple[DedupIndex, dict[str, KnownDocument]]:
    """An index and known documents holding one document, loaded earlier from this page."""
    doc = p.document
    assert doc is not None
    url = canonical_url(p.url)
    index = DedupIndex(threshold=0.8)
    index.add(doc_id, doc.content_hash, doc.minhash, url)
    key = canonical_key(url=url, published_on=doc.extraction.published_on)
    return index, {doc_id: KnownDocument(doc_id, doc.content_hash, version, key)}


def fresh(*pages: PageOutcome) -> Placement:
    return place(arrange(pages), DedupIndex(threshold=0.8), {})


def outcomes(placement: Placement) -> dict[str, str]:
    return {p.page.url: p.outcome for p in placement.pages}


@pytest.mark.parametrize(
    ("copy", "kind", "sighting"),
    [
        (lambda t: t, MatchKind.EXACT, "exact"),
        (_S2T.convert, MatchKind.EXACT, "exact"),  # traditional characters: the same normalised text
        (trimmed, MatchKind.NEAR, "near"),
    ],
    ids=["same text", "traditional", "trimmed"],
)
def test_place_copy_of_a_page_in_the_chunk_is_a_sighting_of_its_document(copy, kind: MatchKind, sighting: str) -> None:
    placement = fresh(page(seed(3), GOV), page(copy(seed(3)), REPOST, "repost"))
    first, second = placement.placed
    assert (first.outcome, first.sighting, second.match.kind, second.sighting) == ("new", "first", kind, sighting)
    assert second.doc_id == first.doc_id
    assert [t.doc_id for t in placement.texts] == [first.doc_id]  # a copy gives its document no text


def test_place_new_page_is_a_new_document_with_its_first_text() -> None:
    p = page(seed(1), GOV)
    placement = fresh(p)
    (placed,) = placement.placed
    assert p.document is not None
    assert (placed.outcome, placed.doc_id) == ("new", new_doc_id(p.document.content_hash))
    (text,) = placement.texts
    assert (text.doc_id, text.version, text.first, text.change_ratio) == (placed.doc_id, 1, True, None)


def test_place_known_url_with_changed_text_is_the_next_version() -> None:
    index, known = known_as(page(seed(4), GOV), version=2)
    changed = seed(4).replace("生物医药产业是关系国计民生", "生物医药产业是关系民生福祉")
    placement = place(arrange([page(changed, GOV + "?utm_source=x")]), index, known)
    (placed,) = placement.placed
    (text,) = placement.texts
    assert (placed.outcome, placed.doc_id, placed.sighting) == ("version", "d-known", None)
    assert (text.version, text.first) == (3, False)
    assert text.change_ratio is not None and 0 < text.change_ratio < 0.2


def test_place_known_url_with_the_same_text_is_unchanged() -> None:
    index, known = known_as(page(seed(4), GOV))
    placement = place(arrange([page(seed(4), GOV)]), index, known)
    assert [(p.outcome, p.doc_id) for p in placement.placed] == [("unchanged", "d-known")]
    assert (placement.texts, placement.sightings(), placement.takeovers) == ((), [], ())


@pytest.mark.parametrize(
    ("error", "markup", "reason"),
    [
        ("HTTP 500", b"", "HTTP 500"),  # the fetch failed: its error is the reason
        (None, b"", "no bytes"),  # nothing to read: the extractor's reason
        (None, None, "not a document"),  # never parsed
    ],
)
def test_place_page_without_a_document_fails_with_a_reason(
    error: str | None, markup: bytes | None, reason: str
) -> None:
    doc = None if markup is None else parse_document(markup, ParseOptions())
    p = PageOutcome(url="https://a.gov.cn/bad", source_name="test", fetched_at=NOW, document=doc, error=error)
    placement = fresh(p)
    (failed,) = placement.failed
    assert (failed.outcome, placement.placed, placement.texts) == (FAILED, (), ())
    assert reason in failed.reason


def test_place_failed_pages_come_first_in_the_placing_order() -> None:
    bad = PageOutcome(url="https://a.gov.cn/bad", source_name="test", fetched_at=NOW, error="HTTP 404")
    placement = fresh(page(seed(0), GOV), bad)
    assert [p.outcome for p in placement.pages] == ["failed", "new"]


def test_place_better_ranked_copy_takes_the_known_document_over() -> None:
    index, known = known_as(page(_S2T.convert(seed(3)), NEWS, "xinhua"), doc_id="d-news")
    placement = place(arrange([page(seed(3), GOV, "gd")]), index, known)
    (placed,) = placement.placed
    assert (placed.outcome, placed.doc_id) == ("exact", "d-news")  # the doc_id stays the first copy's
    ((doc_id, copy),) = placement.takeovers
    assert (doc_id, copy.doc_url, copy.page.source_name) == ("d-news", GOV, "gd")


def test_place_worse_ranked_copy_leaves_the_canonical_copy() -> None:
    index, known = known_as(page(seed(3), GOV, "gd"))
    placement = place(arrange([page(_S2T.convert(seed(3)), REPOST, "repost")]), index, known)
    assert [p.outcome for p in placement.placed] == ["exact"]
    assert placement.takeovers == ()


def test_place_official_copy_is_the_new_document_whatever_the_arrival_order() -> None:
    pages = [page(seed(3), REPOST, "repost"), page(_S2T.convert(seed(3)), NEWS, "xinhua"), page(seed(3), GOV, "gd")]
    placement = fresh(*pages)
    assert outcomes(placement) == {GOV: "new", NEWS: "exact", REPOST: "exact"}
    assert placement.takeovers == ()  # placed first, the official copy never needs to take over


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0)])
def test_arrange_puts_copies_in_canonical_order_and_failed_pages_apart(order: tuple[int, ...]) -> None:
    bad = PageOutcome(url="https://a.gov.cn/bad", source_name="test", fetched_at=NOW, error="HTTP 404")
    pages = [page(seed(3), REPOST, "repost"), page(seed(3), NEWS, "xinhua"), page(seed(3), GOV, "gd")]
    chunk = arrange([bad, *(pages[i] for i in order)])
    assert [c.url for c in chunk.copies] == [GOV, NEWS, REPOST]  # government site, news, repost
    assert chunk.failed == (bad,)


def test_place_any_order_of_a_chunk_gives_the_same_placement() -> None:
    pages = [page(seed(i), f"https://repost.example.com/{i}.html", "repost") for i in range(len(SEEDS))]
    pages += [page(_S2T.convert(seed(i)), f"https://www.news.cn/{i}.htm", "xinhua") for i in (1, 3)]
    pages += [page(trimmed(seed(i)), f"https://www.gd.gov.cn/{i}.html", "gd") for i in (3, 4)]
    expected = [(p.page.url, p.outcome, p.doc_id) for p in fresh(*pages).placed]
    shuffled = pages[:]
    random.Random(18).shuffle(shuffled)
    for order in (pages[::-1], shuffled):
        assert [(p.page.url, p.outcome, p.doc_id) for p in fresh(*order).placed] == expected


def test_place_a_page_changed_twice_in_one_chunk_gives_two_versions_and_one_latest_text() -> None:
    changed = seed(4).replace("生物医药产业是关系国计民生", "生物医药产业是关系民生福祉")
    first, second = page(seed(4), GOV), page(changed, GOV)
    placement = fresh(first, second)
    assert sorted(p.outcome for p in placement.placed) == ["new", "version"]
    assert sorted(t.version for t in placement.texts) == [1, 2]
    (doc_id,) = placement.latest()
    latest = placement.latest()[doc_id]
    assert latest is max(placement.texts, key=lambda t: t.version).copy.doc


def test_place_leaves_the_known_documents_it_was_given_unchanged() -> None:
    index, known = known_as(page(_S2T.convert(seed(3)), NEWS, "xinhua"))
    before = dict(known)
    place(arrange([page(seed(3), GOV, "gd")]), index, known)
    assert known == before


def test_chunk_probe_names_the_pages_urls_hashes_and_signatures_but_not_failed_pages() -> None:
    good = page(seed(2), "HTTPS://WWW.gd.gov.cn:443/3.html#top")
    bad = PageOutcome(url="https://a.gov.cn/bad", source_name="test", fetched_at=NOW, error="HTTP 404")
    found = arrange([good, bad]).probe()
    assert good.document is not None
    assert found.urls == ["https://www.gd.gov.cn/3.html"]
    assert (found.hashes, found.signatures) == ([good.document.content_hash], [good.document.minhash])


HEAVY = ("duckdb", "lxml", "jieba", "prefect", "httpx", "pyarrow", "opencc")


@pytest.mark.parametrize(
    ("module", "heavy"),
    [
        ("parsers.run", (*HEAVY, "numpy")),  # records: plain values
        ("parsers.placement", HEAVY),  # the dedup index it drives compares signatures with numpy
    ],
)
def test_core_modules_import_nothing_heavy_of_their_own(module: str, heavy: tuple[str, ...]) -> None:
    """The modules' own imports, without the package's __init__ (whose re-exports are another matter)."""
    code = (
        "import sys, types; pkg = types.ModuleType('parsers'); pkg.__path__ = [sys.argv[1]]; "
        f"sys.modules['parsers'] = pkg; import {module}; "
        f"print(' '.join(sorted(set({heavy!r}) & set(sys.modules))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(REPO / "parsers")], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert done.stdout.strip() == ""
