"""The lxml tree of a page and the small helpers every HTML module shares."""

from __future__ import annotations

import re
from collections import defaultdict

from lxml import etree

# Runs of this many opening tags with nothing between them are collapsed: libxml2 silently drops
# the content below depth 256, and pages nested that deep are broken or hostile anyway.
_TAG_RUN = re.compile(r"(?:<[A-Za-z][^<>]{0,300}>\s*){64,}")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")

Index = dict[tuple[str, str], list[etree._Element]]


def parse_markup(markup: str) -> etree._Element:
    """The lxml tree of a page, whatever the markup (never raises on bad HTML)."""
    cleaned = _TAG_RUN.sub(lambda m: m.group()[: m.group().index(">") + 1], _XML_DECLARATION.sub("", markup))
    # etree's parser, not lxml.html's: its per-element class look-up costs a third of the parse.
    parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    root = etree.fromstring(cleaned.encode("utf-8", "replace") or b"<html></html>", parser=parser)
    return root if root is not None else etree.fromstring(b"<html><body></body></html>", parser=parser)


def text_of(element: etree._Element) -> str:
    """All the text inside an element."""
    return "".join(element.itertext())


def selector_index(root: etree._Element) -> Index:
    """Every element by ("id", value), ("class", name) and ("tag", name), in document order."""
    index: Index = defaultdict(list)
    for el in root.iter(etree.Element):
        index[("tag", el.tag)].append(el)
        if el.get("id"):
            index[("id", el.get("id").strip())].append(el)
        for name in (el.get("class") or "").split():
            index[("class", name)].append(el)
    return index


def select(index: Index, selectors: tuple[tuple[str, str], ...]) -> list[etree._Element]:
    """The elements any of the selectors match, in document order of the first selector that matches."""
    return [el for selector in selectors for el in index.get(selector, ())]
