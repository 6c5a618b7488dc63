"""The lxml tree of a page and the small helpers every HTML module shares."""

from __future__ import annotations

import re
from collections import defaultdict

from lxml import etree

# Runs of this many opening tags with nothing between them are collapsed: libxml2 silently drops
# the content below depth 256, and pages nested that deep are broken or hostile anyway.
_TAG_RUN_MIN = 64
_TAG_RUN = re.compile(r"(?:<[A-Za-z][^<>]{0,300}>\s*){" + str(_TAG_RUN_MIN) + ",}")
_OPENING_TAG = re.compile(r"<[A-Za-z][^<>]{0,300}>\s*")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
# libxml2 ends the document at the first </html> (and closes <body> at </body>): a page whose shared
# header include ends in a stray </html> (www.gov.cn) would lose its body. Browsers read on, so end tags
# of html and body are dropped (the parser closes both at the end) and so are the start tags of a second
# <html> or <body> (two pages concatenated, an include carrying its own): the page parses as one tree.
_DOCUMENT_END_TAG = re.compile(r"</(?:html|body)\s*>", re.IGNORECASE)
_DOCUMENT_START_TAG = re.compile(r"<(html|body)(?=[\s>/])[^>]*>", re.IGNORECASE)

Index = dict[tuple[str, str], list[etree._Element]]


def one_document(markup: str) -> str:
    """Markup without the tags that would make libxml2 stop early: end tags of html and body, repeated starts."""
    seen: set[str] = set()

    def first_only(match: re.Match[str]) -> str:
        name = match.group(1).lower()
        if name in seen:
            return ""
        seen.add(name)
        return match.group()

    return _DOCUMENT_START_TAG.sub(first_only, _DOCUMENT_END_TAG.sub("", markup))


def has_tag_run(markup: str) -> bool:
    """True when _TAG_RUN_MIN opening tags follow each other with nothing between them.

    One pass over the tags: the run pattern itself retries at every tag (a third of the parse of a
    Word-exported page), so it only runs on the rare page that has such a run.
    """
    count, end = 0, -1
    for tag in _OPENING_TAG.finditer(markup):
        count = count + 1 if tag.start() == end else 1
        if count >= _TAG_RUN_MIN:
            return True
        end = tag.end()
    return False


def parse_markup(markup: str) -> etree._Element:
    """The lxml tree of a page, whatever the markup (never raises on bad HTML)."""
    markup = one_document(_XML_DECLARATION.sub("", markup))
    if has_tag_run(markup):
        markup = _TAG_RUN.sub(lambda m: m.group()[: m.group().index(">") + 1], markup)
    # etree's parser, not lxml.html's: its per-element class look-up costs a third of the parse.
    parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    root = etree.fromstring(markup.encode("utf-8", "replace") or b"<html></html>", parser=parser)
    return root if root is not None else etree.fromstring(b"<html><body></body></html>", parser=parser)


def text_of(element: etree._Element) -> str:
    """All the text inside an element."""
    return "".join(element.itertext())


def selector_index(root: etree._Element, wanted: frozenset[tuple[str, str]]) -> Index:
    """The elements the `wanted` selectors match, by ("id", value), ("class", name) or ("tag", name), in
    document order (only those: a Word-exported page has thousands of elements no rule asks for)."""
    index: Index = defaultdict(list)
    tags = {value for kind, value in wanted if kind == "tag"}
    for el in root.iter(etree.Element):
        if el.tag in tags:
            index[("tag", el.tag)].append(el)
        if (found := el.get("id")) and ("id", found.strip()) in wanted:
            index[("id", found.strip())].append(el)
        for name in (el.get("class") or "").split():
            if ("class", name) in wanted:
                index[("class", name)].append(el)
    return index


def select(index: Index, selectors: tuple[tuple[str, str], ...]) -> list[etree._Element]:
    """The elements any of the selectors match, in document order of the first selector that matches."""
    return [el for selector in selectors for el in index.get(selector, ())]
