"""The read path, exports and bad input: a read copy usable during a load, Parquet exports, one-line refusals."""

from __future__ import annotations

import errno
import re
import shutil
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from parsers.errors import LoadError, WarehouseBusyError, WarehouseHeldError
from tests.warehouse_corpus import REPO, corpus_copy
from warehouse.connection import open_reader, open_writer, writer_lock
from warehouse.export import export_parquet
from warehouse.search import search
from warehouse.snapshot import open_for_reading, publish_read_copy, read_copy_path

HOLD = textwrap.dedent("""
    import sys, duckdb
    con = duckdb.connect(sys.argv[1])
    con.execute("BEGIN TRANSACTION")
    con.execute("DELETE FROM core.document_terms")  # a load in progress: uncommitted
    print("holding", flush=True)
    sys.stdin.read()
""")


@contextmanager
def writer_in_another_process(db: Path) -> Iterator[None]:
    """Another process holding the warehouse open for writing, mid-transaction, until the block ends."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
        yield
    finally:
        proc.communicate("", timeout=30)


def snapshot(path: Path) -> bytes:
    return path.read_bytes()


def one_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def test_publish_read_copy_is_a_full_readable_copy(tmp_path: Path) -> None:
    db = corpus_copy(tmp_path)
    copy = publish_read_copy(db)
    assert copy == tmp_path / "warehouse.read.duckdb"
    with open_reader(copy) as con:
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 15
    assert not list(tmp_path.glob(".*.tmp"))


def test_publish_read_copy_with_the_writers_open_connection(tmp_path: Path) -> None:
    db = corpus_copy(tmp_path)
    with open_writer(db) as con:
        con.execute("DELETE FROM core.runs WHERE run_id = 'run-1'")
        publish_read_copy(db, con=con)
    with open_reader(read_copy_path(db)) as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone() == (1,)


def test_read_copy_answers_while_another_process_writes(tmp_path: Path) -> None:
    db = corpus_copy(tmp_path)
    publish_read_copy(db)
    with writer_in_another_process(db):
        with pytest.raises(WarehouseBusyError, match="in use by another process"), open_reader(db):
            pass
        with open_for_reading(db) as (con, used):
            assert used == read_copy_path(db)
            assert search(con, "合成生物")[0].title == "广东省科学技术厅关于支持合成生物产业创新发展的若干措施"
        result = CliRunner().invoke(app, ["search", "合成生物", "--db", str(db)], env={"COLUMNS": "200"})
        assert result.exit_code == 0 and "warehouse.read.duckdb" in result.output


def test_cli_search_while_a_run_writes_and_no_read_copy_says_so_in_one_line(tmp_path: Path) -> None:
    db = corpus_copy(tmp_path)
    with writer_in_another_process(db):
        result = CliRunner().invoke(app, ["search", "合成生物", "--db", str(db)], env={"COLUMNS": "300"})
    assert result.exit_code == 1
    assert "in use by another process" in one_line(result)


def test_publish_read_copy_on_a_full_disk_keeps_the_previous_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = corpus_copy(tmp_path)
    previous = snapshot(publish_read_copy(db))

    def full(src: Path, dst: Path) -> None:
        Path(dst).write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", full)
    with pytest.raises(LoadError, match=r"the disk is full \(the previous copy is unchanged\)"):
        publish_read_copy(db)
    assert snapshot(read_copy_path(db)) == previous
    assert not list(tmp_path.glob(".*.tmp"))


def test_export_parquet_reads_back_with_the_right_row_counts(tmp_path: Path) -> None:
    db, out = corpus_copy(tmp_path), tmp_path / "export"
    with open_reader(db) as con:
        exported = export_parquet(con, out)
        counts = {v: con.execute(f"SELECT count(*) FROM {v}").fetchone()[0] for v in (e.view for e in exported)}
    assert {"documents", "weekly_topic_counts", "document_topics", "runs"} <= set(counts)
    check = duckdb.connect()
    for item in exported:
        pattern = f"{item.path}/*/*.parquet" if item.partitioned_by else str(item.path)
        if item.rows == 0 and item.partitioned_by:
            continue
        read = check.execute("SELECT count(*) FROM read_parquet(?, hive_partitioning = true)", [pattern]).fetchone()
        assert read[0] == counts[item.view] == item.rows, item.view
    weeks = sorted(p.name for p in (out / "documents").iterdir())
    assert weeks and all(w.startswith("week=") for w in weeks) and len(weeks) == 2


def test_export_again_replaces_the_previous_export(tmp_path: Path) -> None:
    db, out = corpus_copy(tmp_path), tmp_path / "export"
    with open_reader(db) as con:
        export_parquet(con, out)
        (out / "documents" / "week=1999-W01").mkdir()
        export_parquet(con, out)
    assert not (out / "documents" / "week=1999-W01").exists()


def test_cli_export_writes_every_view(tmp_path: Path) -> None:
    db = corpus_copy(tmp_path)
    result = CliRunner().invoke(
        app, ["export", "--format", "parquet", str(tmp_path / "out"), "--db", str(db)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "runs.parquet").exists()
    assert CliRunner().invoke(app, ["export", "--format", "csv", str(tmp_path / "o2"), "--db", str(db)]).exit_code == 2


@pytest.mark.parametrize("command", [["search", "合成生物"], ["export", "OUT"]])
def test_cli_refuses_a_file_that_is_not_duckdb_in_one_line(tmp_path: Path, command: list[str]) -> None:
    db = tmp_path / "warehouse.duckdb"
    db.write_text("my notes\n" * 100)
    args = [str(tmp_path / "out") if a == "OUT" else a for a in command]
    result = CliRunner().invoke(app, [*args, "--db", str(db)], env={"COLUMNS": "300"})
    assert result.exit_code == 1
    assert "is not a DuckDB warehouse" in one_line(result)
    assert db.read_text() == "my notes\n" * 100


def test_open_writer_on_a_read_only_filesystem_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tests run as root, whom chmod 444 does not stop: simulate what DuckDB says on a read-only mount.
    db = corpus_copy(tmp_path)
    before = snapshot(db)

    def read_only_fs(*args: object, **kwargs: object) -> None:
        raise duckdb.IOException(f'IO Error: Cannot open file "{db}": Read-only file system\nmore detail')

    monkeypatch.setattr(duckdb, "connect", read_only_fs)
    with pytest.raises(LoadError) as caught, open_writer(db):
        pass
    assert str(caught.value) == f'cannot open {db}: IO Error: Cannot open file "{db}": Read-only file system'
    assert snapshot(db) == before


def test_a_read_only_connection_cannot_write(tmp_path: Path) -> None:
    db = corpus_copy(tmp_path)
    before = snapshot(db)
    with open_reader(db) as con, pytest.raises(duckdb.Error, match="read-only"):
        con.execute("DELETE FROM core.documents")
    assert snapshot(db) == before


def test_load_on_a_full_disk_rolls_back_everything(tmp_path: Path) -> None:
    from datetime import datetime

    from parsers.run import SourceAttempt
    from tests.warehouse_corpus import vaccine_page
    from warehouse.load import load_run

    db = corpus_copy(tmp_path)

    class FullDisk:
        """A connection whose COMMIT fails as DuckDB's does when the disk is full."""

        def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
            self.con = con

        def execute(self, statement: str, *args: object) -> object:
            if statement.strip().upper() == "COMMIT":
                raise duckdb.IOException("IO Error: Could not write file: No space left on device")
            return self.con.execute(statement, *args)

        def __getattr__(self, name: str) -> object:
            return getattr(self.con, name)

    with open_writer(db) as con:
        before = con.execute("SELECT (SELECT count(*) FROM pages), (SELECT count(*) FROM document_versions)").fetchone()
        page = vaccine_page(datetime(2026, 12, 1), amended=False)
        with pytest.raises(LoadError, match="rolled back: IO Error: Could not write file: No space left"):
            load_run(
                FullDisk(con),
                run_id="r-full",
                pages=[page],  # type: ignore[arg-type]
                attempts=[SourceAttempt(source_name="sh-wsjkw", kind="files", ok=True)],
                now=datetime(2026, 12, 1),
            )
        after = con.execute("SELECT (SELECT count(*) FROM pages), (SELECT count(*) FROM document_versions)").fetchone()
    assert after == before


LOCK = textwrap.dedent("""
    import sys
    from pathlib import Path
    from warehouse.connection import writer_lock
    with writer_lock(Path(sys.argv[1])):
        print("locked", flush=True)
        sys.stdin.read()
""")


def test_second_writer_exits_at_once_with_one_line(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    proc = subprocess.Popen(
        [sys.executable, "-c", LOCK, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        with pytest.raises(WarehouseBusyError, match="another PolicyWatch run is writing") as caught, writer_lock(db):
            pass
    finally:
        proc.communicate("", timeout=30)
    assert "\n" not in str(caught.value)


def test_writer_lock_nests_within_one_process(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    with writer_lock(db), writer_lock(db):  # the command's lock, then its flow's
        pass
    with writer_lock(db):  # released by the outer block: free again
        pass


def test_a_writer_waits_for_a_held_file_then_names_its_holder(tmp_path: Path) -> None:
    db = corpus_copy(tmp_path)
    with writer_in_another_process(db), pytest.raises(WarehouseHeldError) as caught, open_writer(db, wait_seconds=1):
        pass
    message = str(caught.value)
    assert "\n" not in message and re.search(r"\(python[\d.]*, PID \d+\), still after waiting 1 s", message)


def test_a_writer_gets_the_file_once_its_holder_lets_go(tmp_path: Path) -> None:
    db = corpus_copy(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
    threading.Timer(1.0, lambda: proc.communicate("", timeout=30)).start()
    with open_writer(db, wait_seconds=60) as con:
        assert con.execute("SELECT count(*) FROM documents").fetchone() == (15,)


def test_second_process_opening_for_write_is_refused_in_one_line(tmp_path: Path) -> None:
    db = corpus_copy(tmp_path)
    with writer_in_another_process(db), pytest.raises(WarehouseBusyError) as caught, open_writer(db):
        pass
    assert "\n" not in str(caught.value) and "in use by another process" in str(caught.value)
