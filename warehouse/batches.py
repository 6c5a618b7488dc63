"""Python rows into DuckDB through Arrow: one registered batch, one statement."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import Any, TypeVar

import duckdb
import pyarrow as pa

from warehouse import sql

BATCH_NAME = "_pw_batch"  # the name the statements in warehouse.sql read the batch by
KEYS_NAME = "_pw_keys"  # one column `v`: the values a statement looks up (`IN (SELECT v FROM _pw_keys)`)

# Process-wide: pyarrow's default pool (mimalloc) kept the freed buffers of a load's batches, ~100 MB
# more RSS after 10 000 documents than the system allocator, which hands them back.
pa.set_memory_pool(pa.system_memory_pool())


@contextmanager
def registered(
    con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]], types: dict[str, Any]
) -> Iterator[list[str]]:
    """Register rows as the Arrow table `_pw_batch` for the duration; yields its column names."""
    columns = list(rows[0])
    with registered_table(con, BATCH_NAME, _arrow(rows, columns, types)):
        yield columns


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]], types: dict[str, Any]) -> None:
    """Bulk insert through Arrow: one statement per table, columns matched by name."""
    if not rows:
        return
    insert_table(con, table, _arrow(rows, list(rows[0]), types))


def _arrow(rows: list[dict[str, Any]], columns: list[str], types: dict[str, Any]) -> pa.Table:
    return pa.Table.from_arrays([pa.array([r[c] for r in rows], type=types.get(c)) for c in columns], names=columns)


def execute_with_batch(
    con: duckdb.DuckDBPyConnection, statement: str, rows: list[dict[str, Any]], types: dict[str, Any]
) -> None:
    """Run a statement that reads `_pw_batch` (an UPDATE … FROM, an upsert) over the rows."""
    if not rows:
        return
    with registered(con, rows, types):
        con.execute(statement)


def insert_table(con: duckdb.DuckDBPyConnection, table: str, batch: pa.Table) -> None:
    """Bulk insert of a prepared Arrow table, columns matched by name (absent ones NULL).

    Through a relation, not a registered table: DuckDB keeps every Python object a statement read
    until the transaction ends, so a run's registered batches (its whole text, twice) stayed in
    memory until COMMIT; a relation's Arrow data is released once inserted.
    """
    schema, name = table.split(".")[-2:]  # a temporary table is named temp.main.<name>
    columns = con.execute(sql.TABLE_COLUMNS, [schema, name]).fetchall()
    unknown = set(batch.column_names) - {c for c, _ in columns}
    if unknown:
        raise ValueError(f"{table} has no column {', '.join(sorted(unknown))}")
    present = set(batch.column_names)
    projection = ", ".join(
        sql.quote_ident(c) if c in present else f"NULL::{type_} AS {sql.quote_ident(c)}" for c, type_ in columns
    )
    con.from_arrow(batch).project(projection).insert_into(table)


@contextmanager
def keys(con: duckdb.DuckDBPyConnection, values: Collection[Any], type: pa.DataType) -> Iterator[None]:
    """Register values as the one-column table `_pw_keys(v)` for the duration.

    Used instead of binding a Python list as a parameter: DuckDB's binding converts such a list element
    by element (and probes for pandas on each one), seconds for a run's LSH buckets.
    """
    with registered_table(con, KEYS_NAME, pa.table({"v": pa.array(values, type=type)})):
        yield


@contextmanager
def registered_table(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> Iterator[None]:
    """Register an Arrow table under a name for the duration of a block (for statements that read it)."""
    con.register(name, table)
    try:
        yield
    finally:
        con.unregister(name)


T = TypeVar("T")


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Items in lists of `size` (the last one shorter), read lazily: batches of a stream too long to hold."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
