"""The lxml tree of a page and the small helpers every HTML module shares."""

from __future__ import annotations

import bisect
import itertools
import re
from collections import defaultdict
from typing import cast

from lxml import etree

# Runs of this many opening tags with nothing between them are collapsed when libxml2 gave up on a page
# nested deeper than 256 (it drops the rest): pages nested that deep are broken or hostile anyway.
_TAG_RUN = re.compile(r"(?:<[A-Za-z][^<>]{0,300}>\s*){64,}")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
# libxml2 ends the document at the first </html> (and closes <body> at </body>): a page whose shared
# header include ends in a stray </html> (www.gov.cn) would lose its body. Browsers read on, so end tags
# of html and body are dropped (the parser closes both at the end) and so are the start tags of a second
# <html> or <body> (two pages concatenated, an include carrying its own): the page parses as one tree.
_DOCUMENT_END_TAG = re.compile(r"</(?:html|body)\s*>", re.IGNORECASE)
_DOCUMENT_START_TAG = re.compile(r"<(html|body)(?=[\s>/])[^>]*>", re.IGNORECASE)

Index = dict[tuple[str, str], list[etree._Element]]
_TEXT = etree.XPath("string()", smart_strings=False)
_ID_AND_CLASS = etree.XPath("//@id | //@class")
# Elements with their id and class attribute values, "" when absent; insertion in document order.
Names = dict[etree._Element, tuple[str, str]]


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


def parse_markup(markup: str) -> etree._Element:
    """The lxml tree of a page, whatever the markup (never raises on bad HTML)."""
    markup = one_document(_XML_DECLARATION.sub("", markup))
    root, too_deep = _parse(markup)
    if too_deep:  # libxml2 gave up below depth 256: collapse the runs of tags and parse again
        root, _ = _parse(_TAG_RUN.sub(lambda m: m.group()[: m.group().index(">") + 1], markup))
    return root


def _parse(markup: str, *, huge: bool = False) -> tuple[etree._Element, bool]:
    """The tree, and whether the parser dropped a part nested too deep (it says so in its error log).

    libxml2 drops a text node of 10 MB or more (a single-line page) and says "Buffer size limit exceeded":
    such a page is parsed again with `huge_tree`, which lifts that limit (the page's size is capped by
    ParseOptions.max_bytes). Not always: `huge_tree` also lets nesting go 2048 deep instead of 256.
    """
    # etree's parser, not lxml.html's: its per-element class look-up costs a third of the parse.
    parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=huge)
    root = etree.fromstring(markup.encode("utf-8", "replace") or b"<html></html>", parser=parser)
    limits = [entry.message for entry in parser.error_log if entry.type_name == "ERR_RESOURCE_LIMIT"]
    if not huge and any("depth" not in message for message in limits):
        return _parse(markup, huge=True)
    too_deep = any("depth" in message for message in limits)
    return (root if root is not None else etree.fromstring(b"<html><body></body></html>", parser=parser)), too_deep


def visible_chars(text: str) -> int:
    """The characters of a text that are not white space (str.split works in C: 7x a regex)."""
    return len("".join(text.split()))


def text_of(element: etree._Element) -> str:
    """All the text inside an element (XPath's string() joins it in C: itertext hands every piece to Python,
    three times slower on a page, half as fast on a link)."""
    return str(_TEXT(element))


def named_elements(root: etree._Element) -> Names:
    """Elements with an id or a class, in document order, with their id and class ("" when absent). One scan
    in C that visits only the id and class attributes, not every element: a Word-exported page has thousands
    of spans that carry neither."""
    names: Names = {}
    values = cast("list[etree._ElementUnicodeResult]", _ID_AND_CLASS(root))  # the XPath selects attributes only
    for value in values:
        element = cast("etree._Element", value.getparent())  # an attribute always has its element
        id_value, class_value = names.get(element, ("", ""))
        names[element] = (value, class_value) if value.attrname == "id" else (id_value, value)
    return names


def names_matching(names: Names, pattern: re.Pattern[str]) -> list[etree._Element]:
    """The elements whose "id class" the pattern finds, in document order: one pass over all of them joined
    (a search per element cost more than what is done with them), each match placed by its last character.

    For patterns of a word between boundaries, as FURNITURE: two line breaks join the names, so a match that
    takes the boundary after its word leaves one before the next name.
    """
    elements = list(names)
    parts = list(map(" ".join, names.values()))
    starts = list(itertools.accumulate(map((2).__add__, map(len, parts)), initial=0))
    found = (bisect.bisect_right(starts, match.end() - 1) - 1 for match in pattern.finditer("\n\n".join(parts)))
    return [elements[index] for index in dict.fromkeys(found)]


def without_stripped(root: etree._Element, names: Names, tags: tuple[str, ...]) -> Names:
    """Strip the elements of `tags` with what they hold (keeping their tails), and return `names` less those
    gone with them: the page's named elements without a second scan."""
    gone = {element for top in root.iter(*tags) for element in top.iter()}
    etree.strip_elements(root, *tags, with_tail=False)
    return {element: pair for element, pair in names.items() if element not in gone}


def selector_index(root: etree._Element, names: Names, wanted: frozenset[tuple[str, str]]) -> Index:
    """The elements the `wanted` selectors match, by ("id", value), ("class", name) or ("tag", name), in
    document order, among the named elements of the page (see named_elements)."""
    index: Index = defaultdict(list)
    for element, (id_value, class_value) in names.items():
        if id_value and ("id", id_value.strip()) in wanted:
            index[("id", id_value.strip())].append(element)
        for name in class_value.split():
            if ("class", name) in wanted:
                index[("class", name)].append(element)
    for kind, tag in wanted:
        if kind == "tag":
            index[(kind, tag)].extend(root.iter(tag))
    return index


def select(index: Index, selectors: tuple[tuple[str, str], ...]) -> list[etree._Element]:
    """The elements any of the selectors match, in document order of the first selector that matches."""
    return [el for selector in selectors for el in index.get(selector, ())]
