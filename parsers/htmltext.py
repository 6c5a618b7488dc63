"""A page's text as lines: the lines above its main block and the block's own, walked in C (an XSLT).

Block elements end lines, table cells are space-separated, line breaks of the HTML source are spaces
(none at all between two CJK characters), and <pre> keeps its own. The walk was a Python loop over every
element and cost a tenth of a page; libxslt does it in a fiftieth, and Python only edits one string.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from lxml import etree

from parsers.site_rules import BLOCK_TAGS, CELL_TAGS

# A line break in the HTML source is white space, and none at all between two CJK characters (the CSS
# segment-break rule): Word-exported pages wrap mid-word, "国\n家外汇管理局", "第五十\n二条". A text's own
# \x1f counts as one (the earlier walk marked breaks with it).
_BREAKS = "\n\r\x1f"
_CJK = "\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
_BREAK_BETWEEN_CJK = re.compile(f"(?<=[{_CJK}])[ \\t]*[{_BREAKS}][ \\t{_BREAKS}]*(?=[{_CJK}])")
_EDGE = " \t" + _BREAKS
# The walk marks the block and the elements holding it with these attributes while it runs.
_BLOCK_MARK, _PATH_MARK = "data-policywatch-block", "data-policywatch-path"
# What the XSLT prints for "end of line" and "inside <pre> from here / to here" must be characters the page's
# text lacks: two of Unicode's noncharacters (meant for such internal use), else the first free ones.
_MARKS = ("\ufdd0", "\ufdd1")
_MARKS_USED = etree.XPath("contains(string(/), $line) or contains(string(/), $pre)")
_PAGE_TEXT = etree.XPath("string(/)")


def page_lines(root: etree._Element, block: etree._Element) -> tuple[list[str], list[str]]:
    """The text lines above the block and the block's own lines (paragraphs; cells space-separated)."""
    line, pre = _free_marks(root)
    walk = _text_walk(line, pre)
    path = list(block.iterancestors())
    block.set(_BLOCK_MARK, "")
    for element in path:
        element.set(_PATH_MARK, "")
    try:
        before = str(walk(root, part="'before'"))
    finally:
        for element in path:
            del element.attrib[_PATH_MARK]
        del block.attrib[_BLOCK_MARK]
    # The block is walked as a tree of its own: its tail, and what follows it, is not its text.
    inside = str(walk(block, part="'pre'" if any(el.tag == "pre" for el in path) else "'block'"))
    return _lines(before, line, pre), _lines(inside, line, pre)


def _free_marks(root: etree._Element) -> tuple[str, str]:
    if not _MARKS_USED(root, line=_MARKS[0], pre=_MARKS[1]):  # nearly every page
        return _MARKS
    text = _PAGE_TEXT(root)
    free = (mark for mark in _candidates() if mark not in text)
    return next(free), next(free)


def _candidates() -> Iterator[str]:
    yield from map(chr, range(0xFDD0, 0xFDF0))
    yield from map(chr, range(0xF0000, 0x110000))


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
    return text.replace("\r", "\u2028").replace("\n", line)


# The walk: part='before' prints the text up to the marked block, along the path of marked elements to it
# (what precedes each path element's next step, then the step); 'block' prints a block's text, 'pre' that of
# a block inside a <pre>. Templates match element names only: a predicate or an XPath per node costs libxslt
# about what the Python loop did. {line} ends a line, {pre} opens and closes the text of a <pre>.
_WALK = """<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="UTF-8"/>
<xsl:param name="part" select="'block'"/>
<xsl:template match="/"><xsl:choose>
  <xsl:when test="$part = 'before'"><xsl:apply-templates select="*" mode="before"/></xsl:when>
  <xsl:when test="$part = 'pre'">{pre}<xsl:apply-templates select="*" mode="pre"/></xsl:when>
  <xsl:otherwise><xsl:apply-templates select="*"/></xsl:otherwise>
</xsl:choose></xsl:template>
<xsl:template match="{blocks}">{line}<xsl:apply-templates/>{line}</xsl:template>
<xsl:template match="pre">{line}{pre}<xsl:apply-templates mode="pre"/>{pre}{line}</xsl:template>
<xsl:template match="{cells}"><xsl:apply-templates/><xsl:text> </xsl:text></xsl:template>
<xsl:template match="{blocks}|pre" mode="pre">{line}<xsl:apply-templates mode="pre"/>{line}</xsl:template>
<xsl:template match="{cells}" mode="pre"><xsl:apply-templates mode="pre"/><xsl:text> </xsl:text></xsl:template>
<xsl:template match="*" mode="before">{step}</xsl:template>
<xsl:template match="{blocks}" mode="before">{line}{step}</xsl:template>
<xsl:template match="pre" mode="before">{line}{pre}{step_in_pre}</xsl:template>
<xsl:template match="*" mode="before-pre">{step_in_pre}</xsl:template>
<xsl:template match="{blocks}|pre" mode="before-pre">{line}{step_in_pre}</xsl:template>
<xsl:template match="*[@{block_mark}]" mode="before" priority="2"/>
<xsl:template match="*[@{block_mark}]" mode="before-pre" priority="2"/>
</xsl:stylesheet>"""
_STEP = """<xsl:variable name="next" select="*[@{path_mark} or @{block_mark}][1]"/>
<xsl:apply-templates select="$next/preceding-sibling::node()"{mode}/>
<xsl:apply-templates select="$next" mode="{then}"/>"""


@cache
def _text_walk(line: str, pre: str) -> etree.XSLT:
    """The XSLT printing a page's text with `line` where a line ends and `pre` around <pre> content."""
    marks = {"path_mark": _PATH_MARK, "block_mark": _BLOCK_MARK}
    return etree.XSLT(
        etree.XML(
            _WALK.format(
                line=line,
                pre=pre,
                blocks="|".join(sorted(BLOCK_TAGS - {"pre"})),
                cells="|".join(sorted(CELL_TAGS)),
                step=_STEP.format(mode="", then="before", **marks),
                step_in_pre=_STEP.format(mode=' mode="pre"', then="before-pre", **marks),
                **marks,
            )
        )
    )
