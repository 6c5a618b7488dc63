"""What a document cites: titles in 《》 and document numbers (发文字号), reduced to comparable keys."""

from __future__ import annotations

import re

_BOOK_TITLE = re.compile(r"《([^《》]{4,80})》")
# Quotes and spacing that differ between copies of one title.
_NOISE = re.compile(r"[\s“”\"'‘’「」『』《》〈〉]")
# 关于印发《X》的通知 / 关于印发X的通知: the substantive title X is what others cite.
_WRAPPER = re.compile(r"^(?:.*?关于)?(?:印发|转发|发布)(.+?)的(?:通知|通告|公告)$")
# 发文字号: issuer code, year in brackets (any of the bracket forms copies use), number, 号.
_DOC_NUMBER = re.compile(
    r"([\u4e00-\u9fff]{1,12})\s*[〔［\[（(【]\s*((?:19|20)\d{2})\s*[〕］\]）)】]\s*第?\s*(\d{1,5})\s*号"
)
_YEAR_NUMBER = re.compile(r"[〔［\[（(【]\s*((?:19|20)\d{2})\s*[〕］\]）)】]\s*第?\s*(\d{1,5})\s*号")
_CODE_TAIL = re.compile(r"[\u4e00-\u9fff]{1,12}$")
_MIN_CODE = 2  # an issuer code has at least two characters (国发, 粤府): shorter suffixes are not keys


def title_key(title: str) -> str:
    """A title folded for comparison: no quotes, brackets or spaces."""
    return _NOISE.sub("", title)


def title_keys(title: str | None) -> tuple[str, ...]:
    """Every key a document can be cited by: its title and the title it wraps."""
    if not title:
        return ()
    keys = [title_key(title)]
    inner = _BOOK_TITLE.search(title)
    wrapped = _WRAPPER.match(title_key(title))
    if inner:
        keys.append(title_key(inner[1]))
    elif wrapped:
        keys.append(wrapped[1])
    return tuple(dict.fromkeys(k for k in keys if len(k) >= 4))


def number_key(doc_number: str | None) -> str | None:
    """A 发文字号 folded for comparison: 〔〕 brackets, no spaces or 第; None when it is not one."""
    match = _DOC_NUMBER.search(doc_number or "")
    return f"{match[1]}〔{match[2]}〕{match[3]}号" if match else None


def cited_numbers(text: str) -> tuple[str, ...]:
    """Keys of the 发文字号 a text names: each with every issuer-code suffix, since the code's start is unknown."""
    keys: dict[str, None] = {}
    for code, year, number in _numbers(text):
        tail = f"〔{year}〕{number}号"
        for start in range(len(code) - _MIN_CODE + 1):
            keys[code[start:] + tail] = None
    return tuple(keys)


def _numbers(text: str) -> list[tuple[str, str, str]]:
    """(issuer code, year, number) of each 发文字号 in a text, as `_DOC_NUMBER.finditer` finds them.

    Found from the bracketed year, then the code read backwards: a scan that tries the code pattern
    at every Han character costs ten times more on a long text that holds none.
    """
    found, done = [], 0
    for match in _YEAR_NUMBER.finditer(text):
        before = text[done:match.start()].rstrip()
        code = _CODE_TAIL.search(before)
        if code:
            found.append((code[0], match[1], match[2]))
            done = match.end()
    return found


def cited_titles(text: str) -> tuple[str, ...]:
    """Keys of the titles a text names in 《》, in order of first mention."""
    return tuple(dict.fromkeys(title_key(m[1]) for m in _BOOK_TITLE.finditer(text)))
