"""Spreadsheets as plain cell text: a line per row, cells tab-separated, sheets in workbook order.

XLSX is read from its XML parts as a stream; XLS (BIFF8 in OLE2) with xlrd, pure Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from posixpath import dirname, join, normpath
from typing import TYPE_CHECKING, Any

from parsers.attachments.limits import DEFAULT_LIMITS, Limits, Zip
from parsers.attachments.xmlparts import TextBudget, free, local, parent_is, parse, walk
from parsers.errors import AttachmentEncryptedError, AttachmentError

if TYPE_CHECKING:
    from lxml import etree

WORKBOOK = "xl/workbook.xml"
SHARED_STRINGS = "xl/sharedStrings.xml"
_COLUMN = re.compile(r"[A-Z]+")
# A cell far to the right of the last one is not worth thousands of empty tabs.
_MAX_GAP = 64
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_STRICT_REL_ID = "{http://purl.oclc.org/ooxml/officeDocument/relationships}id"


def _column(reference: str | None) -> int | None:
    """The 0-based column of a cell reference such as "AB12"."""
    match = _COLUMN.match(reference or "")
    if not match:
        return None
    number = 0
    for letter in match.group():
        number = number * 26 + ord(letter) - 64
    return number - 1


def _rich_text(element: etree._Element) -> str:
    """The text of a shared or inline string: its t elements, phonetic runs (rPh) left out."""
    return "".join(t.text or "" for t in element.iter() if local(t.tag) == "t" and not parent_is(t, "rPh"))


def _shared_strings(archive: Zip) -> list[str]:
    if not archive.has(SHARED_STRINGS):
        return []
    strings = []
    for _, element in walk(archive, SHARED_STRINGS, events=("end",)):
        if local(element.tag) == "si":
            strings.append(_rich_text(element))
            free(element)
    return strings


def _sheet_parts(archive: Zip) -> list[str]:
    """The worksheet parts in the workbook's order, through its relationships."""
    rels_name = "xl/_rels/workbook.xml.rels"
    targets = (
        {rel.get("Id"): str(rel.get("Target")) for rel in parse(archive, rels_name)} if archive.has(rels_name) else {}
    )
    parts = []
    for sheet in parse(archive, WORKBOOK).iter():
        target = targets.get(sheet.get(_REL_ID) or sheet.get(_STRICT_REL_ID)) if local(sheet.tag) == "sheet" else None
        if target:
            parts.append(target.lstrip("/") if target.startswith("/") else normpath(join(dirname(WORKBOOK), target)))
    return [part for part in parts if archive.has(part)]


def _cell_text(cell: etree._Element, shared: list[str]) -> str:
    kind = cell.get("t")
    if kind == "inlineStr":
        return _rich_text(cell)
    value = next((child.text or "" for child in cell if local(child.tag) == "v"), "")
    if kind == "s":
        index = int(value) if value.isdigit() else -1
        return shared[index] if 0 <= index < len(shared) else ""
    return value


def _row_line(cells: Iterable[tuple[int | None, str]]) -> str:
    placed: list[str] = []
    for column, text in cells:
        if column is not None and column > len(placed):
            placed.extend([""] * min(column - len(placed), _MAX_GAP))
        placed.append(text.replace("\n", " ").replace("\t", " "))
    return "\t".join(placed).rstrip()


def xlsx_text(data: bytes, limits: Limits = DEFAULT_LIMITS) -> str:
    """The cell text of an XLSX: a line per row, cells tab-separated, sheets in order, a blank line between."""
    archive = Zip(data, limits)
    shared, budget, sheets = _shared_strings(archive), TextBudget(limits.text_chars), []
    for part in _sheet_parts(archive):
        lines = []
        for _, element in walk(archive, part, events=("end",)):
            if local(element.tag) == "row":
                cells = [(_column(c.get("r")), _cell_text(c, shared)) for c in element if local(c.tag) == "c"]
                line = budget.add(_row_line(cells))
                lines.extend([line] if line.strip() else [])
                free(element)
        sheets.append("\n".join(lines))
    return "\n\n".join(sheet for sheet in sheets if sheet)


def _xls_value(cell: Any) -> str:
    value = cell.value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # xlrd reads every number as a float: 3.0 was typed 3
    return "" if value is None else str(value)


def xls_text(data: bytes, limits: Limits = DEFAULT_LIMITS) -> str:
    """The cell text of an Excel 97-2003 workbook, as `xlsx_text` lays it out."""
    import xlrd  # imported here: only .xls files need it

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True, logfile=_Silent())
    except xlrd.XLRDError as exc:
        if "encrypted" in str(exc).lower():
            raise AttachmentEncryptedError("Excel workbook encrypted with a password") from exc
        raise AttachmentError(f"unreadable Excel workbook: {exc}") from exc
    budget, sheets = TextBudget(limits.text_chars), []
    with book:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            rows = (budget.add(_row_line((None, _xls_value(c)) for c in sheet.row(r))) for r in range(sheet.nrows))
            sheets.append("\n".join(line for line in rows if line.strip()))
            book.unload_sheet(index)
    return "\n\n".join(sheet for sheet in sheets if sheet)


class _Silent:
    """A log file for xlrd, which otherwise prints its warnings to stdout."""

    def write(self, _text: str) -> int:
        return 0
