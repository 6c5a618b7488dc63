"""HTML pages: the main content block as lines of text, and what the markup says about the page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Comment, Tag
from bs4.element import CData, NavigableString, PageElement, PreformattedString

from parsers.metadata import PageHints
from parsers.records import Attachment

# Content containers of the CMSs Chinese government sites run (TRS, UCAP, Hanweb…), most specific first.
MAIN_SELECTORS: tuple[str, ...] = (
    "#UCAP-CONTENT",  # UCAP (gov.cn and many ministries)
    ".TRS_Editor",  # TRS WCM, the most common provincial CMS
    ".TRS_UEDITOR",  # TRS with the UEditor front end
    "#zoom",  # 国务院/部委 pages: the font-size target is the article
    "#Zoom",
    ".pages_content",  # gov.cn policy library
    "#ivs_content",  # Hanweb
    ".article_con",
    ".article-content",
    ".article",
)
# Never content: code, and the page furniture HTML5 names as such.
DROP_TAGS: tuple[str, ...] = (
    "script", "style", "noscript", "template", "iframe", "object", "svg", "canvas",
    "nav", "header", "footer", "aside", "form", "select", "button", "input", "textarea",
)  # fmt: skip
# Furniture that older sites mark only with a class or id.
_FURNITURE = re.compile(
    r"(?:^|[-_\s])(footer|foot|nav|navbar|menu|breadcrumbs?|crumbs?|share|sidebar|copyright|related|toolbar)(?:$|[-_\s])",
    re.IGNORECASE,
)
# Tags that end a line of text.
BLOCK_TAGS: tuple[str, ...] = (
    "p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
    "tr", "table", "section", "article", "main", "blockquote", "pre", "hr", "center", "figure",
)  # fmt: skip
# Inline children whose text counts as a block's own text in the density choice.
_INLINE_TAGS = frozenset(
    ("p", "span", "font", "strong", "b", "em", "i", "u", "a", "br", "sub", "sup", "center")
)
_LEAF_CONTAINERS = ("div", "section", "table", "article", "ul", "ol")
_DENSITY_CANDIDATES = ("div", "article", "section", "td", "main", "body")

TITLE_META: tuple[str, ...] = ("ArticleTitle", "og:title", "title")
DATE_META: tuple[str, ...] = (
    "PubDate",
    "firstpublishedtime",
    "publishdate",
    "pubdate",
    "article:published_time",
)
SOURCE_META: tuple[str, ...] = ("ContentSource", "source")
# Site names glued to <title>: "标题_广东省科学技术厅", "标题 - 中国政府网".
_TITLE_SEPARATORS = re.compile(r"\s*[_|｜]\s*|\s+[-–—]\s+")
ATTACHMENT_SUFFIXES: tuple[str, ...] = (
    ".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".ofd", ".zip", ".rar", ".7z",
)  # fmt: skip
_HEAD_LINE_LIMIT = 12
# Below this much non-link text, and with no attachment, the page holds no article.
MIN_ARTICLE_CHARS = 60
MAX_LINK_DENSITY = 0.5
SHORT_ARTICLE_CHARS = 300
LIST_PAGE_LINK_RATIO = 3


@dataclass(frozen=True, slots=True)
class HtmlPage:
    """The main block of a page as text, the lines just above it, and the page's own metadata."""

    text: str
    head_text: str
    hints: PageHints
    attachments: tuple[Attachment, ...]
    not_article: str | None = None  # why the page is no article, when it is none


def _meta(soup: BeautifulSoup, names: tuple[str, ...]) -> str | None:
    for name in names:
        tag = soup.find("meta", attrs={"name": name}) or soup.find("meta", attrs={"property": name})
        content = tag.get("content") if isinstance(tag, Tag) else None
        if isinstance(content, str) and content.strip():
            return content.strip()
    return None


def _names(tag: Tag) -> str:
    """The id and classes of a tag as one string."""
    values = [tag.get("id"), tag.get("class")]
    return " ".join(v if isinstance(v, str) else " ".join(v) for v in values if v)


def _decompose_outermost(tags: list[Tag]) -> None:
    """Decompose tags, skipping those inside another one: a destroyed tree is not walked again."""
    ids = {id(tag) for tag in tags}
    for tag in [tag for tag in tags if not any(id(parent) in ids for parent in tag.parents)]:
        tag.decompose()


def _drop_furniture(soup: BeautifulSoup) -> None:
    for comment in soup.find_all(string=lambda node: isinstance(node, Comment)):
        comment.extract()
    _decompose_outermost(soup.find_all(DROP_TAGS))
    tags = soup.find_all(True)
    _decompose_outermost(
        [tag for tag in tags if tag.name not in ("html", "body") and _FURNITURE.search(_names(tag))]
    )


def _non_leaves(soup: BeautifulSoup) -> set[int]:
    """Ids of the tags that contain a container: one upward walk per container, each tag marked once."""
    marked: set[int] = set()
    for container in soup.find_all(_LEAF_CONTAINERS):
        for parent in container.parents:
            if id(parent) in marked:
                break
            marked.add(id(parent))
    return marked


def _own_text(block: Tag, non_leaves: set[int]) -> tuple[int, int]:
    """Characters of text and of link text in a block's direct paragraphs."""
    total = links = 0
    for child in block.children:
        if isinstance(child, NavigableString):
            total += len(child.strip())
        elif isinstance(child, Tag) and (
            child.name in _INLINE_TAGS or (child.name in _LEAF_CONTAINERS and id(child) not in non_leaves)
        ):
            total += len(child.get_text(strip=True))
            anchors = [child] if child.name == "a" else child.find_all("a")
            links += sum(len(a.get_text(strip=True)) for a in anchors)
    return total, links


def _densest_block(soup: BeautifulSoup) -> Tag | None:
    best, best_score, non_leaves = None, 0, _non_leaves(soup)
    for block in soup.find_all(_DENSITY_CANDIDATES):
        total, links = _own_text(block, non_leaves)
        if total and links / total <= MAX_LINK_DENSITY and total - links > best_score:
            best, best_score = block, total - links
    return best


def main_block(soup: BeautifulSoup) -> Tag | None:
    """The article container: a known CMS selector, else the block with most non-link text."""
    for selector in MAIN_SELECTORS:
        found = soup.select_one(selector)
        if found is not None and len(found.get_text(strip=True)) >= 20:
            return found
    return _densest_block(soup)


def block_text(block: Tag) -> str:
    """The text of a block, one line per paragraph, table cells space-separated."""
    parts: list[str] = []
    # An explicit stack, not recursion: pages nest thousands deep, and bs4's insert is O(n).
    stack: list[tuple[PageElement, bool]] = [(block, False)]
    while stack:
        node, closing = stack.pop()
        if isinstance(node, NavigableString):
            if not isinstance(node, PreformattedString) or isinstance(node, CData):
                parts.append(str(node))
        elif isinstance(node, Tag):
            if node.name in BLOCK_TAGS:
                parts.append("\n")
            elif closing and node.name in ("td", "th"):
                parts.append(" ")
            if not closing:
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(node.contents))
    return "".join(parts)


def _head_lines(block: Tag) -> list[str]:
    """The lines of text right above the main block, where title, date and source are printed."""
    groups: list[tuple[Tag | None, list[str]]] = []
    for string in block.find_all_previous(string=True):
        if not string.strip() or string.find_parent(("head", "title")):
            continue
        parent = string.find_parent(BLOCK_TAGS)
        if groups and groups[-1][0] is parent:
            groups[-1][1].append(string.strip())
        elif len(groups) == _HEAD_LINE_LIMIT:
            break
        else:
            groups.append((parent, [string.strip()]))
    return [" ".join(reversed(parts)) for _, parts in reversed(groups)]


def _page_title(soup: BeautifulSoup, block: Tag | None) -> str | None:
    meta = _meta(soup, TITLE_META[:1])
    if meta:
        return meta
    site_title = soup.title.get_text(strip=True) if soup.title else ""
    for scope in (block, soup):
        for heading in scope.find_all("h1") if scope is not None else ():
            text = heading.get_text(" ", strip=True)
            if text and (scope is block or not site_title or text in site_title):
                return text
    parts = [part for part in _TITLE_SEPARATORS.split(site_title) if part]
    return max(parts, key=len) if parts else _meta(soup, TITLE_META[1:])


def _attachments(block: Tag, base_url: str | None) -> tuple[Attachment, ...]:
    found: dict[str, Attachment] = {}
    scope = block.parent if isinstance(block.parent, Tag) else block
    for anchor in scope.find_all("a", href=True):
        href = str(anchor["href"]).strip()
        name = anchor.get_text(" ", strip=True)
        if urlsplit(href).path.lower().endswith(ATTACHMENT_SUFFIXES) or name.lower().endswith(
            ATTACHMENT_SUFFIXES
        ):
            url = urljoin(base_url or "", href)
            found.setdefault(url, Attachment(name=name or url.rsplit("/", 1)[-1], url=url))
    return tuple(found.values())


def _link_chars(scope: Tag) -> int:
    return sum(len(a.get_text(strip=True)) for a in scope.find_all("a"))


def _not_article(soup: BeautifulSoup, block: Tag | None, attachments: tuple[Attachment, ...]) -> str | None:
    if block is None:
        return "no content block"
    total, links = len(block.get_text(strip=True)), _link_chars(block)
    if total and links / total > MAX_LINK_DENSITY:
        return f"mostly links ({links}/{total} characters): a list page"
    if attachments:
        return None
    if total - links < MIN_ARTICLE_CHARS:
        return f"only {total - links} characters of text"
    # A short block on a page of many links is a footer or a teaser on a list page, not an article.
    if total - links < SHORT_ARTICLE_CHARS and _link_chars(soup) > LIST_PAGE_LINK_RATIO * (total - links):
        return f"a list page: {_link_chars(soup)} characters of links around {total - links} of text"
    return None


def read_html(markup: str, *, base_url: str | None = None) -> HtmlPage:
    """Parse a page: its main text, the lines above it, its metadata hints and attachments."""
    soup = BeautifulSoup(markup, "lxml")
    hints_meta = (_meta(soup, DATE_META), _meta(soup, SOURCE_META))
    _drop_furniture(soup)
    block = main_block(soup)
    attachments = _attachments(block, base_url) if block is not None else ()
    hints = PageHints(title=_page_title(soup, block), published=hints_meta[0], source=hints_meta[1])
    reason = _not_article(soup, block, attachments)
    if block is None or reason:
        return HtmlPage("", "", hints, attachments, reason)
    head = "\n".join(_head_lines(block))
    return HtmlPage(block_text(block), head, hints, attachments)
