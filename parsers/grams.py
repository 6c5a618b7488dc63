"""Search's character fold and bigrams (pure; the traditional→simplified table is data, numpy loads on use).

`fold` maps one character to one character, so a position in the folded text is the same position in the
stored text: traditional → simplified (parsers/t2s_chars.txt, from OpenCC), full-width → half-width, case.
Documents and queries get the same fold, so `發展`, `ＣＡＲ－Ｔ` and `car-t` find `发展` and `CAR-T`.

A gram is two neighbouring characters of the folded text, as Lucene's CJK analyzer and Elasticsearch's
bigram filters index Chinese: unlike jieba's words, a bigram index cannot miss a word glued into a longer
one (合成生物 inside 合成生物制造). Whitespace and the end of a text are the END mark: the gram (c, END)
means "c before a space or the end", so every character of a text is the first character of a gram and a
one-character query is a range of keys. Grams starting with whitespace are not kept.

Each (text, gram) also carries a positional signature, its MASK: bit p mod 8 set for every position p the gram
starts at. A word's grams at offsets 0, 1, 2 … can only be neighbours in a text if their masks, rotated back
by their offsets, share a bit (`aligned`): a cheap filter, exact in what it rejects, for the documents that
hold every bigram of 人才引进 but never the four characters together.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "END",
    "GramRows",
    "QueryGrams",
    "aligned",
    "fold",
    "fold_table",
    "gram_key",
    "gram_range",
    "gram_rows",
    "grams",
    "query_grams",
    "query_parts",
    "rotated",
]

END = 0  # stands for whitespace and the end of a text
SHIFT = 21  # bits of a code point (max 0x10FFFF): key = first << SHIFT | second, at most 42 bits
# Characters handled at once: a 9 MB single-line page is cut into pieces of this size before any counting,
# so its gram arrays stay ~100 MB whatever the page (a gram straddling two pieces is counted in the first).
PIECE = 1 << 20
MASK_BITS = 8  # positions are kept mod 8 (PIECE is a multiple: a piece's positions keep their residues)
_TABLE = Path(__file__).with_name("t2s_chars.txt")
# Every character str.isspace() accepts (checked in tests): folded to END when grams are cut.
WHITESPACE = (
    "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)


@cache
def fold_table() -> dict[int, int]:
    """The fold as a str.translate table: t2s, full-width forms, then lower case (one character each)."""
    table: dict[int, int] = {}
    for line in _TABLE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            traditional, simplified = line.split("\t")
            table[ord(traditional)] = ord(simplified)
    table[0x3000] = 0x20  # the ideographic space
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII: ！ … ～
        table[code] = code - 0xFEE0
    # Lower case where it is one character (İ lowers to two: left as it is, the fold keeps lengths).
    for code in (*range(0x41, 0x250), *range(0x370, 0x530), *range(0x41 + 0xFEE0, 0x5B + 0xFEE0)):
        target = chr(table.get(code, code))
        lower = target.lower()
        if len(lower) == 1 and lower != chr(code):
            table[code] = ord(lower)
    return table


def fold(text: str) -> str:
    """Text as search compares it: simplified, half-width, lower case; same length as `text`."""
    return text.translate(fold_table())


def gram_key(first: str, second: str) -> int:
    """The integer key of a gram (`second` may be whitespace: the END mark)."""
    return ord(first) << SHIFT | (END if second.isspace() else ord(second))


def gram_range(char: str) -> tuple[int, int]:
    """Keys [low, high) of every gram starting with `char`: the documents holding a one-character part."""
    low = ord(char) << SHIFT
    return low, low + (1 << SHIFT)


def grams(text: str) -> dict[int, int]:
    """Gram key → count in one text (folded here), over bounded pieces."""
    counts: dict[int, int] = {}
    for rows in gram_rows([text]):
        for key, tf in zip(rows.keys.tolist(), rows.counts.tolist(), strict=True):
            counts[key] = counts.get(key, 0) + tf
    return counts


class QueryGrams(NamedTuple):
    """What a query part's grams require of a document: every key, a key in every range, and for each word of
    three characters or more, its grams (keys in order: offset 0, 1, …) next to each other in one field."""

    keys: tuple[int, ...]
    ranges: tuple[tuple[int, int], ...]
    words: tuple[tuple[int, ...], ...] = ()


def query_grams(part: str) -> QueryGrams:
    """Keys (and one-character ranges) a document must hold for a folded `part` to be in it."""
    keys: dict[int, None] = {}
    ranges: dict[tuple[int, int], None] = {}
    words: dict[tuple[int, ...], None] = {}
    for word in part.split():
        if len(word) == 1:
            ranges[gram_range(word)] = None
        in_order = tuple(gram_key(a, b) for a, b in pairwise(word))
        keys.update((k, None) for k in in_order)
        if len(in_order) > 1:
            words[in_order] = None
    return QueryGrams(tuple(keys), tuple(ranges), tuple(words))


def rotated(mask: int, offset: int) -> int:
    """A gram's mask as positions of the word it is `offset` characters into (bit p → bit p - offset, mod 8)."""
    shift = offset % MASK_BITS
    return ((mask >> shift) | (mask << (MASK_BITS - shift))) & ((1 << MASK_BITS) - 1)


def aligned(masks: Sequence[int]) -> bool:
    """Whether grams with these masks, at offsets 0, 1, … of a word, may stand next to each other in a text
    (False: they never do; True: they might, the text decides)."""
    common = (1 << MASK_BITS) - 1
    for offset, mask in enumerate(masks):
        common &= rotated(mask, offset)
    return common != 0


class GramRows(NamedTuple):
    """Distinct grams of some texts: for each, the index of its text, its key, its count there and its MASK
    (bit p mod 8 for every position p it starts at)."""

    texts: npt.NDArray[np.int64]
    keys: npt.NDArray[np.int64]
    counts: npt.NDArray[np.int64]
    masks: npt.NDArray[np.int64]


def gram_rows(texts: Sequence[str]) -> Iterator[GramRows]:
    """Gram counts of each text (folded here), a bounded group of pieces at a time.

    A text longer than PIECE is cut into pieces, so one text may yield rows in more than one group:
    callers sum by (text, key). Counting is numpy's: one sort per group, no Python loop over characters.
    """
    group: list[tuple[int, str, bool]] = []
    size = 0
    for index, text in enumerate(texts):
        for start in range(0, max(len(text), 1), PIECE):
            last = start + PIECE >= len(text)
            # One character more than the piece: the gram of its last character with the next one.
            group.append((index, text[start : start + PIECE + (0 if last else 1)], last))
            size += PIECE if not last else len(text) - start
            if size >= PIECE:
                yield _count(group)
                group, size = [], 0
    if group:
        yield _count(group)


def _count(pieces: list[tuple[int, str, bool]]) -> GramRows:
    import numpy as np

    # Each piece is followed by END (a text's end); a piece cut from the middle of a text drops its last
    # gram instead, the one its overlapping character starts (the next piece counts it). The fold and the
    # whitespace → END mapping are one array look-up per code point (5× str.translate).
    points = np.frombuffer("\n".join(p for _, p, _ in pieces).encode("utf-32-le") + b"\n\0\0\0", dtype=np.uint32)
    lookup = _point_table()
    inside = points < len(lookup)
    points = np.where(inside, lookup[np.where(inside, points, 0)], points).astype(np.int64)
    owner = np.repeat(np.array([i for i, _, _ in pieces], dtype=np.int64), [len(p) + 1 for _, p, _ in pieces])
    first, second = points[:-1], points[1:]
    keep = first != END
    ends = np.cumsum([len(p) + 1 for _, p, _ in pieces]) - 1  # index of each piece's END
    for (_, _, last), end in zip(pieces, ends, strict=True):
        if not last:
            keep[end - 1] = False  # (overlap character, END): not a real gram
    keys = first << SHIFT | second
    # A position in its piece: pieces start at multiples of PIECE in their text, so the residue is the text's.
    starts = np.repeat(ends - np.array([len(p) for _, p, _ in pieces]), [len(p) + 1 for _, p, _ in pieces])
    bits = np.left_shift(1, (np.arange(len(points) - 1) - starts[:-1]) % MASK_BITS)[keep]
    combined = owner[:-1][keep] << (2 * SHIFT) | keys[keep]
    order = np.argsort(combined, kind="stable")
    combined, bits = combined[order], bits[order]
    first_of = np.flatnonzero(np.r_[True, combined[1:] != combined[:-1]]) if len(combined) else np.zeros(0, np.int64)
    unique = combined[first_of]
    counts = np.diff(np.r_[first_of, len(combined)])
    masks = np.bitwise_or.reduceat(bits, first_of) if len(first_of) else bits
    return GramRows(unique >> (2 * SHIFT), unique & ((1 << (2 * SHIFT)) - 1), counts.astype(np.int64), masks)


@cache
def _point_table() -> npt.NDArray[np.uint32]:
    """Code point → folded code point below U+30000 (every character the fold table names), whitespace → END."""
    import numpy as np

    table = np.arange(0x30000, dtype=np.uint32)
    for source, target in fold_table().items():
        table[source] = target
    table[[ord(c) for c in WHITESPACE]] = END
    return table


# A query part: a "quoted phrase" (ASCII or curly quotes; it may hold spaces) or a run of non-space characters.
_PART = re.compile(r'"([^"]*)"|“([^”]*)”|(\S+)')
_STRAY_QUOTES = '"“”'


def query_parts(query: str) -> tuple[str, ...]:
    """The folded, distinct parts of a query, in order; a document matches when it holds every one."""
    parts: dict[str, None] = {}
    for quoted, curly, word in _PART.findall(fold(query)):
        part = " ".join((quoted or curly or word.strip(_STRAY_QUOTES)).split())
        if part:
            parts[part] = None
    return tuple(parts)
