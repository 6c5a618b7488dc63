"""`policywatch reparse` over the raw archive, and `policywatch sources list / check`."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import copy_seeds
from tests.fixture_site import serve
from tests.test_ingest_web import build_site, finish_routes, registry

runner = CliRunner()


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.mark.usefixtures("prefect_server")
def test_reparse_recovers_a_page_the_parser_failed_on(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows import ingest, parse_pool
    from flows.reparse import reparse_archive

    sources, db = copy_seeds(tmp_path / "seeds"), tmp_path / "w.duckdb"
    real = parse_pool.parse_document

    def buggy(data: bytes, options: object) -> object:
        if "003_" in str(getattr(options, "url", "")):
            raise RuntimeError("parser bug")
        return real(data, options)  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(parse_pool, "parse_document", buggy)
        ingest.nightly_ingest(str(sources), str(db))
    assert query(db, "SELECT count(*) FROM documents") == [(4,)]
    assert query(db, "SELECT count(*) FROM pages WHERE outcome = 'failed' AND raw_sha256 IS NOT NULL") == [(1,)]
    result = reparse_archive(str(sources), str(db))
    assert result.recovered_new == 1
    assert result.report.updated + result.report.unchanged == 4
    assert query(db, "SELECT count(*) FROM documents") == [(5,)]
    assert query(db, "SELECT status FROM runs WHERE flow = 'reparse'") == [("success",)]


def test_sources_list_shows_the_registry(tmp_path: Path) -> None:
    sources = copy_seeds(tmp_path / "seeds")
    result = runner.invoke(app, ["sources", "list", "--sources", str(sources)])
    assert result.exit_code == 0
    assert "seeds" in result.output


def test_sources_check_probes_each_source(tmp_path: Path) -> None:
    with serve(build_site()) as site:
        finish_routes(site)
        result = runner.invoke(app, ["sources", "check", "--sources", str(registry(tmp_path, site))],
                               env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for name in ("gbk-list", "feed", "sitemap", "api"):
        assert name in result.output
    assert "failed" not in result.output
