"""docs/warehouse.md runs: every ```sql block of the cookbook executes against a warehouse built from fixtures."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from tests.warehouse_corpus import REPO, corpus_file
from warehouse.connection import open_reader

DOC = REPO / "docs" / "warehouse.md"
_BLOCK = re.compile(r"^```sql\n(.*?)^```", re.MULTILINE | re.DOTALL)
_HEADING = re.compile(r"^### (\d+)\. (.+)$", re.MULTILINE)
# The questions of issue 7: each must find something in the fixture warehouse, not merely run.
MUST_FIND = set(range(1, 15))


def sql_blocks() -> list[tuple[str, str]]:
    """(label, sql) of every ```sql block: the cookbook's numbered questions and the other examples."""
    text = DOC.read_text(encoding="utf-8")
    blocks = []
    for match in _BLOCK.finditer(text):
        headings = _HEADING.findall(text[: match.start()])
        label = f"{headings[-1][0]}. {headings[-1][1]}" if headings else f"intro@{match.start()}"
        blocks.append((label, match.group(1)))
    return blocks


@pytest.fixture(scope="module")
def reader() -> duckdb.DuckDBPyConnection:
    with open_reader(corpus_file()) as con:
        yield con


def test_docs_cookbook_has_at_least_ten_questions() -> None:
    assert len(_HEADING.findall(DOC.read_text(encoding="utf-8"))) >= 10


@pytest.mark.parametrize(("label", "query"), sql_blocks(), ids=[label for label, _ in sql_blocks()])
def test_docs_sql_block_runs(reader: duckdb.DuckDBPyConnection, label: str, query: str) -> None:
    rows = reader.execute(query).fetchall()
    number = int(label.split(".")[0]) if label[0].isdigit() else None
    if number in MUST_FIND:
        assert rows, f"cookbook question {label} found nothing in the fixture warehouse"


def test_docs_cookbook_citing_question_finds_the_provincial_notices(reader: duckdb.DuckDBPyConnection) -> None:
    query = dict(sql_blocks())["6. Documents citing the 十四五生物经济发展规划"]
    titles = {row[1] for row in reader.execute(query).fetchall()}
    assert "广东省科学技术厅关于支持合成生物产业创新发展的若干措施" in titles


def test_docs_cookbook_provinces_question_names_guangdong_and_jiangsu(reader: duckdb.DuckDBPyConnection) -> None:
    query = dict(sql_blocks())["2. Which provinces published on 合成生物 this quarter"]
    assert {"广东", "江苏"} <= {row[0] for row in reader.execute(query).fetchall()}


def test_docs_cookbook_this_year_question_counts_this_years_documents_only(reader: duckdb.DuckDBPyConnection) -> None:
    query = dict(sql_blocks())["10. Most active issuers this year"]
    rows = reader.execute(query).fetchall()
    this_year = reader.execute("SELECT year(now() AT TIME ZONE 'Asia/Shanghai')").fetchone()[0]
    expected, older = reader.execute(
        "SELECT count(*) FILTER (WHERE year(d.published_on) = ?), count(*) FILTER (WHERE year(d.published_on) < ?) "
        "FROM document_issuers i JOIN documents d USING (doc_id)",
        [this_year, this_year],
    ).fetchone()
    assert older > 0  # the corpus holds earlier years' documents: the filter has something to leave out
    assert sum(r[1] for r in rows) == expected
    assert all(r[2].year == this_year for r in rows)


def test_docs_every_core_column_is_described(tmp_path: Path) -> None:
    from warehouse.migrate import migrate

    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        migrate(con, upto=6)  # tables of later migrations describe themselves
        missing = con.execute(
            "SELECT table_name || '.' || column_name FROM duckdb_columns() "
            "WHERE schema_name = 'core' AND comment IS NULL"
        ).fetchall()
        tables = con.execute("SELECT table_name FROM duckdb_tables() WHERE comment IS NULL").fetchall()
        views = con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main' AND comment IS NULL"
        ).fetchall()
    assert (missing, tables, views) == ([], [], [])


def test_docs_cookbook_region_question_puts_guangdongs_own_documents_before_mentions(
    reader: duckdb.DuckDBPyConnection,
) -> None:
    query = dict(sql_blocks())["17. Everything about 广东: its own documents, then national ones that mention it"]
    rows = reader.execute(query).fetchall()
    roles = [role for role, *_ in rows]
    own = {title for role, _, _, title in rows if role == "issued by or aimed at"}
    mentioning = {(level, title) for role, level, _, title in rows if role == "mentioned"}
    assert roles == sorted(roles, key=lambda role: role == "mentioned") and roles[-1] == "mentioned"
    assert "广东省科学技术厅关于支持合成生物产业创新发展的若干措施" in own
    assert ("central", "国家发展改革委办公厅关于组织实施生物经济先导区建设的通知") in mentioning
