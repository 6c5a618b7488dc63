"""XML members of zip-based formats walked as a stream: safe parser settings, elements freed as they end."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from parsers.attachments.limits import Zip
from parsers.errors import AttachmentError, AttachmentTooLargeError

if TYPE_CHECKING:
    from lxml import etree


def local(tag: object) -> str:
    """An element's name without its namespace (transitional and strict OOXML, OFD's prefixes alike)."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def parent_is(element: etree._Element, name: str) -> bool:
    """Whether an element's parent has this local name (a root has none)."""
    parent = element.getparent()
    return parent is not None and local(parent.tag) == name


def walk(archive: Zip, name: str, events: tuple[str, ...] = ("start", "end")) -> Iterator[tuple[str, etree._Element]]:
    """(event, element) over a member read in bounded chunks; no entities, DTDs or network, no huge trees."""
    from lxml import etree  # imported here: only zip-based formats need it

    stream = archive.open(name)
    parser = etree.iterparse(
        stream,
        events=events,
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        yield from parser
    except etree.XMLSyntaxError as exc:
        raise AttachmentError(f"zip member {name} is not well-formed XML: {exc}") from exc


def parse(archive: Zip, name: str) -> etree._Element:
    """A small member (a manifest, a relationship list) as a tree, with the same safe settings."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    try:
        return etree.fromstring(archive.read(name), parser)
    except etree.XMLSyntaxError as exc:
        raise AttachmentError(f"zip member {name} is not well-formed XML: {exc}") from exc


def free(element: etree._Element) -> None:
    """Drop an element that has been read, and its finished elder siblings, so a long part streams in little memory."""
    element.clear()
    parent = element.getparent()
    while parent is not None and element.getprevious() is not None:
        del parent[0]


class TextBudget:
    """The characters one file may still add to its text."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used = limit, 0

    def add(self, text: str) -> str:
        """Count a piece of text; too_large once the file's text passes the limit."""
        self.used += len(text)
        if self.used > self.limit:
            raise AttachmentTooLargeError(f"more than {self.limit} characters of text")
        return text
