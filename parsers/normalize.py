"""Text clean-up every page gets: simplified characters, no reading aids, no page markers, tidy lines."""

from __future__ import annotations

import re

import opencc

# Built once: loading the dictionaries costs far more than converting a page.
_T2S = opencc.OpenCC("t2s")

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_SYLLABLE = f"[a-zü{_TONED}]{{1,6}}"
# Pinyin reading aids of reposts: 發(fā)展, 經(jīng)濟 — a bracket right after a CJK character holding
# only lower-case pinyin syllables, at least one with a tone mark (so "(完)" and "(BT+IT)" stay).
_PINYIN = re.compile(
    rf"(?<=[\u3400-\u9fff\uf900-\ufaff])[(（]\s*(?=[^)）]*[{_TONED}]){_SYLLABLE}(?:\s+{_SYLLABLE}){{0,7}}\s*[)）]"
)
# PDF page numbers left in the text flow: —2—, －4－, – 5 –, even glued inside a word (打—3—下了).
# It opens with the dash and looks back from there ("not after a letter or digit"): a pattern opening with a
# character class is scanned for it in C; one opening with a look-behind is tried at every character.
_DASH_MARKER = re.compile(r"[—－–](?<![0-9A-Za-z][—－–])\s?\d{1,3}\s?[—－–](?![0-9])")
# The ASCII form "- 3 -" only with its spaces or alone on a line: "2020-3-5" is a date.
_HYPHEN_MARKER = re.compile(r"(?<![0-9A-Za-z])- \d{1,3} -(?![0-9])|^-\d{1,3}-$", re.MULTILINE)
# The cheap looks that spare most texts a rule: a regex character class or `in` scans in C; a frozenset's
# isdisjoint hashed every character of the text and cost as much as the rules.
_TONE_MARK = re.compile(f"[{_TONED}]")
_MARKER_DASHES = "—－–"
_INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")
# Every space-like character, folded to one ASCII space inside a line. Text whose only ones are single ASCII
# spaces (text read from HTML already is) is left as it is: `in` scans cost a fifth of the regex.
_ODD_SPACES = "\t\f\v\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_SPACES = re.compile(f"[ {_ODD_SPACES}]+")
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x85]")
_NEWLINE_CHARS = "\r\u2028\u2029\x85"


def to_simplified(text: str) -> str:
    """Traditional to simplified characters (OpenCC t2s)."""
    return str(_T2S.convert(text))


def strip_pinyin(text: str) -> str:
    """Remove pinyin readings in brackets after characters: 發(fā)展 → 發展."""
    # A reading has a tone mark: text without one (nearly all) is not scanned.
    return _PINYIN.sub("", text) if _TONE_MARK.search(text) else text


def strip_page_markers(text: str) -> str:
    """Remove PDF page markers such as —2— or - 3 -, wherever the text flow put them."""
    if any(dash in text for dash in _MARKER_DASHES):
        text = _DASH_MARKER.sub("", text)
    # The hyphen form needs "- " or a line opening with "-": dates and codes ("2020-3-5") alone skip the regex.
    return _HYPHEN_MARKER.sub("", text) if "- " in text or "\n-" in text or text.startswith("-") else text


def fold_whitespace(text: str) -> str:
    """One paragraph per line, single spaces inside, no blank or padded lines."""
    if any(char in text for char in _NEWLINE_CHARS):
        text = _NEWLINES.sub("\n", text)
    # The spaces are folded in the whole text at once: no space-like character is a line break.
    if any(char in text for char in _INVISIBLE_CHARS):
        text = _INVISIBLE.sub("", text)
    if "  " in text or any(char in text for char in _ODD_SPACES):
        text = _SPACES.sub(" ", text)
    lines = (line.strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def normalize_text(text: str) -> str:
    """Clean text for storage and matching: t2s, no pinyin aids, no page markers, folded whitespace."""
    return fold_whitespace(to_simplified(strip_page_markers(strip_pinyin(text))))
