"""Golden corpus: each seed document against its sidecar of expected fields (tests/fixtures/seeds/)."""

from __future__ import annotations

import json
import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from flows.sources import load_sources
from flows.tasks.options import file_options
from parsers.extract import extract
from parsers.records import Extraction, ExtractionStatus, ParseOptions

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
GOLD = Path(__file__).with_name("fixtures") / "seeds"
CASES = sorted(path.stem for path in GOLD.glob("*.json"))
# Sidecar keys that describe the text rather than a field of the record.
TEXT_KEYS = ("text_starts_with", "text_ends_with")
TRADITIONAL = ("發", "國", "經", "濟", "產", "業", "規", "劃", "術", "與")
CHROME = ("当前位置", "当前所在", "网站首页", "原文链接", "免责声明", "版权声明", "编辑:", "编辑：")
PINYIN_BRACKET = re.compile(r"[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü ]+[)）]")
PAGE_MARKER = re.compile(r"[—－–-]\s?\d{1,3}\s?[—－–-]")


def options_for_seed(path: Path) -> ParseOptions:
    """The options the nightly run gives a seed: the seeds source's defaults and its manifest entry."""
    options = file_options(load_sources(SEEDS / "sources.yaml"), path, fetched_on=None)
    assert options is not None, f"no files source of seeds/sources.yaml reads {path.name}"
    return options


@cache
def extracted(stem: str) -> Extraction:
    path = SEEDS / f"{stem}.txt"
    return extract(path.read_bytes(), options_for_seed(path))


def gold(stem: str) -> dict[str, Any]:
    return dict(json.loads((GOLD / f"{stem}.json").read_text("utf-8")))


def as_json(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    return list(value) if isinstance(value, tuple) else value


def test_extract_seeds_every_seed_has_a_sidecar() -> None:
    seeds = sorted(path.stem for path in SEEDS.glob("*.txt"))
    assert seeds == CASES


@pytest.mark.parametrize("stem", CASES)
def test_extract_seed_is_ok(stem: str) -> None:
    assert extracted(stem).status is ExtractionStatus.OK, extracted(stem).reason


@pytest.mark.parametrize("stem", CASES)
def test_extract_seed_fields_match_gold(stem: str) -> None:
    expected = {key: value for key, value in gold(stem).items() if key not in TEXT_KEYS}
    actual = {key: as_json(getattr(extracted(stem), key)) for key in expected}
    assert actual == expected


@pytest.mark.parametrize("stem", CASES)
def test_extract_seed_text_keeps_first_and_last_sentences(stem: str) -> None:
    text, expected = extracted(stem).text, gold(stem)
    assert text.startswith(expected["text_starts_with"])
    assert text.endswith(expected["text_ends_with"])


@pytest.mark.parametrize("stem", CASES)
def test_extract_seed_text_has_no_pinyin_brackets(stem: str) -> None:
    assert PINYIN_BRACKET.findall(extracted(stem).text) == []


@pytest.mark.parametrize("stem", CASES)
def test_extract_seed_text_is_simplified(stem: str) -> None:
    assert [char for char in TRADITIONAL if char in extracted(stem).text] == []


@pytest.mark.parametrize("stem", CASES)
def test_extract_seed_text_has_no_page_markers(stem: str) -> None:
    assert PAGE_MARKER.findall(extracted(stem).text) == []


@pytest.mark.parametrize("stem", CASES)
def test_extract_seed_text_has_no_chrome(stem: str) -> None:
    text = extracted(stem).text
    assert [marker for marker in CHROME if marker in text] == []


@pytest.mark.parametrize("stem", CASES)
def test_extract_seed_text_does_not_repeat_the_title(stem: str) -> None:
    record = extracted(stem)
    assert record.title
    assert record.title not in record.text.split("\n")


def test_extract_seeds_plan_text_without_its_manifest_has_its_title() -> None:
    # The plan's PDF text runs its title into its first sentence: the title ends where the sentence begins.
    record = extract((SEEDS / "002_860cc7e5a463723a.txt").read_bytes(), ParseOptions())
    assert (record.title, record.doc_type) == ("“十四五”生物经济发展规划", "规划")
    assert record.text.startswith("科学规划、系统推进我国生物经济发展")


def test_extract_page_with_stray_nul_bytes_keeps_its_text_without_them() -> None:
    html = (
        "<html><head><title>关于促进生物医药产业发展的通知</title></head><body><div class='article'>"
        "<h1>关于促进生物医药产业发展的通知</h1>"
        + "<p>为加快生物医药产业发展，现就有关事项通知如下。</p>" * 20
        + "</div></body></html>"
    ).encode()
    cut = html.index(b"</h1>") + len(b"</h1>")
    extraction = extract(html[:cut] + b"\x00\x00" + html[cut:], ParseOptions(url="https://www.example.gov.cn/a.html"))
    assert extraction.status is ExtractionStatus.OK
    assert extraction.text.startswith("为加快生物医药产业发展，现就有关事项通知如下。")
    assert "\x00" not in extraction.text and "\ufffd" not in extraction.text
