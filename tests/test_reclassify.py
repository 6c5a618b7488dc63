"""Reclassification: a changed taxonomy applied to a loaded warehouse, labels replaced, version recorded."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from parsers.classify import default_taxonomy, load_taxonomy
from tests.test_warehouse_load import PLAN, load, page
from warehouse.connection import open_writer
from warehouse.reclassify import reclassify, reclassify_warehouse

NOTICE = (
    "关于调整住房公积金缴存基数的通知\n"
    "发布时间:2024-03-02\n"
    "各缴存单位：2024年度住房公积金月缴存基数上限调整为31884元，单位和职工缴存比例均为5%至12%。\n"
)
# Version 2 of an analyst's taxonomy: only vaccines count, and housing funds became a "topic".
CHANGED = """\
version: "analyst-2"
scoring: {label_threshold: 1.0, relevance_threshold: 1.0}
facets:
  industry:
    - id: vaccines
      name: 疫苗
      keywords: [疫苗]
    - id: housing
      name: 住房
      keywords: [住房公积金]
"""


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A warehouse file holding a biotech plan and a housing notice, labelled by the packaged taxonomy."""
    path = tmp_path / "warehouse.duckdb"
    with open_writer(path) as con:
        load(con, page(PLAN, "https://a.gov.cn/1.html"), page(NOTICE, "https://a.gov.cn/2.html"))
    return path


def labels(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str, str]]:
    rows = con.execute(
        "SELECT d.title, l.topic_id, l.taxonomy_version FROM core.document_labels l "
        "JOIN core.documents d USING (doc_id)"
    ).fetchall()
    return {(title[:4], topic_id, version) for title, topic_id, version in rows}


def test_reclassify_replaces_labels_and_records_the_version(db: Path) -> None:
    with open_writer(db) as con:
        before = labels(con)
        report = reclassify(con, load_taxonomy(CHANGED))
        after = labels(con)
        versions = con.execute("SELECT DISTINCT taxonomy_version FROM core.documents").fetchall()
        relevant = dict(con.execute("SELECT substr(title, 1, 4), relevant FROM core.documents").fetchall())
    assert ("“十四五", "biomedicine", default_taxonomy().version) in before
    assert after == {("“十四五", "vaccines", "analyst-2"), ("关于调整", "housing", "analyst-2")}
    assert versions == [("analyst-2",)]
    assert relevant == {"“十四五": True, "关于调整": True}
    assert (report.documents, report.labels, report.taxonomy_version) == (2, 2, "analyst-2")


def test_reclassify_with_the_same_taxonomy_keeps_the_loaders_labels(db: Path) -> None:
    with open_writer(db) as con:
        query = "SELECT doc_id, facet, topic_id, round(score, 6), evidence FROM core.document_labels ORDER BY ALL"
        before = con.execute(query).fetchall()
        reclassify(con, default_taxonomy())
        assert con.execute(query).fetchall() == before


def test_reclassify_updates_summary_and_keywords(db: Path) -> None:
    with open_writer(db) as con:
        reclassify(con, load_taxonomy(CHANGED.replace("[疫苗]", "[疫苗, 生物医药产业]")))
        keywords, summary = con.execute(
            "SELECT keywords, summary FROM core.documents WHERE title LIKE '“十四五”%'"
        ).fetchone()
    assert "生物医药产业" in keywords
    assert summary


def test_reclassify_warehouse_reports_progress(db: Path) -> None:
    seen: list[int] = []
    report = reclassify_warehouse(db, load_taxonomy(CHANGED), start=seen.append, tick=seen.append)
    assert seen == [2, 1, 1]
    assert report.relevant_after == 2


def test_cli_reclassify_applies_a_taxonomy_file(db: Path, tmp_path: Path, home: Path) -> None:
    taxonomy = tmp_path / "taxonomy.yaml"
    taxonomy.write_text(CHANGED, encoding="utf-8")
    result = CliRunner().invoke(app, ["reclassify", "--db", str(db), "--taxonomy", str(taxonomy)])
    assert result.exit_code == 0, result.output
    assert "reclassified 2 documents with taxonomy analyst-2" in result.output
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT DISTINCT taxonomy_version FROM document_topics").fetchall() == [("analyst-2",)]


def test_cli_reclassify_refuses_a_bad_taxonomy_naming_the_line(db: Path, tmp_path: Path, home: Path) -> None:
    taxonomy = tmp_path / "taxonomy.yaml"
    taxonomy.write_text(CHANGED + "    - id: vaccines\n      name: 重复\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["reclassify", "--db", str(db), "--taxonomy", str(taxonomy)])
    assert result.exit_code == 2
    assert "line 11" in result.output and "duplicate" in result.output


def test_cli_reclassify_without_a_warehouse_exits_1(tmp_path: Path, home: Path) -> None:
    result = CliRunner().invoke(app, ["reclassify", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1
    assert "no warehouse" in result.output
