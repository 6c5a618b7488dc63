"""One builder of a page's parse options (parsers.options) and the registry → values step (flows.tasks.options)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from flows.sources import Source
from flows.tasks.options import list_facts, manifest_entry, source_defaults
from parsers.errors import ConfigError
from parsers.listing import ListItem
from parsers.options import SourceDefaults, page_options

NFRA_MAPPING = {"html": "data.docClob", "title": "data.docSubtitle", "published_on": "data.publishDate"}
GD = SourceDefaults(name="gd", encoding="gb18030", issuer="广东省科学技术厅", region="广东")
URL = "https://gdstc.gd.gov.cn/a/1.html"


def test_page_options_take_the_source_defaults() -> None:
    options = page_options(url=URL, source=GD, content_type="text/html")
    assert (
        options.url,
        options.source_name,
        options.encoding,
        options.default_issuer,
        options.default_region,
        options.content_type,
    ) == (URL, "gd", "gb18030", "广东省科学技术厅", "广东", "text/html")


@pytest.mark.parametrize(("source", "expected"), [(GD, True), (None, False)])
def test_page_options_mark_a_page_a_source_named_as_an_article_link(
    source: SourceDefaults | None, expected: bool
) -> None:
    assert page_options(url=URL, source=source).article_link is expected


@pytest.mark.parametrize(
    ("fetched_on", "manifest", "expected"),
    [
        (date(2026, 11, 20), None, date(2026, 11, 20)),  # the fetch date gives a year to 6月19日电
        (date(2026, 11, 20), {"fetched_on": "2025-01-02"}, date(2025, 1, 2)),  # the day the copy was saved wins
        (date(2026, 11, 20), {"fetched_on": date(2025, 1, 2)}, date(2025, 1, 2)),  # as YAML reads it
        (None, None, None),
    ],
)
def test_page_options_reference_date(
    fetched_on: date | None, manifest: dict[str, Any] | None, expected: date | None
) -> None:
    assert page_options(url=URL, source=GD, fetched_on=fetched_on, manifest_facts=manifest).reference_date == expected


def test_page_options_known_facts_from_the_list() -> None:
    facts = {
        "title": "标题",
        "published_on": "2026-10-07",
        "issuer": "农业农村部 财政部",
        "doc_number": "农发〔2026〕7号",
    }
    options = page_options(url=URL, source=GD, list_facts=facts)
    assert (options.known_title, options.known_published_on, options.known_issuers, options.known_doc_number) == (
        "标题",
        date(2026, 10, 7),
        ("农业农村部", "财政部"),
        "农发〔2026〕7号",
    )


def test_page_options_manifest_facts_win_over_the_list() -> None:
    options = page_options(
        url=URL,
        source=GD,
        list_facts={"title": "列表标题", "issuer": "甲"},
        manifest_facts={"title": "清单标题", "issuers": ["乙", "丙"], "url": "https://x.gov.cn/2"},
    )
    assert (options.known_title, options.known_issuers, options.url) == ("清单标题", ("乙", "丙"), "https://x.gov.cn/2")


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"issuers": ["国家发展改革委"]}, ("国家发展改革委",)),
        ({"issuers": "科技部 财政部"}, ("科技部", "财政部")),  # a manifest that wrote one line
        ({"issuer": " 国务院 "}, ("国务院",)),
        ({"issuers": [], "issuer": "国务院"}, ("国务院",)),
        ({"issuers": ["", " "]}, ()),
        ({}, ()),
    ],
)
def test_page_options_issuers(facts: dict[str, Any], expected: tuple[str, ...]) -> None:
    assert page_options(url=URL, manifest_facts=facts).known_issuers == expected


def test_page_options_reject_a_fact_date_that_is_not_one() -> None:
    with pytest.raises(ConfigError, match="2026-13-01"):
        page_options(url=URL, manifest_facts={"published_on": "2026-13-01"})


def source(tmp_path: Path, kind: str = "json-api", **options: object) -> Source:
    return Source(
        name="s",
        title="s",
        kind=kind,
        url="https://a.gov.cn/api",
        base_dir=tmp_path,
        issuer="国务院",
        region="北京",
        encoding="utf-8",
        options=options,
    )


def test_source_defaults_carry_the_registry_entry(tmp_path: Path) -> None:
    assert source_defaults(source(tmp_path, detail_json=NFRA_MAPPING)) == SourceDefaults(
        name="s", encoding="utf-8", issuer="国务院", region="北京", detail_json=tuple(NFRA_MAPPING.items())
    )


API_ITEM = ListItem(
    url=URL,
    title="办法",
    published_on=date(2026, 10, 7),
    facts={"issuer": "农业农村部", "doc_number": "农农发〔2026〕7号"},
)


def test_list_facts_of_an_api_item() -> None:
    assert list_facts(API_ITEM) == {
        "title": "办法",
        "published_on": "2026-10-07",
        "issuer": "农业农村部",
        "doc_number": "农农发〔2026〕7号",
    }


def test_list_facts_of_an_anchor_are_none() -> None:
    assert list_facts(ListItem(url=URL, title="办法…", published_on=date(2026, 10, 7))) == {}


def test_list_facts_stored_as_json_give_the_same_options() -> None:
    stored = json.loads(json.dumps(list_facts(API_ITEM), ensure_ascii=False))
    assert page_options(url=URL, source=GD, list_facts=stored) == page_options(
        url=URL, source=GD, list_facts=list_facts(API_ITEM)
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("file:///srv/seeds/002_a.txt", {"title": "二"}),
        ("file:///srv/seeds/%E9%80%9A%E7%9F%A5.html", {"title": "通知"}),  # a file name the URL percent-encodes
        ("file:///srv/seeds/unknown.txt", {}),
    ],
)
def test_manifest_entry_by_the_file_name_in_the_url(url: str, expected: dict[str, Any]) -> None:
    manifest = {"002_a.txt": {"title": "二"}, "通知.html": {"title": "通知"}}
    assert manifest_entry(manifest, url) == expected
