"""HTML pages with lxml: the main content block as lines of text, and what the markup says about the page.

lxml directly, not BeautifulSoup: parsing and cleaning in C is several times faster (docs/benchmarks.md).
Python walks over the tree are iterative (`iter`), so deeply nested pages never recurse; the walks in C
(XPath, XSLT) recurse no deeper than the 256 levels libxml2 keeps.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from urllib.parse import urljoin

from lxml import etree

from parsers.htmltext import OWNER_TAGS, OwnedText, owned_text, page_lines, walk_marks
from parsers.htmltitle import info_fields, page_title
from parsers.htmltree import (
    Names,
    named_elements,
    names_matching,
    parse_markup,
    select,
    selector_index,
    text_of,
    visible_chars,
    without_stripped,
)
from parsers.metadata import PageHints
from parsers.records import Attachment
from parsers.site_rules import (
    ATTACHMENT_SUFFIXES,
    CONTENT_RULES,
    DATE_META,
    DROP_TAGS,
    ENP_DATE,
    FURNITURE,
    GENERATED_AT,
    SOURCE_META,
)
from parsers.urls import without_userinfo

# A site rule's container must hold this much text to win; an empty #zoom is a template leftover.
MIN_RULE_CHARS = 30
# Below this much non-link text, and with no attachment, the page holds no article.
MIN_ARTICLE_CHARS = 60
MAX_LINK_DENSITY = 0.5
SHORT_ARTICLE_CHARS = 300
LIST_PAGE_LINK_RATIO = 3
# A paragraph is prose when it is this long or carries sentence punctuation (htmltext.PROSE_MARKS).
MIN_PARAGRAPH_CHARS = 10
PUNCTUATION_BONUS = 5
_HEAD_LINE_LIMIT = 12
# How far above the block a headline is looked for: past a teaser list, not back into the site header.
_HEAD_WINDOW = 40
# A sub-list of the article block made only of links (related articles, hot news) is furniture.
_LIST_MIN_ANCHORS = 3
_LIST_LINK_DENSITY = 0.6
_SPACES = re.compile(r"\s+")
_DIGITS = re.compile(r"\D")


@dataclass(frozen=True, slots=True)
class HtmlPage:
    """The main block of a page as text, the lines just above it, and the page's own metadata."""

    text: str
    head_text: str
    hints: PageHints
    attachments: tuple[Attachment, ...]
    not_article: str | None = None  # why the page is no article, when it is none


def _metas(root: etree._Element) -> dict[str, str]:
    """Every <meta> name, property and itemprop with its content, keys lower-cased, first one kept."""
    found: dict[str, str] = {}
    for meta in root.iter("meta"):
        content = (meta.get("content") or "").strip()
        for key in ("name", "property", "itemprop", "http-equiv"):
            name = (meta.get(key) or "").strip().lower()
            if name and content:
                found.setdefault(name, content)
    return found


def _first_meta(metas: dict[str, str], names: tuple[str, ...]) -> str | None:
    return next((metas[name.lower()] for name in names if name.lower() in metas), None)


def _remove(element: etree._Element) -> None:
    """Remove an element but keep its tail text, which belongs to the parent."""
    parent = element.getparent()
    if parent is None:
        return
    tail, previous = element.tail, element.getprevious()
    if tail and tail.strip():
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


# Each link's text (htmltree.text_of), by its element.
Links = dict[etree._Element, str]
_CONTENT_SELECTORS = frozenset(selector for selectors, _why in CONTENT_RULES for selector in selectors)


def _drop_furniture(names: Names, keep: etree._Element | None) -> None:
    """Remove elements whose id or class names them furniture, never `keep` or what holds it."""
    protected = set() if keep is None else {keep, *keep.iterancestors()}
    furniture = names_matching(names, FURNITURE)
    doomed = [el for el in furniture if el not in protected and el.tag not in ("html", "body")]
    for element in doomed:
        _remove(element)


def _element_chars(element: etree._Element) -> int:
    return visible_chars(text_of(element))


def _rule_block(root: etree._Element, names: Names) -> etree._Element | None:
    index = selector_index(root, names, _CONTENT_SELECTORS)
    for selectors, _why in CONTENT_RULES:
        for found in select(index, selectors):
            if _element_chars(found) >= MIN_RULE_CHARS:
                return found
    return None


def _weight(chars: int, links: int, marks: int) -> float:
    """What a paragraph adds to its containers: its non-link text when it reads as prose."""
    if not chars or links / chars >= MAX_LINK_DENSITY or (chars < MIN_PARAGRAPH_CHARS and not marks):
        return 0.0
    return chars - links + PUNCTUATION_BONUS * marks


def densest_block(root: etree._Element, marks: str) -> etree._Element | None:
    """The container whose paragraphs carry the most prose (readability-style scores, link-weighted)."""
    owned = owned_text(root, marks)
    scores: dict[etree._Element, float] = defaultdict(float)
    for element, (chars, link_chars, prose) in zip(owned.owners, owned.own, strict=True):
        weight = _weight(chars, link_chars, prose)
        if not weight:
            continue
        parent = element.getparent()
        grand = parent.getparent() if parent is not None else None
        for target, share in ((element, 1.0), (parent, 1.0), (grand, 0.5)):
            if target is not None:
                scores[target] += weight * share
    if not scores:
        return None
    inside = _inside_totals(owned, scores)
    best = max(scores, key=lambda el: scores[el] * (1 - inside[el][1] / max(inside[el][0], 1)))
    return _with_context(best, owned) if best.tag in _DATA_TAGS else best


# A table or list wins on its many short cells or items; the notice around it (its lead-in, 特此通告, the
# issuer and date signed under it) is in the element holding it.
_DATA_TAGS = frozenset({"table", "tbody", "thead", "tfoot", "ul", "ol", "dl"})


def _with_context(best: etree._Element, owned: OwnedText) -> etree._Element:
    """The element holding a winning table or list, when prose beside it is part of the same text."""
    holder = best.getparent()
    while holder is not None and holder.tag in _DATA_TAGS:
        holder = holder.getparent()
    if holder is None or holder.tag in ("body", "html"):
        return best
    own = dict(zip(owned.owners, owned.own, strict=True))
    inner = set(best.iter())
    beside = [own[el] for el in holder.iter(*OWNER_TAGS) if el in own and el not in inner]  # the holder's own too
    chars, links = sum(unit[0] for unit in beside), sum(unit[1] for unit in beside)
    prose = any(_weight(*unit) and unit[2] for unit in beside)  # a sentence, not a caption or a link
    return holder if prose and links < MAX_LINK_DENSITY * chars else best


def _inside_totals(owned: OwnedText, elements: Iterable[etree._Element]) -> dict[etree._Element, tuple[int, int]]:
    """Characters and link characters inside each element: an owner's as walked; an inline element's (a <font>
    around paragraphs) is what the owners inside it hold themselves, its own loose text not counted."""
    totals = dict(zip(owned.owners, owned.inside, strict=True))
    own = dict(zip(owned.owners, owned.own, strict=True))
    for element in elements:
        if element not in totals:
            units = [own[owner] for owner in element.iter(*OWNER_TAGS)]
            totals[element] = (sum(unit[0] for unit in units), sum(unit[1] for unit in units))
    return totals


def _drop_link_lists(block: etree._Element, links: Links) -> None:
    """Remove lists of plain links inside the block: related articles, hot news, pagers."""
    doomed = []
    for el in block.iter("ul", "ol", "table", "div", "dl"):
        anchors = list(el.iter("a"))
        if len(anchors) < _LIST_MIN_ANCHORS or any(_is_attachment(a, links[a]) for a in anchors):
            continue
        total = visible_chars(text_of(el))
        linked = visible_chars("".join(links[a] for a in anchors))
        if total and linked / total >= _LIST_LINK_DENSITY:
            doomed.append(el)
    for el in doomed:
        if el is not block:
            _remove(el)


def head_lines(before: list[str], title: str | None) -> list[str]:
    """The lines between the headline and the block (where date and source are printed), else the last few."""
    key = _SPACES.sub("", title or "")
    window = before[-_HEAD_WINDOW:]
    starts = [index for index, line in enumerate(window) if key and _SPACES.sub("", line) == key]
    return window[starts[-1] :] if starts else before[-_HEAD_LINE_LIMIT:]


def _link_texts(root: etree._Element) -> Links:
    """Every link's text, read once: the attachments, the link densities and the link lists all weigh it."""
    return {anchor: text_of(anchor) for anchor in root.iter("a")}


def _is_attachment(anchor: etree._Element, text: str) -> bool:
    # The URL's path without query and fragment, cut by hand: urlsplit on every link cost a tenth of a page.
    path = (anchor.get("href") or "").strip().partition("?")[0].partition("#")[0].lower()
    return path.endswith(ATTACHMENT_SUFFIXES) or text.strip().lower().endswith(ATTACHMENT_SUFFIXES)


def attachments_of(links: Links, base_url: str | None) -> tuple[tuple[Attachment, ...], set[etree._Element]]:
    """Files the links point to (name as shown, absolute URL), in order, each once; and their links."""
    found: dict[str, Attachment] = {}
    anchors = set()
    for anchor, text in links.items():
        href = anchor.get("href")
        if href and _is_attachment(anchor, text):
            url = without_userinfo(urljoin(base_url or "", href.strip()))  # credentials are never sent nor stored
            name = _SPACES.sub(" ", text).strip()
            found.setdefault(url, Attachment(name=name or url.rsplit("/", 1)[-1], url=url))
            anchors.add(anchor)
    return tuple(found.values()), anchors


def _text_chars(element: etree._Element, links: Links) -> tuple[int, int]:
    total = visible_chars(text_of(element))
    return total, visible_chars("".join(links[a] for a in element.iter("a")))


def _not_article(root: etree._Element, block: etree._Element | None, attachments: bool, links: Links) -> str | None:
    total, linked = _text_chars(block if block is not None else root, links)
    if total and linked / total > MAX_LINK_DENSITY:
        return f"mostly links ({linked}/{total} characters): a list page"
    if block is None:
        return "no block of text (a page built by script, or an image)"
    if attachments:
        return None
    if total - linked < MIN_ARTICLE_CHARS:
        return f"only {total - linked} characters of text (the document may be an image or loaded by script)"
    # A short block on a page of many links is a footer or a teaser on a list page, not an article.
    page_links = _text_chars(root, links)[1]
    if total - linked < SHORT_ARTICLE_CHARS and page_links > LIST_PAGE_LINK_RATIO * (total - linked):
        return f"a list page: {page_links} characters of links around {total - linked} of text"
    return None


def _hints(root: etree._Element, names: Names, markup: str) -> PageHints:
    """What the markup says: read before <head> and the furniture are dropped."""
    metas = _metas(root)
    fields, publisher = info_fields(root)
    return PageHints(
        title=page_title(root, names, metas, dict(fields)),
        published=_published(metas, markup),
        source=_first_meta(metas, SOURCE_META),
        fields=fields,
        publisher=publisher,
    )


def _published(metas: dict[str, str], markup: str) -> str | None:
    """The date meta tag's value, unless it only repeats when the CMS generated the page."""
    enp = ENP_DATE.search(markup) if "enpproperty" in markup else None  # a C scan spares most pages the regex
    value = _first_meta(metas, DATE_META) or (enp.group(1) if enp else None)
    generated = next((m.group(1) for content in metas.values() if (m := GENERATED_AT.search(content))), None)
    if value and generated and _DIGITS.sub("", generated).startswith(_DIGITS.sub("", value)):
        return None
    return value


def read_html(markup: str, *, base_url: str | None = None, lenient: bool = False) -> HtmlPage:
    """Parse a page: its main text, the lines above it, its metadata hints and attachments.

    A page that reads as no article comes back with `not_article` set and no text, unless `lenient`:
    then it also has the text of its best block (or of its whole body, the furniture removed).
    """
    root = parse_markup(markup)
    names = named_elements(root)  # one scan serves the headline, the rules and the furniture
    hints = _hints(root, names, markup)
    names = without_stripped(root, names, DROP_TAGS)
    marks = walk_marks(root)
    block = _rule_block(root, names)
    _drop_furniture(names, block)
    if block is not None and _element_chars(block) < MIN_RULE_CHARS:
        block = None  # what made the rule's container long enough was furniture (a hidden share box)
    block = block if block is not None else densest_block(root, marks)
    near = block.getparent() if block is not None and block.getparent() is not None else block
    # Only files next to the block make a short page a document; the page's others are listed too
    # (NDRC and MOST print them in a box after the body), the chrome having been removed first.
    links = _link_texts(root)
    attachments, anchors = attachments_of(links, base_url)
    reason = _not_article(root, block, near is not None and not anchors.isdisjoint(near.iter("a")), links)
    if reason and not lenient:
        return HtmlPage("", "", hints, attachments, reason)
    if block is None:
        block = next(root.iter("body"), root)
    if not reason:
        _drop_link_lists(block, links)  # on a list-like page kept leniently, the links are what there is
    before, inside = page_lines(root, block, marks)
    head = head_lines(before, hints.title)
    hints = replace(hints, head_lines=tuple(head))
    return HtmlPage("\n".join(inside), "\n".join(head), hints, attachments, reason)
