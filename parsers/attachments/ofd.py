"""OFD (GB/T 33190, China's fixed-layout format): a zip of XML, its text placed glyph by glyph.

OFD.xml → DocBody/DocRoot (Document.xml) → Pages/Page@BaseLoc (each page's Content.xml) → TextObject
(Boundary: its origin on the page) → TextCode (X, Y: its baseline from that origin). Text codes are
grouped into lines by their baseline, ordered by X, and the lines rejoined like a PDF's.
"""

from __future__ import annotations

from dataclasses import dataclass
from posixpath import dirname, join, normpath
from typing import TYPE_CHECKING

from parsers.attachments.limits import DEFAULT_LIMITS, Limits, Zip
from parsers.attachments.xmlparts import TextBudget, free, local, parent_is, parse, walk
from parsers.errors import AttachmentError, AttachmentTooLargeError
from parsers.pdftext import layout_text

if TYPE_CHECKING:
    from lxml import etree

ENTRY = "OFD.xml"
_DEFAULT_SIZE = 3.5  # mm: a text object without a size is set like 五号 body text
_SAME_LINE = 0.5  # baselines closer than this share of the font size are one line
_GAP = 1.0  # a gap wider than this many font sizes between two codes of a line is a space


@dataclass(frozen=True, slots=True)
class _Code:
    y: float
    x: float
    size: float
    text: str


def _numbers(value: str | None) -> list[float]:
    try:
        return [float(part) for part in (value or "").split()]
    except ValueError:
        return []


def _resolve(base: str, location: str) -> str:
    """A location in the package: absolute from its root, or relative to the file naming it."""
    location = location.strip().replace("\\", "/")
    return location.lstrip("/") if location.startswith("/") else normpath(join(dirname(base), location))


def _document_path(archive: Zip) -> str:
    for element in parse(archive, ENTRY).iter():
        if local(element.tag) == "DocRoot" and (element.text or "").strip():
            return _resolve(ENTRY, element.text or "")
    raise AttachmentError("OFD without a DocRoot in OFD.xml")


def _page_paths(archive: Zip, document: str) -> list[str]:
    return [
        _resolve(document, str(page.get("BaseLoc")))
        for page in parse(archive, document).iter()
        if local(page.tag) == "Page" and page.get("BaseLoc") and parent_is(page, "Pages")
    ]


def _codes(text_object: etree._Element) -> list[_Code]:
    box = _numbers(text_object.get("Boundary")) or [0.0, 0.0]
    size = (_numbers(text_object.get("Size")) or [_DEFAULT_SIZE])[0]
    codes, x, y = [], 0.0, 0.0
    for code in text_object:
        if local(code.tag) != "TextCode":
            continue
        x = (_numbers(code.get("X")) or [x])[0]  # a missing X or Y goes on from the code before
        y = (_numbers(code.get("Y")) or [y])[0]
        codes.append(_Code(box[1] + y, box[0] + x, size, code.text or ""))
    return codes


def _lines(codes: list[_Code]) -> list[str]:
    """Codes grouped by baseline (top to bottom), each line's codes left to right."""
    lines: list[list[_Code]] = []
    for code in sorted(codes, key=lambda c: (c.y, c.x)):
        if lines and abs(code.y - lines[-1][0].y) < code.size * _SAME_LINE:
            lines[-1].append(code)
        else:
            lines.append([code])
    return [_join(sorted(line, key=lambda c: c.x)) for line in lines]


def _join(codes: list[_Code]) -> str:
    parts, end = [], None
    for code in codes:
        if end is not None and code.x - end > code.size * _GAP:
            parts.append(" ")
        parts.append(code.text)
        end = code.x + code.size * len(code.text)
    return "".join(parts).strip()


def _page_lines(archive: Zip, path: str, budget: TextBudget) -> list[str]:
    codes: list[_Code] = []
    for _, element in walk(archive, path, events=("end",)):
        if local(element.tag) == "TextObject":
            found = _codes(element)
            budget.add("".join(code.text for code in found))
            codes.extend(found)
            free(element)
    return _lines(codes)


def ofd_pages(data: bytes, limits: Limits = DEFAULT_LIMITS) -> tuple[str, int]:
    """The text of an OFD's first document as paragraphs, and its page count."""
    archive = Zip(data, limits)
    if not archive.has(ENTRY):
        raise AttachmentError("zip without OFD.xml: not an OFD")
    paths = _page_paths(archive, _document_path(archive))
    if len(paths) > limits.pages:
        raise AttachmentTooLargeError(f"OFD of {len(paths)} pages, over {limits.pages}")
    budget = TextBudget(limits.text_chars)
    pages = [_page_lines(archive, path, budget) for path in paths if archive.has(path)]
    return layout_text(pages), len(paths)
