"""The nightly-ingest flow end to end: real Prefect (test server), real files, real DuckDB file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.conftest import copy_seeds

pytestmark = pytest.mark.usefixtures("prefect_server")

SEED_COUNT = 5


def run_ingest(sources: Path, db: Path):
    from flows.ingest import nightly_ingest

    return nightly_ingest(str(sources), str(db))


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture
def seeded(tmp_path: Path, home: Path) -> tuple[Path, Path]:
    sources = copy_seeds(tmp_path / "seeds")
    db = tmp_path / "warehouse.duckdb"
    run_ingest(sources, db)
    return sources, db


def test_ingest_loads_each_seed_as_its_own_document(seeded: tuple[Path, Path]) -> None:
    _, db = seeded
    rows = query(db, "SELECT title, text, relevant FROM documents")
    assert len(rows) == SEED_COUNT
    assert all(title for title, _, _ in rows)
    assert all(relevant for _, _, relevant in rows)


def test_ingest_gives_every_seed_a_topic(seeded: tuple[Path, Path]) -> None:
    _, db = seeded
    counts = query(
        db,
        "SELECT d.doc_id, count(t.topic) FROM documents d LEFT JOIN document_topics t USING (doc_id) GROUP BY d.doc_id",
    )
    assert len(counts) == SEED_COUNT
    assert all(n >= 1 for _, n in counts)


@pytest.mark.parametrize("fragment", ["發", "(fā)", "—2—", "当前位置", "网站首页", "免责声明", "原文链接", "版权声明"])
def test_ingest_text_is_clean(seeded: tuple[Path, Path], fragment: str) -> None:
    _, db = seeded
    assert query(db, f"SELECT count(*) FROM documents WHERE contains(text, '{fragment}')") == [(0,)]


def test_ingest_second_run_adds_nothing(seeded: tuple[Path, Path]) -> None:
    sources, db = seeded
    before = query(
        db,
        "SELECT count(*) FROM documents UNION ALL SELECT count(*) FROM document_sightings "
        "UNION ALL SELECT count(*) FROM document_topics UNION ALL SELECT count(*) FROM pages",
    )
    result = run_ingest(sources, db)
    after = query(
        db,
        "SELECT count(*) FROM documents UNION ALL SELECT count(*) FROM document_sightings "
        "UNION ALL SELECT count(*) FROM document_topics UNION ALL SELECT count(*) FROM pages",
    )
    assert after == before
    assert result.unchanged["seeds"] == SEED_COUNT
    assert query(db, "SELECT status, count(*) FROM runs GROUP BY status") == [("success", 2)]


def test_ingest_records_source_health(seeded: tuple[Path, Path]) -> None:
    _, db = seeded
    rows = query(db, "SELECT source_name, consecutive_failures, last_success_at IS NOT NULL FROM source_health")
    assert rows == [("seeds", 0, True)]


def test_ingest_links_news_report_to_the_plan_it_cites(seeded: tuple[Path, Path]) -> None:
    _, db = seeded
    rows = query(
        db,
        "SELECT f.title, t.title FROM document_links l JOIN documents f ON f.doc_id = l.from_doc_id "
        "JOIN documents t ON t.doc_id = l.to_doc_id WHERE l.relation = 'cites'",
    )
    assert any("十四五" in to and "生物经济发展规划" in to for _, to in rows)


def test_ingest_reports_bad_files_and_keeps_the_rest(tmp_path: Path, home: Path) -> None:
    sources = copy_seeds(tmp_path / "seeds")
    folder = sources.parent
    (folder / "zz_binary.txt").write_bytes(bytes(range(256)) * 40)
    (folder / "zz_empty.txt").write_bytes(b"")
    (folder / "zz_gbk.txt").write_bytes(
        "关于支持生物医药产业发展的若干措施\n发布时间:2024-05-06\n为加快创新药和医疗器械产业发展，支持疫苗研发。".encode(
            "gbk"
        )
    )
    (folder / "zz_unreadable.txt").symlink_to(folder / "does-not-exist.txt")
    db = tmp_path / "warehouse.duckdb"
    result = run_ingest(sources, db)
    failed = {Path(url).name: error for _, url, error in result.report.errors}
    assert set(failed) == {"zz_binary.txt", "zz_empty.txt", "zz_unreadable.txt"}
    assert all(failed.values())
    titles = [t for (t,) in query(db, "SELECT title FROM documents")]
    assert len(titles) == SEED_COUNT + 1
    assert "关于支持生物医药产业发展的若干措施" in titles
    outcomes = query(db, "SELECT outcome, count(*) FROM pages GROUP BY outcome ORDER BY outcome")
    assert outcomes == [("failed", 3), ("new", SEED_COUNT + 1)]


def test_ingest_failed_load_leaves_warehouse_unchanged(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warehouse import load

    sources = copy_seeds(tmp_path / "seeds")
    db = tmp_path / "warehouse.duckdb"

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated crash in the middle of the load")

    with monkeypatch.context() as patch, pytest.raises(Exception, match="simulated crash"):
        patch.setattr(load, "_record_health", broken)
        run_ingest(sources, db)
    assert query(db, "SELECT count(*) FROM documents UNION ALL SELECT count(*) FROM pages") == [(0,), (0,)]
    assert query(db, "SELECT status FROM runs") == [("failed",)]
    run_ingest(sources, db)
    assert query(db, "SELECT count(*) FROM documents") == [(SEED_COUNT,)]


def test_weekly_digest_writes_the_week_of_the_seeds(seeded: tuple[Path, Path], tmp_path: Path) -> None:
    from flows.digest import weekly_digest
    from warehouse.weeks import current_week_now

    _, db = seeded
    files = weekly_digest(current_week_now(), str(tmp_path / "outbox"), str(db))
    assert files.documents == SEED_COUNT
    html, text = files.html.read_text(encoding="utf-8"), files.text.read_text(encoding="utf-8")
    for title in ("关于印发广东省培育未来生命健康产业集群行动计划的通知", "京津冀生物医药产业如何发展"):
        assert title in html
        assert title in text
    assert query(db, "SELECT flow, status FROM runs WHERE flow = 'weekly-digest'") == [("weekly-digest", "success")]


def test_readme_sql_example_runs_on_the_seeds(seeded: tuple[Path, Path]) -> None:
    import re

    from tests.conftest import REPO

    _, db = seeded
    blocks = re.findall(r"```sql\n(.*?)```", (REPO / "README.md").read_text(encoding="utf-8"), re.S)
    assert blocks, "README.md shows no SQL"
    for block in blocks:
        rows = query(db, block)
        assert len(rows) == SEED_COUNT
