"""Document metadata from normalised text: title, dates, issuers, 发文字号, 索引号, type, regions, source.

Places fall in two lists. `regions`: where the document comes from or is aimed at (a local issuer's
region, the places its title names, a single specific addressee, a news story's own place, else the
source's region). `mentioned_regions`: the other places its text names, in order of first mention.

Patterns are data (module-level tuples, first match wins); the functions below only apply them.
`raw` is the normalised text before boilerplate removal (its header lines carry 发布时间, 来源…),
`body` the text after it. Dates are read by parsers.dates, numbers by parsers.docnumber, titles and
types by parsers.doctitle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from parsers.dates import (
    DATE_LINE,
    PUBLISHED_LABEL,
    SIGNED_LABEL,
    dateline,
    dateline_date,
    first_date,
    header_date,
    labelled_date,
    stamp_date,
)
from parsers.docnumber import (
    find_doc_number,
    from_cell,
    note_number,
    order_header,
    title_number,
    title_organs,
)
from parsers.doctitle import doc_type_of, find_title
from parsers.records import ParseOptions
from parsers.regions import find_regions, issuer_regions, level_of, single_region

# Signature blocks: organisation lines right above a date line (seed 003's three departments).
_ORG = re.compile(
    r"^[\u4e00-\u9fff（）()·]{2,30}(?:厅|局|委员会|委|部|院|办公厅|办公室|人民政府|政府|中心|署|总局|银行|协会|联合会|"
    r"小组|管委会|监会)$"
)
# Titles signatories sign with, after their organ's name or alone: 商务部 部长 王文涛 (a joint order),
# 部 长 阴和俊, 主任：郑栅洁 (an order of one organ).
SIGNER_TITLES: tuple[str, ...] = (
    "部长", "主任", "主席", "局长", "署长", "行长", "总理", "院长", "会长", "厅长", "书记", "委员长", "秘书长",
    "理事长", "省长", "市长", "县长", "区长",
)  # fmt: skip
_SIGNER = re.compile(r"^(?P<org>.{0,24}?)(?:" + "|".join(SIGNER_TITLES) + r")[:：]?[\u4e00-\u9fff·]{2,5}$")
_DOC_NUMBER_WINDOW = 500
_INDEX_NUMBER = re.compile(r"索引号\s*[:：]\s*([0-9A-Za-z][0-9A-Za-z/_.\-]{3,60})")
_SOURCE = re.compile(r"(?:^|\s)(?:来源|信息来源|文章来源|稿件来源)\s*[:：]\s*([^\s:：|,，]{2,30})")
_HEAD_LINES = 15
# Joint signatures put the bodies on one line, separated by spaces or 、.
_ORG_SEPARATOR = re.compile(r"[ 、，,]+")
# The 主送机关 line (各省、自治区、直辖市及…新疆生产建设兵团…：) names every region by rote, so it tags none;
# a joint notice's runs several hundred characters (各省…科技厅（委、局）；各金融监管局；…各金融租赁公司：).
_ADDRESSEES = re.compile(r"^各[^。\n]{0,400}[:：]$", re.MULTILINE)
# A 主送 line of bodies named one by one (海南省人民政府：) is where a 批复 or a letter goes: in the first lines.
_ADDRESSEE_LINES = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class PageHints:
    """What a page says about itself outside its text: meta tags, <title>, h1."""

    title: str | None = None
    published: str | None = None  # the raw value of a date meta tag (never the page-generation time)
    source: str | None = None
    head_lines: tuple[str, ...] = ()  # the lines printed right above the article block
    fields: tuple[tuple[str, str], ...] = ()  # the government information table: (field, value)
    publisher: str | None = None  # the organ a "…发布" line outside the body names


@dataclass(frozen=True, slots=True, kw_only=True)
class Metadata:
    """The metadata fields of an Extraction."""

    title: str | None = None
    published_on: date | None = None
    signed_on: date | None = None
    issuers: tuple[str, ...] = ()
    doc_number: str | None = None
    index_number: str | None = None
    doc_type: str | None = None
    level: str | None = None
    regions: tuple[str, ...] = ()  # issuing or target regions
    mentioned_regions: tuple[str, ...] = ()  # the other regions the text names
    original_source: str | None = None


def _is_org(line: str) -> bool:
    return all(_ORG.match(part) for part in _ORG_SEPARATOR.split(line))


def _signer(line: str) -> str | None:
    """The organ of a signatory's line (商务部 部长 王文涛 → 商务部; 主任：郑栅洁 → ''), None for other lines."""
    match = _SIGNER.match(re.sub(r"\s+", "", line))
    if match is None:
        return None
    org = match.group("org")
    return org if not org or _ORG.match(org) else None


def find_signature(lines: list[str]) -> tuple[tuple[str, ...], date | None]:
    """Issuers and 成文日期 of a signature block: organisation or signatory lines right above a date line."""
    for index, line in enumerate(lines):
        if not DATE_LINE.match(line):
            continue
        issuers: list[str] = []
        start = index
        while start > 0:
            above = lines[start - 1]
            if _is_org(above):
                issuers[:0] = _ORG_SEPARATOR.split(above)
            elif (organ := _signer(above)) is not None:
                issuers[:0] = [organ] if organ else []
            else:
                break
            start -= 1
        if start < index:
            return tuple(dict.fromkeys(issuers)), first_date(line)
    return (), None


def find_index_number(text: str) -> str | None:
    """The 索引号 of a government information disclosure page."""
    match = _INDEX_NUMBER.search(text)
    return match.group(1) if match else None


def find_source(lines: list[str]) -> str | None:
    """The 来源: of a page's info line: the outlet a repost was taken from."""
    for line in lines[:_HEAD_LINES]:
        match = _SOURCE.search(line)
        if match:
            return match.group(1).split("作者")[0] or None
    return None


def resolve_title(body: str, *, hints: PageHints, options: ParseOptions) -> str | None:
    """The title: known from outside, else from the page's markup, else from the text."""
    return options.known_title or hints.title or find_title(body)


def _field_date(hints: PageHints, name: str) -> date | None:
    value = dict(hints.fields).get(name)
    return first_date(value) if value else None


def _published_on(
    raw_lines: list[str], text: str, hints: PageHints, options: ParseOptions, note_date: date | None
) -> date | None:
    reference = options.reference_date
    return (
        options.known_published_on
        or (first_date(hints.published) if hints.published else None)
        or _field_date(hints, "published_on")
        or labelled_date(raw_lines, PUBLISHED_LABEL)
        or stamp_date(hints.head_lines, reference, with_time=True)
        # A regulation's note under its title: （2015年10月29日证监会令第118号公布 …）.
        or note_date
        or dateline_date(text, reference)
        or header_date(raw_lines)
        or stamp_date(hints.head_lines, reference, with_time=False)
    )


def _doc_number(
    fields: dict[str, str], title: str | None, raw: str, lines: list[str], options: ParseOptions
) -> str | None:
    """The 发文字号: known, else a labelled cell (an empty one means none), else printed in the document."""
    if options.known_doc_number:
        return from_cell(options.known_doc_number)
    if "doc_number" in fields:
        return from_cell(fields["doc_number"])
    header = order_header(lines)
    return (
        (header.number if header else None)
        or note_number(lines)[0]
        or title_number(title or "")
        or find_doc_number(raw[:_DOC_NUMBER_WINDOW])
    )


def _issuers(
    fields: dict[str, str],
    signers: tuple[str, ...],
    lines: list[str],
    title: str | None,
    hints: PageHints,
    options: ParseOptions,
) -> tuple[str, ...]:
    """Known issuers, else the info table's, the signature's, an order header's, the publisher line's, the title's."""
    if options.known_issuers:
        return options.known_issuers
    if fields.get("issuers"):
        return tuple(_ORG_SEPARATOR.split(fields["issuers"]))
    header = order_header(lines)
    return (
        signers
        or (header.organs if header else ())
        or tuple(filter(None, [hints.publisher]))
        or title_organs(title or "")
        or tuple(filter(None, [options.default_issuer]))
    )


def _addressee(lines: list[str]) -> str:
    """The 主送 line of bodies named one by one (海南省人民政府、国家发展改革委：), '' when there is none."""
    for line in lines[:_ADDRESSEE_LINES]:
        if line[-1:] in (":", "：") and not line.startswith("各") and _is_org(line[:-1]):
            return line
    return ""


def _story_place(text: str) -> str:
    """A news dateline's place when the story is about it, '' otherwise.

    A dateline says where the reporter filed: a story filed in 北京 on a national meeting is no 北京 story.
    It is one when its lead (the dateline's paragraph) names the place again: 北京6月19日电 …北京医药健康产业….
    """
    filed = dateline(text)
    if filed is None:
        return ""
    place, lead = filed
    return place if set(find_regions([place])) & set(find_regions([lead])) else ""


def find_places(
    issuers: tuple[str, ...], title: str | None, text: str, *, default: str | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The issuing or target regions, and the other regions the text names (in order of first mention)."""
    named = (
        *issuer_regions(issuers),
        *find_regions([title or ""]),
        *single_region(_addressee(text.split("\n"))),
        *find_regions([_story_place(text)]),
    )
    regions = tuple(dict.fromkeys(named))
    if not regions and default:
        regions = find_regions([default]) or (default,)
    spoken = _ADDRESSEES.sub("", text) if "各" in text else text  # a C scan spares most texts the regex
    return regions, tuple(tag for tag in find_regions([spoken]) if tag not in regions)


def read_metadata(raw: str, text: str, *, title: str | None, hints: PageHints, options: ParseOptions) -> Metadata:
    """All metadata of a page whose `text` is clean and without its title; `options` facts win."""
    raw_lines, lines = raw.split("\n"), text.split("\n")
    fields = dict(hints.fields)
    signers, signed_on = find_signature(lines)
    signed_on = _field_date(hints, "signed_on") or labelled_date(raw_lines, SIGNED_LABEL) or signed_on
    issuers = _issuers(fields, signers, lines, title, hints, options)
    regions, mentioned = find_places(issuers, title, text, default=options.default_region)
    note_date = note_number(lines)[1]
    return Metadata(
        title=title,
        # A notice that prints no publication date was at the earliest published when signed.
        published_on=_published_on(raw_lines, text, hints, options, first_date(note_date or "")) or signed_on,
        signed_on=signed_on,
        issuers=issuers,
        doc_number=_doc_number(fields, title, raw, lines, options),
        index_number=fields.get("index_number") or find_index_number(raw[:2000]),
        doc_type=doc_type_of(title, text, kind=fields.get("doc_kind")),
        level=level_of(issuers),
        regions=regions,
        mentioned_regions=mentioned,
        original_source=hints.source or fields.get("source") or find_source(raw_lines),
    )
