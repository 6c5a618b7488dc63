"""The warehouse on DuckLake with its catalog in a real PostgreSQL (a throwaway cluster) and data files in a folder.

Same migrations and views, the real nightly flow, two writing processes, a reader during a load, an analyst's
ATTACH. Skipped, with the reason, only where PostgreSQL's binaries are not installed.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from parsers.errors import ConfigError, WarehouseBusyError
from tests import pg
from tests.conftest import copy_seeds
from tests.lake_writer import load_in_own_process
from tests.test_warehouse_load import MEASURES_V2, NEWS, NOW, PLAN, page
from warehouse import lake
from warehouse.migrate import available, for_ducklake, migrate, statements

pytestmark = pytest.mark.skipif(
    pg.binaries() is None, reason="PostgreSQL is not installed (apt-get install postgresql)"
)


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """One PostgreSQL cluster for this module (~3 s to start); each test gets a database of its own."""
    with pg.cluster() as admin_dsn:
        yield admin_dsn


@pytest.fixture(scope="module")
def lake_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data folder of this module's lakes (DuckLake names its files uniquely: they can share it)."""
    return tmp_path_factory.mktemp("lake-data")


def _use_lake(monkeypatch: pytest.MonkeyPatch, dsn: str, data: Path) -> str:
    monkeypatch.setenv("POLICYWATCH_WAREHOUSE", f"ducklake:postgres:{dsn}")
    monkeypatch.setenv("POLICYWATCH_LAKE_DATA", str(data))
    return f"ducklake:postgres:{dsn}"


@pytest.fixture
def empty_lake_env(postgres: str, lake_data: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """POLICYWATCH_WAREHOUSE naming a new, empty lake; returns its `ducklake:` string."""
    return _use_lake(monkeypatch, pg.create_database(postgres, f"lake_{uuid.uuid4().hex[:8]}"), lake_data)


@pytest.fixture(scope="module")
def migrated_template(postgres: str, lake_data: Path) -> str:
    """A lake migrated once (~6 s of catalog writes); each test's lake is a copy of its catalog database."""
    dsn = pg.create_database(postgres, "lake_template")
    con = lake.connect(lake.Lake(catalog=f"postgres:{dsn}", data_path=str(lake_data)), read_only=False)
    with con:
        migrate(con)
    return "lake_template"


@pytest.fixture
def lake_env(postgres: str, migrated_template: str, lake_data: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """POLICYWATCH_WAREHOUSE naming a new, migrated, empty lake; returns its `ducklake:` string."""
    dsn = pg.create_database(postgres, f"lake_{uuid.uuid4().hex[:8]}", template=migrated_template)
    return _use_lake(monkeypatch, dsn, lake_data)


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    return con.execute(sql).fetchall()


VIEWS = "SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT internal ORDER BY 1"
TABLES = "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() ORDER BY ALL"


def test_ducklake_setting_parses_the_lake_and_refuses_anything_else() -> None:
    assert lake.parse(None) is None and lake.parse("duckdb") is None
    found = lake.parse("ducklake:postgres:dbname=pw host=db", "/srv/lake")
    assert found == lake.Lake(catalog="postgres:dbname=pw host=db", data_path="/srv/lake")
    assert found.postgres_dsn == "dbname=pw host=db"
    with pytest.raises(ConfigError, match="POLICYWATCH_WAREHOUSE"):
        lake.parse("postgres://db/pw")


@pytest.mark.parametrize(
    ("env", "args", "says"),
    [
        ({"POLICYWATCH_WAREHOUSE": "postgres://db/pw"}, ["search", "疫苗"], "POLICYWATCH_WAREHOUSE must be"),
        ({"POLICYWATCH_WAREHOUSE": "ducklake:postgres:dbname=pw"}, ["search", "疫苗", "--db", "w.duckdb"], "drop --db"),
    ],
)
def test_ducklake_cli_names_a_bad_warehouse_setting(
    env: dict[str, str], args: list[str], says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and says in result.output, result.output


def test_ducklake_dialect_drops_key_constraints_and_keeps_key_columns_not_null() -> None:
    create = "CREATE TABLE t (\n  a VARCHAR PRIMARY KEY,\n  b INTEGER NOT NULL,\n  c INT,\n  PRIMARY KEY (b, c)\n)"
    assert for_ducklake(create) == "CREATE TABLE t (\n  a VARCHAR NOT NULL,\n  b INTEGER NOT NULL,\n  c INT\n)"


def test_ducklake_migrations_create_the_same_tables_and_views(empty_lake_env: str, tmp_path: Path) -> None:
    from warehouse.connection import open_writer

    with open_writer(tmp_path / "unused.duckdb") as con:
        assert lake.is_lake(con)
        on_lake = rows(con, VIEWS), rows(con, TABLES)
        versions = [r[0] for r in rows(con, "SELECT version FROM main.schema_migrations ORDER BY 1")]
    assert not (tmp_path / "unused.duckdb").exists()
    assert versions == [m.version for m in available()]
    with duckdb.connect(str(tmp_path / "embedded.duckdb")) as embedded:
        migrate(embedded)
        assert on_lake == (rows(embedded, VIEWS), rows(embedded, TABLES))


def test_ducklake_dialect_splits_statements_only_outside_strings_names_and_comments() -> None:
    script = "-- a; b\nSELECT 'x;y' AS \"q;\"; /* c; */ SELECT 2;\n-- the end; nothing more\n"
    assert statements(script) == ["-- a; b\nSELECT 'x;y' AS \"q;\"", " /* c; */ SELECT 2"]


def test_ducklake_lake_holding_rows_upgrades_through_later_migrations(empty_lake_env: str) -> None:
    con = lake.connect(lake.configured(), read_only=False)  # type: ignore[arg-type]  # set by the fixture
    with con:
        migrate(con, upto=12)
        con.execute(
            "INSERT INTO core.documents (doc_id, first_seen_at, week, updated_at, issuers, regions, relevant, text, "
            "keywords, content_hash, minhash, cited_titles, version) "
            "VALUES ('d1', now(), '2026-W47', now(), [], ['广东'], true, 't', [], 'h', [], [], 1)"
        )
        assert migrate(con) == [m.version for m in available() if m.version > 12]
        assert rows(con, "SELECT doc_id, regions, mentioned_regions FROM documents") == [("d1", ["广东"], [])]


def test_ducklake_reopening_a_migrated_lake_applies_nothing(lake_env: str, tmp_path: Path) -> None:
    from warehouse.connection import open_writer

    with open_writer(tmp_path / "w.duckdb") as con:
        assert migrate(con) == []


LOADED = "SELECT doc_id, title, url FROM documents ORDER BY doc_id"
TOPICS = "SELECT doc_id, topic, round(score, 6) FROM document_topics ORDER BY ALL"
# The index step compacted the search index (a first index is all tail): its rows, sorted by (gram, doc_key).
COMPACTED = "SELECT base_rows, (SELECT count(*) FROM core.document_grams) FROM core.search_compaction"


@pytest.mark.usefixtures("prefect_server", "home")
def test_ducklake_nightly_run_loads_the_seeds_as_the_embedded_warehouse_does(
    lake_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.ingest import nightly_ingest
    from warehouse.connection import open_reader
    from warehouse.search import search

    sources = copy_seeds(tmp_path / "seeds")
    nightly_ingest(str(sources), str(tmp_path / "unused.duckdb"))
    with open_reader(tmp_path / "unused.duckdb") as con:
        assert lake.is_lake(con)
        on_lake = rows(con, LOADED), rows(con, TOPICS), rows(con, "SELECT status FROM runs")
        found_on_lake = sorted(hit.doc_id for hit in search(con, "合成生物"))
        compacted = rows(con, COMPACTED)
    assert not (tmp_path / "unused.duckdb").exists()
    assert not (tmp_path / "unused.read.duckdb").exists()  # a lake needs no read copy

    monkeypatch.delenv("POLICYWATCH_WAREHOUSE")
    embedded = tmp_path / "embedded.duckdb"
    nightly_ingest(str(sources), str(embedded))
    with duckdb.connect(str(embedded), read_only=True) as con:
        assert on_lake == (rows(con, LOADED), rows(con, TOPICS), rows(con, "SELECT status FROM runs"))
        found = sorted(hit.doc_id for hit in search(con, "合成生物"))
        assert compacted == rows(con, COMPACTED) and compacted[0][0] == compacted[0][1] > 0
    assert found_on_lake == found and len(found) == 3  # the search index is built on a lake too
    assert len(on_lake[0]) == 5 and on_lake[1] and on_lake[2] == [("success",)]


def test_ducklake_two_processes_writing_at_once_both_commit(lake_env: str, tmp_path: Path) -> None:
    from warehouse.connection import open_reader

    context = multiprocessing.get_context("spawn")  # fresh interpreters, as on two machines
    start = context.Barrier(2)
    env = {k: v for k, v in os.environ.items() if k.startswith("POLICYWATCH_")}
    loads = [
        (page(PLAN, "https://a.gov.cn/plan.html"), "run-a"),
        (page(MEASURES_V2, "https://b.gov.cn/m.html"), "run-b"),
    ]
    writers = [
        context.Process(target=load_in_own_process, args=(env, outcome, run, NOW, start)) for outcome, run in loads
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)
    assert [w.exitcode for w in writers] == [0, 0]
    with open_reader(tmp_path / "unused.duckdb") as con:
        assert rows(con, "SELECT url FROM documents ORDER BY url") == [
            ("https://a.gov.cn/plan.html",),
            ("https://b.gov.cn/m.html",),
        ]
        assert rows(con, "SELECT run_id, status FROM runs ORDER BY 1") == [("run-a", "success"), ("run-b", "success")]
        assert rows(con, "SELECT count(*) FROM core.document_sightings") == [(2,)]


def test_ducklake_second_run_is_refused_while_one_holds_the_lock(lake_env: str, tmp_path: Path) -> None:
    from warehouse.connection import writer_lock

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with (
            pytest.raises(WarehouseBusyError, match="another PolicyWatch run is writing ducklake:"),
            writer_lock(tmp_path / "w.duckdb"),
        ):
            pass
    finally:
        holder.communicate("", timeout=30)
    with writer_lock(tmp_path / "w.duckdb"):  # released when the holder's session ended
        pass


REPO = Path(__file__).resolve().parents[1]
HOLD_LOCK = """
import sys
from pathlib import Path
from warehouse.connection import writer_lock
with writer_lock(Path("w.duckdb")):
    print("held", flush=True)
    sys.stdin.read()
"""
# A reader in a process of its own, started while a load's transaction is open: it must answer at once.
READ_DURING_LOAD = """
from pathlib import Path
from warehouse.connection import open_reader
with open_reader(Path("unused.duckdb")) as con:
    print(con.execute("SELECT count(*) FROM documents").fetchone()[0])
"""


def test_ducklake_reader_is_not_blocked_by_an_open_load(lake_env: str, tmp_path: Path) -> None:
    from tests.test_warehouse_load import load
    from warehouse.connection import open_writer
    from warehouse.load import RunLoader

    with open_writer(tmp_path / "unused.duckdb") as con:
        load(con, page(PLAN, "https://a.gov.cn/plan.html"), run_id="r1")
    with open_writer(tmp_path / "unused.duckdb") as con, RunLoader(con, run_id="r2", now=NOW) as loader:
        loader.add([page(NEWS, "https://news.cn/1.html")])
        con.execute(
            "INSERT INTO core.documents SELECT * REPLACE ('d2' AS doc_id) FROM core.documents"
        )  # written in the load's open transaction
        assert rows(con, "SELECT count(*) FROM core.documents") == [(2,)]
        reader = subprocess.run(
            [sys.executable, "-c", READ_DURING_LOAD], capture_output=True, text=True, cwd=REPO, timeout=60
        )
        assert reader.returncode == 0, reader.stderr
        assert reader.stdout.strip() == "1"  # the last committed snapshot: the open load is not seen
    # leaving the loader without finish() rolled the load back


def test_ducklake_analyst_attaches_the_lake_in_plain_duckdb_and_reads_the_views(lake_env: str, tmp_path: Path) -> None:
    """The analysts' block of docs/scaling.md, with this machine's extension files and this lake's DSN."""
    from tests.test_warehouse_load import load
    from warehouse.connection import open_writer

    with open_writer(tmp_path / "unused.duckdb") as con:
        load(con, page(PLAN, "https://a.gov.cn/plan.html"))
    doc = (REPO / "docs" / "scaling.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```sql\n(.*?)```", doc, re.S) if "ATTACH 'ducklake:" in b)
    ducklake_file = lake._wheel_file("duckdb_extension_ducklake", "ducklake.duckdb_extension")
    block = re.sub(r"LOAD '[^']*ducklake\.duckdb_extension'", f"LOAD '{ducklake_file}'", block)
    block = re.sub(r"LOAD '[^']*postgres_scanner\.duckdb_extension'", f"LOAD '{lake._postgres_extension()}'", block)
    block = re.sub(r"'ducklake:postgres:[^']*'", f"'{lake_env}'", block)
    *setup, question = [s for s in block.split(";") if s.strip()]
    with duckdb.connect() as analyst:
        for statement in setup:
            analyst.execute(statement)
        assert analyst.execute(question).fetchall() == [("“十四五”生物医药产业发展规划", "生物医药")]
        with pytest.raises(duckdb.Error, match=r"attached in read-only mode"):
            analyst.execute("DELETE FROM pw.core.documents")
