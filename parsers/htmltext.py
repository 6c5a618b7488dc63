"""Walks over a page's text in C (XSLT): its lines, and how much text each block holds.

page_lines: the lines above the main block and the block's own. Block elements end lines, table cells are
space-separated, line breaks of the HTML source are spaces (none at all between two CJK characters), and
<pre> keeps its own. owned_text: characters, link characters and prose marks of each block's own text, for
densest_block. Both were Python loops over every element, each a tenth of a page or more; libxslt walks the
tree, marking where elements open and close with characters the page lacks, and Python splits one string.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from functools import cache
from typing import NamedTuple

from lxml import etree

from parsers.site_rules import BLOCK_TAGS, CELL_TAGS

# A line break in the HTML source is white space, and none at all between two CJK characters (the CSS
# segment-break rule): Word-exported pages wrap mid-word, "国\n家外汇管理局", "第五十\n二条". A text's own
# \x1f counts as one (the earlier walk marked breaks with it).
_BREAKS = "\n\r\x1f"
_CJK = "\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
_BREAK_BETWEEN_CJK = re.compile(f"(?<=[{_CJK}])[ \\t]*[{_BREAKS}][ \\t{_BREAKS}]*(?=[{_CJK}])")
_EDGE = " \t" + _BREAKS
# Where the block starts and ends, the walk is told by two elements put in the tree while it runs: in a
# namespace, which the HTML parser never gives an element, so no page element can pass for them.
_WALK_NS = "urn:policywatch:walk"
_START, _END = f"{{{_WALK_NS}}}start", f"{{{_WALK_NS}}}end"
_PAGE_TEXT = etree.XPath("string(/)")
_MARK_COUNT = 3
# Sentence punctuation: what makes a paragraph read as prose.
PROSE_MARKS = re.compile(r"[，。；！？、,;!?]")
# Elements that own the inline text inside them: blocks, cells, and the root.
OWNER_TAGS = tuple(sorted(BLOCK_TAGS | CELL_TAGS))


def walk_marks(root: etree._Element) -> str:
    """Characters the page's text lacks, for the walks to print where elements open and close: Unicode's
    noncharacters (meant for such internal use), the first three free. Text only shrinks after, so they stay free.
    """
    text = str(_PAGE_TEXT(root))
    return "".join(itertools.islice((mark for mark in _candidates() if mark not in text), _MARK_COUNT))


def _candidates() -> Iterator[str]:
    yield from map(chr, range(0xFDD0, 0xFDF0))
    yield from map(chr, range(0xF0000, 0x110000))


def page_lines(root: etree._Element, block: etree._Element, marks: str) -> tuple[list[str], list[str]]:
    """The text lines above the block and the block's own lines (paragraphs; cells space-separated)."""
    line, pre, cut = marks[0], marks[1], marks[2]
    start = etree.Element(_START) if block is not root else None
    end = etree.SubElement(block, _END)  # after the block's last text, before it closes
    if start is not None:
        block.addprevious(start)
    try:
        walked = str(_text_walk(line, pre, cut)(root))
    finally:
        block.remove(end)
        if start is not None and (parent := start.getparent()) is not None:
            parent.remove(start)
    before, _, rest = walked.partition(cut) if start is not None else ("", "", walked)
    inside = rest.partition(cut)[0]
    if before.count(pre) % 2:  # the block is inside a <pre>
        inside = pre + inside
    return _lines(before, line, pre), _lines(inside, line, pre)


class OwnedText(NamedTuple):
    """The text each owner (block, cell, the root) holds, owners in document order."""

    owners: list[etree._Element]
    own: list[list[int]]  # its own inline text: [characters, link characters, prose marks outside links]
    inside: list[tuple[int, int]]  # everything inside it: (characters, link characters)


def owned_text(root: etree._Element, marks: str) -> OwnedText:
    """Characters (not white space), link characters and prose marks of the text each owner holds.

    A text belongs to the nearest owner around it (a tail to its element's parent's), and is link text
    inside an <a>. The walk prints the text with an event (a mark and a letter) where owners and links open
    and close; with the white space dropped first (in C), a piece's length is what it counts.
    """
    owners = list(root.iter(*OWNER_TAGS))
    if not owners or owners[0] is not root:
        owners.insert(0, root)
    walked = "".join(str(_owner_walk(marks[0])(root)).split())
    pieces = walked.split(marks[0])[1:]  # each: an event's letter, the text after it
    # The prose marks of every piece counted at once: the pieces' lengths without them (findall per piece
    # cost more than the walk).
    unmarked = list(map(len, PROSE_MARKS.sub("", walked).split(marks[0])[1:]))
    own, inside = _sum_pieces(pieces, unmarked)
    return OwnedText(owners, own, inside)


def _sum_pieces(pieces: list[str], unmarked: list[int]) -> tuple[list[list[int]], list[tuple[int, int]]]:
    """Each piece of text added to the owner open around it; at an owner's close, what it held in all."""
    own: list[list[int]] = []
    inside: list[tuple[int, int]] = []
    stack: list[tuple[int, int, int]] = []  # the enclosing owner, and the running totals when this one opened
    top = link = total = total_links = 0
    for piece, length_unmarked in zip(pieces, unmarked, strict=True):
        event = piece[0]
        if event == _OPENS:
            stack.append((top, total, total_links))
            top = len(own)
            own.append([0, 0, 0])
            inside.append((0, 0))
        elif event == _CLOSES:
            parent, start, start_links = stack.pop()
            inside[top] = (total - start, total_links - start_links)
            top = parent
        else:
            link += 1 if event == _LINK else -1
        count = len(piece) - 1  # the letter is no text
        if count:
            unit = own[top]
            unit[0] += count
            total += count
            if link:
                unit[1] += count
                total_links += count
            else:
                unit[2] += len(piece) - length_unmarked
    return own, inside


def _lines(walked: str, line: str, pre: str) -> list[str]:
    """The walk's output as lines: source line breaks are white space (nothing between CJK), except in <pre>."""
    if pre in walked:
        pieces = walked.split(pre)  # odd pieces are inside a <pre>: its line breaks end lines, a CR is a space
        walked = "".join(_pre_text(piece, line) if index % 2 else piece for index, piece in enumerate(pieces))
    lines = []
    for text in walked.split(line):
        # A break at either end of a line joins nothing: stripped first, most lines skip the regex.
        text = text.strip(_EDGE)
        if "\n" in text or "\r" in text or "\x1f" in text:
            text = _BREAK_BETWEEN_CJK.sub("", text)
        text = " ".join(text.split())  # str.split folds white space (the breaks too) in C
        if text:
            lines.append(text)
    return lines


def _pre_text(text: str, line: str) -> str:
    """A <pre>'s text: its line breaks end lines; a CR (&#13;) stays white space, not a break mark."""
    return text.replace("\r", "\u2028").replace("\n", line)


# The text walk: {line} where a line ends, {pre} where the text of a <pre> opens and closes, {cut} where the
# block starts and ends. Templates match element names only: a predicate or an XPath per node costs libxslt
# about what a Python loop does.
_WALK = """<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:pw="{ns}">
<xsl:output method="text" encoding="UTF-8"/>
<xsl:template match="{blocks}">{line}<xsl:apply-templates/>{line}</xsl:template>
<xsl:template match="pre">{line}{pre}<xsl:apply-templates mode="pre"/>{pre}{line}</xsl:template>
<xsl:template match="{cells}"><xsl:apply-templates/><xsl:text> </xsl:text></xsl:template>
<xsl:template match="{blocks}|pre" mode="pre">{line}<xsl:apply-templates mode="pre"/>{line}</xsl:template>
<xsl:template match="{cells}" mode="pre"><xsl:apply-templates mode="pre"/><xsl:text> </xsl:text></xsl:template>
<xsl:template match="pw:start|pw:end">{cut}</xsl:template>
<xsl:template match="pw:start|pw:end" mode="pre">{cut}</xsl:template>
</xsl:stylesheet>"""


@cache
def _text_walk(line: str, pre: str, cut: str) -> etree.XSLT:
    """The XSLT printing a page's text with its marks (see _WALK)."""
    blocks, cells = "|".join(sorted(BLOCK_TAGS - {"pre"})), "|".join(sorted(CELL_TAGS))
    return etree.XSLT(etree.XML(_WALK.format(ns=_WALK_NS, line=line, pre=pre, cut=cut, blocks=blocks, cells=cells)))


# The owner walk: an event where every owner (the root too, whatever its tag) and every link opens and
# closes, {mark} and a letter; the text itself printed as it is.
_OPENS, _CLOSES, _LINK, _UNLINK = "o", "c", "a", "z"
_OWNER_WALK = """<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="UTF-8"/>
<xsl:template match="/*" priority="3">{mark}{opens}<xsl:apply-templates/>{mark}{closes}</xsl:template>
<xsl:template match="{owners}">{mark}{opens}<xsl:apply-templates/>{mark}{closes}</xsl:template>
<xsl:template match="a">{mark}{link}<xsl:apply-templates/>{mark}{unlink}</xsl:template>
</xsl:stylesheet>"""


@cache
def _owner_walk(mark: str) -> etree.XSLT:
    letters = {"opens": _OPENS, "closes": _CLOSES, "link": _LINK, "unlink": _UNLINK}
    return etree.XSLT(etree.XML(_OWNER_WALK.format(mark=mark, owners="|".join(OWNER_TAGS), **letters)))
