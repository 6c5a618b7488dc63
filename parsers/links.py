"""What a document cites: titles in 《》 and document numbers, reduced to comparable keys."""

from __future__ import annotations

import re

_BOOK_TITLE = re.compile(r"《([^《》]{4,80})》")
# Quotes and spacing that differ between copies of one title.
_NOISE = re.compile(r"[\s“”\"'‘’「」『』《》〈〉]")
# 关于印发《X》的通知 / 关于印发X的通知: the substantive title X is what others cite.
_WRAPPER = re.compile(r"^(?:.*?关于)?(?:印发|转发|发布)(.+?)的(?:通知|通告|公告)$")


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


def cited_titles(text: str) -> tuple[str, ...]:
    """Keys of the titles a text names in 《》, in order of first mention."""
    return tuple(dict.fromkeys(title_key(m[1]) for m in _BOOK_TITLE.finditer(text)))
