"""PDF files: the text layer of each page, without running headers and page numbers, lines rejoined."""

from __future__ import annotations

import re
from collections import Counter
from io import BytesIO
from typing import TYPE_CHECKING

from parsers.errors import AttachmentEncryptedError, AttachmentError, AttachmentTooLargeError

if TYPE_CHECKING:
    from pypdf import PdfReader

# Page numbers printed alone on a line: —2—, - 3 -, 4, 第5页, 第5页 共9页, 5/9.
_PAGE_NUMBER = re.compile(r"[—－–-]?\s*\d{1,4}\s*[—－–-]?|第\s*\d+\s*页(\s*[,，]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+")
# A line ending a paragraph: PDF text breaks lines anywhere else.
_PARAGRAPH_END = re.compile(r"([。！？!?：:；;”」》）)]|(?<!\d)\.)$")
# A line opening a paragraph even when the previous one did not end it: headings and list items.
_PARAGRAPH_START = re.compile(
    r"^(第[一二三四五六七八九十百零〇\d]+[章节条]|[一二三四五六七八九十]{1,3}、|[(（][一二三四五六七八九十\d]{1,3}[)）]"
    r"|\d{1,2}[.．、](?!\d)|附件|抄送"
    # A 发文字号 or a date alone on its line: the header and the signature block of an official document.
    r"|[\u4e00-\u9fff]{1,15}[〔\[［(（]\d{4}[〕\]］)）]\d{1,5}号$|\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$)"
)
# A table of contents' entry: a heading, leader dots (or dashes) and its page number. It repeats the
# headings of the body, ahead of it.
_TOC_ENTRY = re.compile(r".*(?:\.{4,}|…{2,}|·{4,}|-{6,}|_{6,})\s*\d{1,4}")
_CJK_EDGE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
# Lines at the top or bottom of this share of pages are running headers or footers.
_RUNNING_SHARE = 0.5
_RUNNING_MIN_PAGES = 3
_EDGE_LINES = 2
_FULL_LINE_MIN_LINES = 5
_FULL_LINE_PERCENTILE = 0.8
_SHORT_LINE_SHARE = 0.75


# A file cut short (a broken download) lacks the end-of-file marker that closes every PDF.
_EOF_MARKER, _EOF_WINDOW = b"%%EOF", 8192


def _page_lines(reader: PdfReader) -> list[list[str]]:
    return [[line.strip() for line in (page.extract_text() or "").split("\n")] for page in reader.pages]


def _shape(line: str) -> str:
    """A line with its digits blurred, so that 第3页 and 第4页 compare equal."""
    return re.sub(r"\d+", "#", line)


def running_lines(pages: list[list[str]]) -> set[str]:
    """Shapes of lines repeated at the edges of at least half the pages: headers and footers."""
    if len(pages) < _RUNNING_MIN_PAGES:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        kept = [line for line in lines if line]
        counts.update({_shape(line) for line in kept[:_EDGE_LINES] + kept[-_EDGE_LINES:]})
    return {shape for shape, count in counts.items() if count >= len(pages) * _RUNNING_SHARE}


def _width(line: str) -> float:
    """Printed width in CJK character cells: Latin letters and digits take half a cell."""
    return sum(0.5 if ord(char) < 0x2E80 else 1.0 for char in line)


def full_width(lines: list[str]) -> float | None:
    """The width of a full line of the layout (a high percentile), None when too few lines tell."""
    widths = sorted(_width(line) for line in lines if line)
    if len(widths) < _FULL_LINE_MIN_LINES:
        return None
    return widths[int(len(widths) * _FULL_LINE_PERCENTILE)]


def rejoin(lines: list[str]) -> str:
    """Join lines broken by the page layout back into paragraphs, one per line."""
    paragraphs: list[str] = []
    full = full_width(lines)
    ended = True
    for line in lines:
        if paragraphs and not ended and not _PARAGRAPH_END.search(paragraphs[-1]) and not _PARAGRAPH_START.match(line):
            glue = "" if _CJK_EDGE.match(paragraphs[-1][-1]) or _CJK_EDGE.match(line[0]) else " "
            paragraphs[-1] += glue + line
        else:
            paragraphs.append(line)
        # A line stopping well short of the full width ends its paragraph (titles, signatures, last lines).
        ended = full is not None and _width(line) < full * _SHORT_LINE_SHARE
    return "\n".join(paragraphs)


def layout_text(pages: list[list[str]]) -> str:
    """The lines of laid-out pages as paragraphs: running headers, page numbers and contents entries out."""
    running = running_lines(pages)
    lines = [
        line
        for page in pages
        for line in page
        if line and _shape(line) not in running and not _PAGE_NUMBER.fullmatch(line) and not _TOC_ENTRY.fullmatch(line)
    ]
    return rejoin(lines)


def _open(data: bytes) -> PdfReader:
    """A reader of the file, unlocked when its password is the empty one; AttachmentError when it cannot be."""
    from pypdf import PdfReader  # imported here: ~20 MB that only a process reading a PDF needs
    from pypdf.errors import DependencyError

    if data.rfind(_EOF_MARKER, max(0, len(data) - _EOF_WINDOW)) < 0:
        raise AttachmentError("truncated PDF: no %%EOF marker at its end")
    reader = PdfReader(BytesIO(data))
    if reader.is_encrypted:
        try:
            unlocked = reader.decrypt("")  # most government PDFs are "encrypted" with an empty user password
        except (DependencyError, NotImplementedError) as exc:
            raise AttachmentEncryptedError(f"PDF encrypted in a way we cannot open: {exc}") from exc
        if not unlocked:
            raise AttachmentEncryptedError("PDF encrypted with a user password")
    return reader


def pdf_pages(data: bytes, *, max_pages: int = 3_000) -> tuple[str, int]:
    """The text of a PDF as paragraphs and its page count; AttachmentError (or pypdf's) on a bad file."""
    reader = _open(data)
    count = len(reader.pages)
    if count > max_pages:
        raise AttachmentTooLargeError(f"PDF of {count} pages, over {max_pages}")
    return layout_text(_page_lines(reader)), count


def pdf_text(data: bytes) -> str:
    """The text of a PDF's pages as paragraphs; raises AttachmentError or pypdf's errors on a broken or locked file."""
    return pdf_pages(data)[0]
