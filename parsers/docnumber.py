"""发文字号 in every form official documents print it: bracketed numbers, 令 numbers, headers and notes.

Forms, most common first: 发改高技〔2021〕1850号 (also with [2026], ［2026］ or （2026） brackets: written
back with 〔〕); 令 numbers of orders: 国务院令第782号, 科学技术部令第23号, 国令第847号, 中华人民共和国主席令第四十三号,
国家广播电视总局令（第16号）, joint orders 商务部、…令2024年第3号; a 令's header printed as lines
(中华人民共和国国家发展和改革委员会令 / 第41号); the note under a regulation's title
（2015年10月29日证监会令第118号公布 …）. Patterns are data; the functions only apply them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# 发文字号: 发改高技〔2021〕1850号, 国办发[2019]2号, 国办发（2019）2号, 粤科规范字〔2024〕1号.
BRACKETED = re.compile(
    r"([\u4e00-\u9fff]{1,12})\s*[〔\[［(（【]\s*((?:19|20)\d{2})\s*[〕\]］)）】]\s*第?\s*(\d{1,5})\s*号"
)
# What every 发文字号 holds: a bracket and a year. BRACKETED opens with a run of CJK characters, tried at every
# character of a text (up to 12 each); a scan for this finds first whether there is anything to match.
_BRACKETED_YEAR = re.compile(r"[〔\[［(（【]\s*(?:19|20)\d{2}")
# Words that end the running text before a 发文字号 glued to it (…的通知国办发〔2019〕2号).
_NUMBER_PREFIX_CUT = re.compile(r".*(?:的|通知|印发|转发|文号|字号|》)")
_NUM = r"[\d一二三四五六七八九十百零〇]{1,7}"
_YEAR = r"(?:(?:19|20)\d{2}|[〇零一二三四五六七八九]{4})"
# An order's number: 令第782号, 令（第16号）, 令2024年第3号, 令 二〇二四年 第3号.
_ORDER_NUMBER = rf"\s*[（(]?\s*(?:{_YEAR}\s*年\s*)?第\s*{_NUM}\s*号\s*[）)]?"
ORDER = re.compile(rf"([\u4e00-\u9fff、]{{1,60}})令(?={_ORDER_NUMBER})({_ORDER_NUMBER})")
# A title ending in its order number: 《粮食流通行政执法办法》 2026年第40号令.
ORDER_SUFFIX = re.compile(rf"((?:{_YEAR}\s*年\s*)?第\s*{_NUM}\s*号令)\s*$")
# Running text before an issuer glued to an order number: dates, and words that open a clause (not 和, 及:
# organ names hold them, 国家发展和改革委员会).
_ORDER_PREFIX_CUT = re.compile(r".*(?:[年月日的]|根据|按照|依照|废止|经|由)")
# The line of an order's header that carries its number: 第41号, 二〇二四年 第3号, （第16号）.
_NUMBER_LINE = re.compile(rf"^[（(]?\s*(?:{_YEAR}\s*年\s*)?第\s*{_NUM}\s*号\s*[）)]?$")
_HEADER_WINDOW = 12  # an order's header is printed at the top: its number line is among the first lines
_HEADER_LINE_MAX = 30
_SENTENCE_MARKS = re.compile(r"[，。；：:,;！？]")
# 中华人民共和国 opens the name of a State organ in a header (中华人民共和国国务院令); the number is cited
# without it (国务院令第782号) unless what follows is no organ (中华人民共和国主席令: the President's).
_STATE = "中华人民共和国"
_ORGAN_END = re.compile(r"(?:部|委员会|委|院|局|署|行|办公厅|办公室|总局|监会|政府)$")
# The note under a regulation's title: （2015年10月29日证监会令第118号公布 根据…修订）; the first 公布 counts.
_NOTE = re.compile(
    r"^[（(].{0,40}?(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)?([^（()）]{0,30}?令"
    + _ORDER_NUMBER
    + r")\s*(?:公布|发布)"
)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class OrderHeader:
    """What the header printed above an order's text says: its number and its issuing organs."""

    number: str
    organs: tuple[str, ...]


def _tight(text: str) -> str:
    return _SPACE.sub("", text)


def find_doc_number(text: str) -> str | None:
    """The first bracketed 发文字号 of a text, written canonically as 发改高技〔2021〕1850号."""
    match = BRACKETED.search(text) if _BRACKETED_YEAR.search(text) else None
    if not match:
        return None
    prefix = _NUMBER_PREFIX_CUT.sub("", match.group(1))
    return f"{prefix}〔{match.group(2)}〕{match.group(3)}号" if prefix else None


def from_cell(value: str) -> str | None:
    """A labelled 发文字号 cell, whatever its form: brackets written 〔〕, spaces folded; empty means none."""
    value = _SPACE.sub(" ", value).strip()
    if not value:
        return None
    bracketed = BRACKETED.fullmatch(_tight(value))
    return find_doc_number(_tight(value)) if bracketed else value


def organ_name(name: str) -> str:
    """An organ as a number cites it: 中华人民共和国 dropped when an organ name follows it."""
    name = _tight(name)
    rest = name.removeprefix(_STATE)
    return rest if rest != name and _ORGAN_END.search(rest) else name


def order_number(text: str) -> str | None:
    """The first 令 number of a text, its issuer cut from the running text before it (国务院令第782号)."""
    for match in ORDER.finditer(text):
        issuer = _ORDER_PREFIX_CUT.sub("", match.group(1))
        if issuer:
            return f"{organ_name(issuer)}令{_tight(match.group(2)).strip('（）()')}"
    return None


def title_number(title: str) -> str | None:
    """A title's number: 科学技术部令第23号 …, …（国务院令第782号第四次修订）, 《…》 2026年第41号令, or bracketed."""
    suffix = ORDER_SUFFIX.search(title)
    return order_number(title) or (_tight(suffix.group(1)) if suffix else None) or find_doc_number(title)


def title_organs(title: str) -> tuple[str, ...]:
    """Issuers a joint order names before its number in the title (商务部、中国证监会…令2024年第3号 …)."""
    match = ORDER.match(_tight(title))
    organs = tuple(organ_name(part) for part in match.group(1).split("、")) if match else ()
    return organs if organs and all(_ORGAN_END.search(organ) for organ in organs) else ()


def order_header(lines: list[str]) -> OrderHeader | None:
    """The header above an order's text: organ lines, one ending in 令, then the number line."""
    for index, line in enumerate(lines[:_HEADER_WINDOW]):
        if not _NUMBER_LINE.match(line):
            continue
        start = index
        while start > 0 and len(lines[start - 1]) <= _HEADER_LINE_MAX and not _SENTENCE_MARKS.search(lines[start - 1]):
            start -= 1
        header = [_tight(line) for line in lines[start:index]]
        if not any(line.endswith("令") for line in header):
            return None
        organs = tuple(organ_name(line.removesuffix("令")) for line in header)
        if len(header) > 1:  # a joint order: the number is no one organ's, it is printed as the header shows it
            return OrderHeader(f"令 {_SPACE.sub(' ', line).strip()}", organs)
        return OrderHeader(f"{organs[0]}令{_tight(line)}", organs if _ORGAN_END.search(organs[0]) else ())
    return None


def note_number(lines: list[str]) -> tuple[str | None, str | None]:
    """The order number and date of a regulation's note (（2015年10月29日证监会令第118号公布 …）), if it has one."""
    for line in lines[:3]:
        match = _NOTE.match(line)
        if match:
            return order_number(match.group(2)), match.group(1)
    return None, None
