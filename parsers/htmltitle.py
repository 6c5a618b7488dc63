"""What the markup says about a page outside its body: the headline and the government information table."""

from __future__ import annotations

import re

from lxml import etree

from parsers.htmltree import Names, names_matching, select, selector_index, text_of
from parsers.site_rules import (
    INFO_LABEL_TAGS,
    INFO_LABELS,
    INFO_VALUE_MAX,
    PUBLISHER_LINE,
    TITLE_META,
    TITLE_RULES,
)

_SPACES = re.compile(r"\s+")
_TAGS = re.compile(r"<[^>]*>")
# Site names glued to <title>: "标题_栏目_中国政府网", "标题 - 要闻 - 云南日报网", "标题--大河网".
# Only short trailing parts go (site and column names are short); "——" stays, it joins subtitles.
_SITE_SUFFIX = re.compile(r"^(?P<head>.{4,}?)\s*(?:[_|｜]+|-{1,2}|\s[-–]\s)\s*(?P<tail>[^_|｜]{1,16})$")
HEADING_TAGS = ("h1", "h2", "h3")
# Elements whose id or class says "title" hold headlines on pages without <h1> (old portals, e-papers).
_TITLE_NAMED = re.compile(r"(?:^|[-_\s])(?:title|tit|tit2|biaoti|headline|article-title)(?:$|[-_\s\d])", re.I)
_HEADING_MIN, _HEADING_MAX = 4, 80
_MIN_CONTAINED = 8
_LABEL = re.compile("^(" + "|".join(sorted(INFO_LABELS, key=len, reverse=True)) + ")(?:[:：](.*))?$")
_LABEL_MAX = 8
_LABEL_STARTS = frozenset(label[0] for label in INFO_LABELS)
# Values whose spaces mean something: joint issuers are separated by them, titles print them.
_SPACED_FIELDS = ("issuers", "title")
# Fields a table may print with an empty cell, meaning "none" (not "look elsewhere").
_EMPTY_MEANS_NONE = ("doc_number",)
_CELL_TAGS = ("td", "th", "b", "strong", "span")


def _clean(text: str | None) -> str:
    return _SPACES.sub(" ", _TAGS.sub("", text or "")).strip()


def _key(text: str) -> str:
    return "".join(text.split())


def strip_site_suffix(title: str) -> str:
    """<title> without the site and column names glued after it."""
    while match := _SITE_SUFFIX.match(title):
        title = match.group("head").strip()
    return title


def _site_title(root: etree._Element) -> str:
    found = root.find(".//title")
    return _clean(text_of(found)) if found is not None else ""


def _headings(root: etree._Element, names: Names) -> list[str]:
    """Texts of the elements that may carry the headline (h1-h3, and those named as titles), in document order."""
    titled = set(names_matching(names, _TITLE_NAMED))
    found: list[str] = []
    # The tags in C bring both kinds in document order (the scan of ids and classes leaves h1-h3 out).
    for el in root.iter(*HEADING_TAGS, *{el.tag for el in titled}):
        if el.tag in HEADING_TAGS or el in titled:
            text = _clean(text_of(el))
            if _HEADING_MIN <= len(text) <= _HEADING_MAX:
                found.append(text)
    return found


_TITLE_SELECTORS = frozenset(selector for selectors, _why in TITLE_RULES for selector in selectors)


def _rule_heading(root: etree._Element, names: Names) -> str | None:
    index = selector_index(root, names, _TITLE_SELECTORS)
    for selectors, _why in TITLE_RULES:
        for el in select(index, selectors):
            text = _clean(text_of(el))
            if _HEADING_MIN <= len(text) <= _HEADING_MAX:
                return text
    return None


def _heading_in_title(headings: list[str], site_title: str) -> str | None:
    """The longest heading that opens the <title> (or, when long, appears in it): the headline."""
    key = _key(site_title)
    matches = [h for h in headings if key.startswith(_key(h)) or (len(h) >= _MIN_CONTAINED and _key(h) in key)]
    return max(matches, key=len) if matches else None


def page_title(root: etree._Element, names: Names, metas: dict[str, str], fields: dict[str, str]) -> str | None:
    """The headline: the info table's 标题, ArticleTitle, a heading <title> confirms, else <title> cleaned.

    `names` are the page's named elements (named_elements).
    """
    stated = fields.get("title") or _clean(metas.get(TITLE_META[0].lower()))
    if stated:  # most government pages state it: the headings need not be read
        return stated
    site_title = _site_title(root)
    headings = _headings(root, names)
    # The first candidate found wins; `or` reads no further.
    return (
        (_heading_in_title(headings, site_title) if site_title else None)
        or _rule_heading(root, names)
        or strip_site_suffix(site_title)
        or strip_site_suffix(_clean(metas.get(TITLE_META[1].lower())))
        or (headings[0] if headings else None)
    )


def _value_after(el: etree._Element) -> str:
    """The value printed after a label element: its tail, else the next cell's text."""
    if el.tail and el.tail.strip():
        return el.tail
    following = el.getnext()
    parent = el.getparent()
    if following is None and parent is not None and len(parent) == 1:
        following = parent.getnext()
    return text_of(following) if following is not None else ""


def info_fields(root: etree._Element) -> tuple[tuple[tuple[str, str], ...], str | None]:
    """Fields of a government information table (索引号, 发文机关, 发文字号, 成文日期…), first of each kept, and
    the organ a short "…发布" line names (a footer such as 中国证券监督管理委员会发布), if the page has one.

    A labelled 发文字号 left empty is kept empty: the document has none (MOST's 规范性文件), and the text
    must not be searched for one. Repeated tables (desktop and mobile) give the first value filled in.
    One pass over the elements finds the candidates of both.
    """
    labels, publishers = [], []
    for el in root.iter(*INFO_LABEL_TAGS):
        text = el.text
        if not text:
            continue
        # Most elements hold no label: a look at the first character spares them the whitespace fold.
        if text.lstrip()[:1] in _LABEL_STARTS:
            labels.append(el)
        if "布" in text:
            publishers.append(el)
    return _fields(labels), _publisher(publishers)


def _fields(labels: list[etree._Element]) -> tuple[tuple[str, str], ...]:
    found: dict[str, str] = {}
    for el in labels:
        own = _key(el.text or "")
        if not own or len(own) > _LABEL_MAX + INFO_VALUE_MAX:
            continue
        match = _LABEL.match(own)
        if not match:
            continue
        value = match.group(2) if match.group(2) else _key(_value_after(el)) if len(own) <= _LABEL_MAX else ""
        field = INFO_LABELS[match.group(1)]
        if len(value) > INFO_VALUE_MAX or found.get(field):
            continue
        if value:
            found[field] = _spaced_value(el, match.group(1)) if field in _SPACED_FIELDS else value
        elif field in _EMPTY_MEANS_NONE and el.tag in _CELL_TAGS:
            found.setdefault(field, "")
    return tuple(found.items())


def _publisher(candidates: list[etree._Element]) -> str | None:
    for el in candidates:
        if not len(el) and (match := PUBLISHER_LINE.match(_key(el.text or ""))):
            return match.group(1)
    return None


def _spaced_value(el: etree._Element, label: str) -> str:
    """An issuer value keeps its spaces: joint issuers are separated by them."""
    own = _SPACES.sub(" ", el.text or "").strip()
    spaced_label = "".join(ch + r"\s*" for ch in label)
    rest = re.sub(f"^{spaced_label}[:：]?\\s*", "", own)
    return rest or _SPACES.sub(" ", _value_after(el)).strip()
