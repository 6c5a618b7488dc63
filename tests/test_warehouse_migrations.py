"""Migrations: applied once, recorded, refused when the file is newer than the code."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from parsers.errors import LoadError
from warehouse.connection import open_reader, open_writer
from warehouse.migrate import available, migrate

CONTRACT_VIEWS = {
    "documents",
    "document_topics",
    "document_sightings",
    "document_links",
    "document_versions",
    "runs",
    "source_health",
    "weekly_topic_counts",
}


def test_migrate_creates_the_contract_views(warehouse: duckdb.DuckDBPyConnection) -> None:
    views = {
        name
        for (name,) in warehouse.execute(
            "SELECT view_name FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal"
        ).fetchall()
    }
    assert views >= CONTRACT_VIEWS


def test_migrate_records_every_migration_once(warehouse: duckdb.DuckDBPyConnection) -> None:
    assert migrate(warehouse) == []
    recorded = [v for (v,) in warehouse.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()]
    assert recorded == [m.version for m in available()]


def test_migrate_refuses_a_warehouse_from_newer_code(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with open_writer(db) as con:
        con.execute("INSERT INTO schema_migrations VALUES (9999, 'future', now())")
    with pytest.raises(LoadError, match="upgrade PolicyWatch"), open_writer(db):
        pass


def test_open_refuses_a_file_that_is_not_duckdb(tmp_path: Path) -> None:
    db = tmp_path / "notes.duckdb"
    db.write_text("these are my notes, not a database\n" * 10)
    with pytest.raises(LoadError, match="not a DuckDB warehouse"), open_writer(db):
        pass
    assert db.read_text().startswith("these are my notes")


def test_open_reader_without_warehouse_says_run_first(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="policywatch run"), open_reader(tmp_path / "missing.duckdb"):
        pass


def test_migrate_upgrades_a_warehouse_that_holds_data(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    last = max(m.version for m in available())
    with duckdb.connect(str(db)) as con:
        migrate(con, upto=last - 1)
        con.execute("INSERT INTO core.runs (run_id, flow, started_at, status) VALUES ('r1', 'x', now(), 'success')")
    with open_writer(db) as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone() == (1,)
        assert con.execute("SELECT max(version) FROM schema_migrations").fetchone() == (last,)


def test_row_tables_lose_their_primary_keys_but_keep_rows_comments_and_not_null(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        migrate(con, upto=7)
        con.execute(
            "INSERT INTO core.document_sightings VALUES ('d1', 'https://a.gov.cn/1', 's', now(), 'first', NULL)"
        )
    with open_writer(db) as con:
        assert con.execute("SELECT doc_id, match FROM core.document_sightings").fetchall() == [("d1", "first")]
        constraints = con.execute(
            "SELECT table_name, constraint_type FROM duckdb_constraints() WHERE schema_name = 'core' AND table_name IN "
            "('documents', 'document_labels', 'document_sightings', 'document_versions')"
        ).fetchall()
        assert ("document_sightings", "NOT NULL") in constraints
        assert not [c for c in constraints if c[1] == "PRIMARY KEY"]
        comments = con.execute(
            "SELECT count(comment), count(*) FROM duckdb_columns() WHERE schema_name = 'core' "
            "AND table_name = 'documents'"
        ).fetchone()
        assert comments[0] == comments[1] >= 28
        with pytest.raises(duckdb.ConstraintException):
            con.execute("INSERT INTO core.document_sightings VALUES (NULL, 'u', 's', now(), 'first', NULL)")


def test_mentioned_regions_migration_gives_old_documents_no_mentions(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        migrate(con, upto=12)
        con.execute(
            "INSERT INTO core.documents (doc_id, first_seen_at, week, updated_at, issuers, regions, relevant, text, "
            "keywords, content_hash, minhash, cited_titles, version) "
            "VALUES ('d1', now(), '2026-W47', now(), [], ['京津冀', '北京'], false, '正文', [], 'h', [], [], 1)"
        )
        # more than one vector of rows, checkpointed: `ADD COLUMN … VARCHAR[] DEFAULT []` failed on such a table
        con.execute(
            "INSERT INTO core.documents (doc_id, first_seen_at, week, updated_at, issuers, regions, relevant, text, "
            "keywords, content_hash, minhash, cited_titles, version) "
            "SELECT 'x' || i, now(), '2026-W47', now(), [], ['上海'], false, '正文', [], 'h', [], [], 1 FROM range(5000) r(i)"
        )
        con.execute("CHECKPOINT")
    with open_writer(db) as con:
        row = con.execute("SELECT regions, mentioned_regions FROM documents WHERE doc_id = 'd1'").fetchone()
        assert row == (["京津冀", "北京"], [])  # kept as they were until a reparse recomputes both
        assert con.execute("SELECT count(*) FROM documents WHERE mentioned_regions = []").fetchone() == (5001,)
        regions = "SELECT region FROM document_regions WHERE doc_id = 'd1' ORDER BY region"
        assert con.execute(regions).fetchall() == [("京津冀",), ("北京",)]
        assert con.execute("SELECT count(*) FROM document_region_mentions").fetchone() == (0,)
        with pytest.raises(duckdb.ConstraintException):
            con.execute("UPDATE core.documents SET mentioned_regions = NULL")


def test_mentioned_regions_are_described(warehouse: duckdb.DuckDBPyConnection) -> None:
    described = warehouse.execute(
        "SELECT schema_name || '.' || table_name || '.' || column_name, comment FROM duckdb_columns() "
        "WHERE column_name IN ('mentioned_regions', 'region') "
        "AND table_name IN ('documents', 'document_region_mentions', 'document_regions')"
    ).fetchall()
    assert {name for name, _ in described} == {
        "core.documents.mentioned_regions",
        "main.documents.mentioned_regions",
        "main.document_region_mentions.region",
        "main.document_regions.region",
    }
    assert all(comment for _, comment in described)
    view = warehouse.execute("SELECT comment FROM duckdb_views() WHERE view_name = 'document_region_mentions'")
    assert view.fetchone()[0]
