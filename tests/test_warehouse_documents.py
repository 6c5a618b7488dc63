"""core.documents written from one mapping: each write sets every column but the ones it declares it leaves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from parsers.dedup import DedupIndex
from parsers.parse import parse_document
from parsers.placement import Copy, arrange, place
from parsers.records import ParseOptions
from parsers.run import PageOutcome
from tests.test_warehouse_load import MEASURES_V1, MEASURES_V2, document_row, load
from warehouse import documents, sql
from warehouse.reparse import ArchivedPage, apply_reparse

NOW = datetime(2026, 11, 20, 1, 0)
URL = "https://a.gov.cn/1.html"


def page(text: str) -> PageOutcome:
    doc = parse_document(text.encode("utf-8"), ParseOptions(url=URL, source_name="test"))
    return PageOutcome(url=URL, source_name="test", fetched_at=NOW, raw_sha256="x" * 64, document=doc)


def copy_of(text: str) -> Copy:
    (placed,) = place(arrange([page(text)]), DedupIndex(), {}).placed
    return placed.copy


# Every write of core.documents, as the column mapping it binds.
WRITES: dict[str, Callable[[Copy], dict[str, Any]]] = {
    "insert": lambda copy: documents.insert_row("d1", copy),
    "version": lambda copy: documents.version_columns(copy.doc, version=2, fetched_at=NOW),
    "reparse": lambda copy: documents.reparse_columns(copy.doc),
}


def table_columns(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {name for name, _ in con.execute(sql.TABLE_COLUMNS, ["core", "documents"]).fetchall()}


@pytest.mark.parametrize("write", list(WRITES))
def test_documents_write_sets_every_column_but_those_it_declares_it_leaves(
    warehouse: duckdb.DuckDBPyConnection, write: str
) -> None:
    written = set(WRITES[write](copy_of(MEASURES_V1)))
    left = documents.LEFT_BY.get(write, frozenset())
    columns = table_columns(warehouse)
    assert {"missing": columns - written - left, "unknown": written - columns} == {"missing": set(), "unknown": set()}
    assert written.isdisjoint(left)


def test_documents_declared_columns_are_columns_of_the_table(warehouse: duckdb.DuckDBPyConnection) -> None:
    declared = documents.IDENTITY | documents.CANONICAL | documents.CHANGE | documents.INDEXED
    assert declared <= table_columns(warehouse)
    assert declared.isdisjoint(documents.content_columns(copy_of(MEASURES_V1).doc))


def test_documents_reparse_takes_every_content_column_of_the_new_reading(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    from warehouse.connection import open_writer

    load(warehouse, page(MEASURES_V1))
    doc_id = document_row(warehouse)["doc_id"]
    reread = page(MEASURES_V2).document
    assert reread is not None and isinstance(doc_id, str)
    archived = ArchivedPage(
        url=URL, source_name="test", raw_sha256="x" * 64, content_type=None, final_url=None, headers={}, doc_id=doc_id
    )
    apply_reparse(warehouse, [(archived, reread)], now=NOW)
    with open_writer(tmp_path / "fresh.duckdb") as fresh:
        load(fresh, page(MEASURES_V2))
        expected = document_row(fresh)
    got, left = document_row(warehouse), documents.LEFT_BY["reparse"]
    assert {c: v for c, v in got.items() if c not in left} == {c: v for c, v in expected.items() if c not in left}


NATIONAL_PLAN = (
    "国家发展改革委关于推动生物经济先导区建设的通知\n发布时间：2024-03-01\n"
    "支持北京、上海、广东建设生物经济先导区，推动生物医药产业集聚发展。\n国家发展改革委\n2024年2月28日\n"
)


def test_documents_reparse_splits_the_regions_of_a_row_loaded_before_mentions(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    load(warehouse, page(NATIONAL_PLAN))
    # As a warehouse upgraded past migration 13 holds it: every place in regions, no mentions yet.
    warehouse.execute("UPDATE core.documents SET regions = ['北京', '上海', '广东'], mentioned_regions = []")
    doc_id = str(document_row(warehouse)["doc_id"])
    archived = ArchivedPage(
        url=URL, source_name="test", raw_sha256="x" * 64, content_type=None, final_url=None, headers={}, doc_id=doc_id
    )
    reread = page(NATIONAL_PLAN).document
    assert reread is not None
    report = apply_reparse(warehouse, [(archived, reread)], now=NOW)
    assert report.unchanged == 1  # the same text: its places are read again all the same
    row = document_row(warehouse)
    assert (row["regions"], row["mentioned_regions"]) == ([], ["北京", "上海", "广东"])


@pytest.mark.parametrize(
    ("table", "columns", "key", "statement"),
    [
        (
            "core.documents",
            ["title", "level"],
            "doc_id",
            'UPDATE "core"."documents" SET "title" = ?, "level" = ? WHERE "doc_id" = ?',
        ),
        ("documents", ["text"], "doc_id", 'UPDATE "documents" SET "text" = ? WHERE "doc_id" = ?'),
    ],
)
def test_update_by_key_quotes_each_name_and_binds_each_value(
    table: str, columns: list[str], key: str, statement: str
) -> None:
    assert sql.update_by_key(table, columns, key) == statement


@pytest.mark.parametrize(
    ("columns", "key"), [(["title; DROP TABLE x"], "doc_id"), (["title"], "doc_id = doc_id"), ([], "doc_id")]
)
def test_update_by_key_refuses_what_is_not_a_plain_update(columns: list[str], key: str) -> None:
    with pytest.raises(ValueError):
        sql.update_by_key("core.documents", columns, key)
