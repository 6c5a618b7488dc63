"""Reading the rich tables a command prints (to a terminal wide enough not to wrap them)."""

from __future__ import annotations


def table_rows(output: str) -> list[list[str]]:
    """The cells of every body row of every table in the output."""
    return [[cell.strip() for cell in line.split("│")[1:-1]] for line in output.splitlines() if line.startswith("│")]


def row(output: str, first: str) -> list[str]:
    """The cells after the first of the one row whose first cell is `first`."""
    found = [cells[1:] for cells in table_rows(output) if cells and cells[0] == first]
    assert len(found) == 1, f"{len(found)} rows named {first!r} in:\n{output}"
    return found[0]


def number(cell: str) -> float:
    """A figure as printed: 3,420 or 0.987."""
    return float(cell.replace(",", ""))
