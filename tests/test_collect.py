"""Collecting: the parse options a source gives the pages it names as articles."""

from __future__ import annotations

from pathlib import Path

from flows.collect import article_options, collect_files
from flows.sources import Source
from flows.spool import Spool
from parsers.records import ParseOptions

NFRA_MAPPING = {"html": "data.docClob", "title": "data.docSubtitle", "published_on": "data.publishDate"}


def source(tmp_path: Path, **options: object) -> Source:
    return Source(name="s", title="s", kind="files", url=str(tmp_path / "docs"), base_dir=tmp_path, options=options)


def test_collect_article_options_mark_an_article_link(tmp_path: Path) -> None:
    options = article_options(ParseOptions(url="https://a.gov.cn/1.html"), source(tmp_path))
    assert (options.article_link, options.detail_json, options.url) == (True, (), "https://a.gov.cn/1.html")


def test_collect_article_options_carry_the_detail_json_mapping(tmp_path: Path) -> None:
    options = article_options(ParseOptions(), source(tmp_path, detail_json=NFRA_MAPPING))
    assert dict(options.detail_json) == NFRA_MAPPING


def test_collect_article_options_without_a_source_still_mark_the_link() -> None:
    assert article_options(ParseOptions(), None).article_link


def test_collect_files_pages_are_article_links(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.html").write_text("<html><body><p>名单见附图。</p></body></html>", encoding="utf-8")
    with Spool(tmp_path / "spool") as spool:
        collected = collect_files(source(tmp_path), tmp_path / "raw", {}, spool)
        assert [page.options.article_link for page in collected.raw] == [True]
