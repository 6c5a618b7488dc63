"""Collecting a `files` source: the parse options it gives the pages it reads."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from flows.sources import Source
from flows.tasks.collect import collect_files
from flows.tasks.spool import Spool


def source(tmp_path: Path, **fields: object) -> Source:
    return Source(name="s", title="s", kind="files", url=str(tmp_path / "docs"), base_dir=tmp_path, **fields)


def write_doc(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.html").write_text("<html><body><p>名单见附图。</p></body></html>", encoding="utf-8")


def test_collect_files_pages_are_article_links(tmp_path: Path) -> None:
    write_doc(tmp_path)
    with Spool(tmp_path / "spool") as spool:
        collected = collect_files(source(tmp_path), tmp_path / "raw", {}, spool)
        assert [page.options.article_link for page in collected.raw] == [True]


def test_collect_files_pages_carry_their_manifest_facts(tmp_path: Path) -> None:
    write_doc(tmp_path)
    manifest = {"documents": {"a.html": {"title": "名单", "fetched_on": "2025-01-02", "issuers": ["科技部"]}}}
    (tmp_path / "manifest.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8")
    with Spool(tmp_path / "spool") as spool:
        collected = collect_files(source(tmp_path, manifest="manifest.yaml"), tmp_path / "raw", {}, spool)
        options = [page.options for page in collected.raw]
    assert [(o.known_title, o.reference_date, o.known_issuers) for o in options] == [
        ("名单", date(2025, 1, 2), ("科技部",))
    ]


def test_collect_files_a_manifest_date_that_is_not_one_fails_the_page(tmp_path: Path) -> None:
    write_doc(tmp_path)
    (tmp_path / "manifest.yaml").write_text("documents:\n  a.html: {published_on: '2025-13-40'}\n", encoding="utf-8")
    with Spool(tmp_path / "spool") as spool:
        collected = collect_files(source(tmp_path, manifest="manifest.yaml"), tmp_path / "raw", {}, spool)
        assert [(len(collected.raw), page.error) for page in collected.failed] == [
            (0, "not a date (YYYY-MM-DD): '2025-13-40'")
        ]


def test_collect_files_a_manifest_yaml_cannot_read_fails_the_source(tmp_path: Path) -> None:
    write_doc(tmp_path)
    (tmp_path / "manifest.yaml").write_text("documents:\n  a.html: {published_on: 2025-13-40}\n", encoding="utf-8")
    with Spool(tmp_path / "spool") as spool:
        collected = collect_files(source(tmp_path, manifest="manifest.yaml"), tmp_path / "raw", {}, spool)
        assert (collected.attempt.ok, len(collected.raw)) == (False, 0)
    assert "cannot read manifest" in (collected.attempt.error or "")


def test_collect_files_reads_every_file_format_the_readers_take(tmp_path: Path) -> None:
    write_doc(tmp_path)
    for name in ("plan.docx", "guide.doc", "form.xlsx", "notice.ofd", "scan.pdf", "notes.md", "photo.jpg"):
        (tmp_path / "docs" / name).write_bytes(b"x")
    with Spool(tmp_path / "spool") as spool:
        collected = collect_files(source(tmp_path), tmp_path / "raw", {}, spool)
        names = sorted(Path(page.url).name for page in collected.raw)
    assert names == ["a.html", "form.xlsx", "guide.doc", "notice.ofd", "plan.docx", "scan.pdf"]
