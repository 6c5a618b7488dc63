"""Document metadata from normalised text: title, dates, issuers, 发文字号, 索引号, type, regions, source.

Patterns are data (module-level tuples, first match wins); the functions below only apply them.
`raw` is the normalised text before boilerplate removal (its header lines carry 发布时间, 来源…),
`body` the text after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from parsers.records import ParseOptions
from parsers.regions import find_regions, level_of

# Full dates, most explicit form first.
DATE_PATTERNS: tuple[re.Pattern[str], ...] = (
    # 2024年2月7日, also spaced out by PDF text extraction.
    re.compile(r"(?<!\d)(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"),
    # 2024-06-30, 2024/6/30, 2024.06.30, possibly followed by a time (CMS info lines, meta tags).
    re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)"),
    # 20240630: compact dates of meta tags and URLs.
    re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)"),
)
# Labels CMSs print before the publication date; only looked for in the first lines.
_PUBLISHED_LABEL = re.compile(
    r"(?:^|\s)(?:发布时间|发布日期|发表于|发表时间|发文日期|公开日期|上传时间|时间|日期)\s*[:：]\s*(.{6,24})"
)
_SIGNED_LABEL = re.compile(r"成文日期\s*[:：]\s*(.{6,24})")
# A date followed by a time of day: the publication stamp CMSs print under a headline.
_DATE_TIME = re.compile(
    r"(?<!\d)\d{4}(?:年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[-/.]\d{1,2}[-/.]\d{1,2})\s*\d{1,2}[:：时]\d{2}"
)
_STAMP_LINE_MAX = 80
_HEAD_LINES = 15
# News datelines: 北京6月19日电, 新华社北京6月19日电, 本报北京2024年6月19日讯.
_DATELINE = re.compile(
    r"^(?:[【\[(（][^】\])）]{1,12}[】\])）])?\s*[\u4e00-\u9fff]{0,12}?(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日\s*(?:电|讯)"
)
# Years the text speaks of, to date a dateline; 到2030年 / 至2035年 are targets, not the present.
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
_TARGET_BEFORE = ("到", "至")

# Signature blocks: organisation lines right above a date line (seed 003's three departments).
_ORG = re.compile(
    r"^[\u4e00-\u9fff（）()·]{2,30}(?:厅|局|委员会|委|部|院|办公厅|办公室|人民政府|政府|中心|署|总局|银行|协会|联合会|小组|管委会)$"
)
DATE_LINE = re.compile(r"^[(（]?\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*[)）]?$")

# 发文字号: 发改高技〔2021〕1850号, 国办发[2019]2号, 国办发（2019）2号, 粤科规范字〔2024〕1号.
_DOC_NUMBER = re.compile(
    r"([\u4e00-\u9fff]{1,12})\s*[〔\[［(（【]\s*((?:19|20)\d{2})\s*[〕\]］)）】]\s*第?\s*(\d{1,5})\s*号"
)
# Words that end the running text before a 发文字号 glued to it (…的通知国办发〔2019〕2号).
_NUMBER_PREFIX_CUT = re.compile(r".*(?:的|通知|印发|转发|文号|字号|》)")
_DOC_NUMBER_WINDOW = 500
_INDEX_NUMBER = re.compile(r"索引号\s*[:：]\s*([0-9A-Za-z][0-9A-Za-z/_.\-]{3,60})")
_SOURCE = re.compile(r"(?:^|\s)(?:来源|信息来源|文章来源|稿件来源)\s*[:：]\s*([^\s:：|,，]{2,30})")

# 关于印发《X》的通知: the document is X; the notice only wraps it.
_WRAPPER = re.compile(r"关于(?:印发|转发|发布|公布|下发|修订印发)(.+?)的(?:通知|函|公告)$")
_TRIAL = re.compile(r"[(（](?:试行|暂行|修订|修订版|征求意见稿|草案|\d{4}年[^)）]{0,6})[)）]$")
# Title endings to document types, longest first where one ends another (行动计划 before 计划).
DOC_TYPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"行动计划$"), "行动计划"),
    (re.compile(r"方案$"), "方案"),
    (re.compile(r"意见$"), "意见"),
    (re.compile(r"(规划|规划纲要|纲要)$"), "规划"),
    (re.compile(r"细则$"), "细则"),
    (re.compile(r"办法$"), "办法"),
    (re.compile(r"(措施|举措)$"), "措施"),
    (re.compile(r"规定$"), "规定"),
    (re.compile(r"条例$"), "条例"),
    (re.compile(r"决定$"), "决定"),
    (re.compile(r"(指南|指引)$"), "指南"),
    (re.compile(r"要点$"), "要点"),
    (re.compile(r"计划$"), "计划"),
    (re.compile(r"目录$"), "目录"),
    (re.compile(r"清单$"), "清单"),
    (re.compile(r"公告$"), "公告"),
    (re.compile(r"通告$"), "通告"),
    (re.compile(r"批复$"), "批复"),
    (re.compile(r"通知$"), "通知"),
    (re.compile(r"函$"), "函"),
    (re.compile(r"报告$"), "报告"),
)
_INTERPRETATION = re.compile(r"解读")
# A reporter's byline: (记者 吕少威), （河北日报记者 米彦泽）, 本报讯.
_BYLINE = re.compile(
    r"[(（][^()（）]{0,20}记者[^()（）]{0,20}[)）]|本报讯|记者\s*[\u4e00-\u9fff]{2,4}\s*[报摄]道"
)

_TITLE_MAX = 60
_DERIVED_TITLE_MAX = 40
_NOT_TITLE = re.compile(r"[。；;:：,，、]$|^[(（]?[一二三四五六七八九十]{1,3}[、)）]")
# Clauses that open a news lead without saying what happened: 5月10日, 近日, 今年以来.
_LEAD_TIME = re.compile(r"((\d{4}年)?\d{1,2}月\d{1,2}日(至\d{1,2}日)?|近日|日前|近期|目前|今年以来|\d{4}年)")
_GLUED_TITLE_MIN = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class PageHints:
    """What a page says about itself outside its text: meta tags, <title>, h1."""

    title: str | None = None
    published: str | None = None  # the raw value of a date meta tag
    source: str | None = None
    head_lines: tuple[str, ...] = ()  # the lines printed right above the article block
    fields: tuple[tuple[str, str], ...] = ()  # the government information table: (field, value)


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
    regions: tuple[str, ...] = ()
    original_source: str | None = None


def _valid_date(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def first_date(text: str) -> date | None:
    """The earliest valid full date written in the text, in any of DATE_PATTERNS."""
    found: list[tuple[int, date]] = []
    for pattern in DATE_PATTERNS:
        for match in pattern.finditer(text):
            value = _valid_date(*match.groups())
            if value:
                found.append((match.start(), value))
                break
    return min(found)[1] if found else None


def _labelled_date(lines: list[str], label: re.Pattern[str]) -> date | None:
    for line in lines[:_HEAD_LINES]:
        match = label.search(line)
        if match and (value := first_date(match.group(1))):
            return value
    return None


def context_year(text: str, reference: date | None) -> int | None:
    """The latest year the text speaks of (targets excluded), not after the reference date's year."""
    years = {
        int(m.group(1))
        for m in _YEAR.finditer(text)
        if text[max(m.start() - 1, 0)] not in _TARGET_BEFORE or text[max(m.start() - 2, 0)] == "截"
    }
    if reference:
        years = {year for year in years if year <= reference.year}
    return max(years) if years else (reference.year if reference else None)


def dateline_date(body: str, reference: date | None) -> date | None:
    """The date of a news dateline (北京6月19日电), its year from the text or the reference date."""
    for line in body.split("\n")[:3]:
        match = _DATELINE.match(line)
        if match:
            year = int(match.group(1)) if match.group(1) else context_year(body, reference)
            return _valid_date(str(year), match.group(2), match.group(3)) if year else None
    return None


def _header_date(lines: list[str]) -> date | None:
    """A short line opening with a date near the top: the info line of pages without labels."""
    for line in lines[:6]:
        if len(line) <= _TITLE_MAX and any(p.match(line) for p in DATE_PATTERNS):
            return first_date(line)
    return None


# Joint signatures put the bodies on one line, separated by spaces or 、.
_ORG_SEPARATOR = re.compile(r"[ 、，,]+")
# The 主送机关 line (各省、自治区、直辖市及…新疆生产建设兵团…：) names every region by rote, so it tags none.
_ADDRESSEES = re.compile(r"^各[^。\n]{0,120}[:：]$", re.MULTILINE)


def _is_org(line: str) -> bool:
    return all(_ORG.match(part) for part in _ORG_SEPARATOR.split(line))


def find_signature(lines: list[str]) -> tuple[tuple[str, ...], date | None]:
    """Issuers and 成文日期 of a signature block: organisation lines right above a date line."""
    for index, line in enumerate(lines):
        if not DATE_LINE.match(line):
            continue
        start = index
        while start > 0 and _is_org(lines[start - 1]):
            start -= 1
        if start < index:
            issuers = [part for org_line in lines[start:index] for part in _ORG_SEPARATOR.split(org_line)]
            return tuple(issuers), first_date(line)
    return (), None


def find_doc_number(text: str) -> str | None:
    """The 发文字号, written canonically as 发改高技〔2021〕1850号."""
    match = _DOC_NUMBER.search(text)
    if not match:
        return None
    prefix = _NUMBER_PREFIX_CUT.sub("", match.group(1))
    return f"{prefix}〔{match.group(2)}〕{match.group(3)}号" if prefix else None


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


def is_news(body: str) -> bool:
    """A news report: a dateline or a reporter's byline at the start or the end."""
    head = body[:200]
    if any(_DATELINE.match(line) for line in body.split("\n")[:3]):
        return True
    return bool(_BYLINE.search(head) or _BYLINE.search(body[-200:]))


def substantive_title(title: str) -> str:
    """The title of the document a notice wraps: 关于印发《X》的通知 → X, without (试行)."""
    match = _WRAPPER.search(title)
    inner = match.group(1).strip('《》〈〉“”"') if match else title
    return _TRIAL.sub("", inner).strip()


def doc_type_of(title: str | None, body: str) -> str | None:
    """政策解读, 新闻报道, or the type the (substantive) title ends with."""
    if title and _INTERPRETATION.search(title):
        return "政策解读"
    if is_news(body):
        return "新闻报道"
    if not title:
        return None
    inner = substantive_title(title)
    return next((kind for pattern, kind in DOC_TYPES if pattern.search(inner)), None)


def _title_line(lines: list[str]) -> str | None:
    first = lines[0] if lines else ""
    if 4 <= len(first) <= _TITLE_MAX and not _NOT_TITLE.search(first) and not DATE_LINE.match(first):
        return first
    return None


def derive_title(body: str) -> str | None:
    """A stand-in title for text without one: the first clause that says what happened."""
    for line in body.split("\n")[:3]:
        sentence = re.split(r"[。！？!?]", line, maxsplit=1)[0]
        clauses = [c.strip() for c in re.split(r"[,，;；:：]", sentence) if c.strip()]
        clauses = [c for c in clauses if not _LEAD_TIME.fullmatch(c)]
        if clauses:
            return clauses[0][:_DERIVED_TITLE_MAX]
    return None


def find_title(body: str) -> str | None:
    """The first line when it reads as a headline, else a title derived from the first sentence."""
    return _title_line(body.split("\n")) or derive_title(body)


def remove_title(body: str, title: str | None) -> str:
    """Drop the lines repeating the title, and a title glued to the start of the first line."""
    if not title:
        return body
    key = title.replace(" ", "")
    lines = [line for line in body.split("\n") if line.replace(" ", "") != key]
    if lines and len(title) >= _GLUED_TITLE_MIN and lines[0].startswith(title):
        lines[0] = lines[0][len(title) :].lstrip()
    return "\n".join(line for line in lines if line)


def resolve_title(body: str, *, hints: PageHints, options: ParseOptions) -> str | None:
    """The title: known from outside, else from the page's markup, else from the text."""
    return options.known_title or hints.title or find_title(body)


def stamp_date(lines: tuple[str, ...], reference: date | None, *, with_time: bool) -> date | None:
    """The date of the info line nearest above the article: a short line with a date (and a time)."""
    for line in reversed(lines):
        if len(line) > _STAMP_LINE_MAX or (with_time and not _DATE_TIME.search(line)):
            continue
        value = first_date(line)
        if value and (reference is None or value <= reference):
            return value
    return None


def _field_date(hints: PageHints, name: str) -> date | None:
    value = dict(hints.fields).get(name)
    return first_date(value) if value else None


def _published_on(raw_lines: list[str], text: str, hints: PageHints, options: ParseOptions) -> date | None:
    reference = options.reference_date
    return (
        options.known_published_on
        or (first_date(hints.published) if hints.published else None)
        or _field_date(hints, "published_on")
        or _labelled_date(raw_lines, _PUBLISHED_LABEL)
        or stamp_date(hints.head_lines, reference, with_time=True)
        or dateline_date(text, reference)
        or _header_date(raw_lines)
        or stamp_date(hints.head_lines, reference, with_time=False)
    )


def read_metadata(
    raw: str, text: str, *, title: str | None, hints: PageHints, options: ParseOptions
) -> Metadata:
    """All metadata of a page whose `text` is clean and without its title; `options` facts win."""
    raw_lines = raw.split("\n")
    fields = dict(hints.fields)
    signers, signed_on = find_signature(text.split("\n"))
    signed_on = _field_date(hints, "signed_on") or _labelled_date(raw_lines, _SIGNED_LABEL) or signed_on
    listed = tuple(_ORG_SEPARATOR.split(fields["issuers"])) if fields.get("issuers") else ()
    issuers = options.known_issuers or listed or signers or tuple(filter(None, [options.default_issuer]))
    regions = find_regions([" ".join(issuers), title or "", _ADDRESSEES.sub("", text)])
    if not regions and options.default_region:
        regions = find_regions([options.default_region]) or (options.default_region,)
    return Metadata(
        title=title,
        # A notice that prints no publication date was at the earliest published when signed.
        published_on=_published_on(raw_lines, text, hints, options) or signed_on,
        signed_on=signed_on,
        issuers=issuers,
        doc_number=options.known_doc_number
        or find_doc_number(fields.get("doc_number", ""))
        or find_doc_number(f"{title or ''}\n{raw[:_DOC_NUMBER_WINDOW]}"),
        index_number=fields.get("index_number") or find_index_number(raw[:2000]),
        doc_type=doc_type_of(title, text),
        level=level_of(issuers),
        regions=regions,
        original_source=hints.source or fields.get("source") or find_source(raw_lines),
    )
