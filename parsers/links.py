"""What a document cites: titles in 《》 and document numbers (发文字号), reduced to comparable keys."""

from __future__ import annotations

import re

_BOOK_TITLE = re.compile(r"《([^《》]{4,80})》")
# Quotes and spacing that differ between copies of one title.
_NOISE = re.compile(r"[\s“”\"'‘’「」『』《》〈〉]")
# Titles that wrap another document, whose title X is then also a key of theirs (the title folded):
# a notice issuing it, and an order promulgating it. Any other title quoting 《X》 (a news story
# 国家发改委发布《X》) is not X, and citing X must not link to it.
_WRAPPERS: tuple[re.Pattern[str], ...] = (
    # 关于印发《X》的通知, 科技部…印发《X》的通知, 关于发布X的公告.
    re.compile(r"^.*?(?:印发|转发|发布|公布)(.+?)的(?:通知|通告|公告)$"),
    # An order's title: 《粮食流通行政执法办法》2026年第40号令.
    re.compile(r"^(.+?)(?:(?:19|20)\d{2}年)?第[\d一二三四五六七八九十百零〇]+号令$"),
    # 科学技术部令第24号科学技术活动违规行为调查处理规定, 商务部、…令2024年第3号外国投资者…办法.
    re.compile(r"^[\u4e00-\u9fff、]{1,60}?令(?:(?:19|20)\d{2}年)?第[\d一二三四五六七八九十百零〇]+号(.{4,})$"),
)
# 发文字号: issuer code, year in brackets (any of the bracket forms copies use), number, 号.
_DOC_NUMBER = re.compile(
    r"([\u4e00-\u9fff]{1,12})\s*[〔［\[（(【]\s*((?:19|20)\d{2})\s*[〕］\]）)】]\s*第?\s*(\d{1,5})\s*号"
)
# An order's number after 令: 令第782号, 令（第16号）, 令2024年第3号, 令 二〇二四年 第3号, 令第四十三号.
_ORDER_NUMBER = re.compile(
    r"令\s*[（(]?\s*(?:((?:19|20)\d{2}|[〇零一二三四五六七八九]{4})\s*年\s*)?第\s*([\d一二三四五六七八九十百零〇]{1,7})\s*号"
)
_DIGITS = {
    char: value
    for value, chars in enumerate(("〇零", "一", "二", "三", "四", "五", "六", "七", "八", "九"))
    for char in chars
}
_UNITS = {"十": 10, "百": 100}
_ORDER_CODE_MAX = 20  # a document's own order number names its whole issuer (国务院国有资产监督管理委员会)
_YEAR_NUMBER = re.compile(r"[〔［\[（(【]\s*((?:19|20)\d{2})\s*[〕］\]）)】]\s*第?\s*(\d{1,5})\s*号")
_CODE_TAIL = re.compile(r"[\u4e00-\u9fff]{1,12}$")
_MIN_CODE = 2  # an issuer code has at least two characters (国发, 粤府): shorter suffixes are not keys


def title_key(title: str) -> str:
    """A title folded for comparison: no quotes, brackets or spaces."""
    return _NOISE.sub("", title)


def title_keys(title: str | None) -> tuple[str, ...]:
    """Every key a document can be cited by: its title, and the title of the document it wraps."""
    if not title:
        return ()
    folded = title_key(title)
    keys = [folded]
    wrapped = next((match for pattern in _WRAPPERS if (match := pattern.match(folded))), None)
    if wrapped:
        keys.append(wrapped[1])
    return tuple(dict.fromkeys(k for k in keys if len(k) >= 4))


def number_key(doc_number: str | None) -> str | None:
    """A 发文字号 folded for comparison: 〔〕 brackets, Arabic order numbers, no spaces; None when it is not one."""
    match = _DOC_NUMBER.search(doc_number or "")
    if match:
        return f"{match[1]}〔{match[2]}〕{match[3]}号"
    orders = _orders(doc_number or "", code_max=_ORDER_CODE_MAX)
    return orders[0][0] + orders[0][1] if orders else None


def cited_numbers(text: str) -> tuple[str, ...]:
    """Keys of the 发文字号 a text names: each with every issuer-code suffix, since the code's start is unknown."""
    keys: dict[str, None] = {}
    numbers = [(code, f"〔{year}〕{number}号") for code, year, number in _numbers(text)] + _orders(text)
    for code, tail in numbers:
        for start in range(len(code) - _MIN_CODE + 1):
            keys[code[start:] + tail] = None
    return tuple(keys)


def _arabic(numeral: str) -> str:
    """A number written in Chinese numerals (四十三, 二〇二四) in Arabic digits; digits stay as they are."""
    if numeral.isdigit():
        return str(int(numeral))
    if "十" not in numeral and "百" not in numeral:  # a year or a number read digit by digit
        return "".join(str(_DIGITS[char]) for char in numeral)
    total, current = 0, 0
    for char in numeral:
        if char in _UNITS:
            total += (current or 1) * _UNITS[char]
            current = 0
        else:
            current = _DIGITS[char]
    return str(total + current)


def _orders(text: str, *, code_max: int = 12) -> list[tuple[str, str]]:
    """(issuer code, 令…号 tail) of each order number in a text (国务院令第782号, 商务部…令2024年第3号).

    Found from 令 and the number after it, then the code read backwards, as `_numbers` does; 中华人民共和国
    opening a code is dropped (numbers are cited without it) unless nothing else is left.
    """
    found = []
    tail_pattern = re.compile(f"[\u4e00-\u9fff]{{1,{code_max}}}$")
    for match in _ORDER_NUMBER.finditer(text):
        code = tail_pattern.search(text[max(0, match.start() - code_max - 1) : match.start()].rstrip())
        if code:
            name = code[0].removeprefix("中华人民共和国") or code[0]
            year = f"{_arabic(match[1])}年" if match[1] else ""
            found.append((name, f"令{year}第{_arabic(match[2])}号"))
    return found


def _numbers(text: str) -> list[tuple[str, str, str]]:
    """(issuer code, year, number) of each 发文字号 in a text, as `_DOC_NUMBER.finditer` finds them.

    Found from the bracketed year, then the code read backwards: a scan that tries the code pattern
    at every Han character costs ten times more on a long text that holds none.
    """
    found, done = [], 0
    for match in _YEAR_NUMBER.finditer(text):
        before = text[done : match.start()].rstrip()
        code = _CODE_TAIL.search(before)
        if code:
            found.append((code[0], match[1], match[2]))
            done = match.end()
    return found


def cited_titles(text: str) -> tuple[str, ...]:
    """Keys of the titles a text names in 《》, in order of first mention."""
    return tuple(dict.fromkeys(title_key(m[1]) for m in _BOOK_TITLE.finditer(text)))
