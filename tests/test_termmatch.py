"""The term matcher: the longest listed term at each position, left to right, ascii terms as whole words."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.termmatch import TermMatcher

ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
TERMS = ("生物", "生物医药", "医药", "药", "ai", "ai制药", "dna", "mrna", "car-t", "1类新药", "+")


def reference(terms: tuple[str, ...], text: str) -> list[tuple[int, str]]:
    """The rule spelled out: at each position the longest term whose ascii ends do not run on, then skip it."""
    found, position = [], 0
    while position < len(text):
        fitting = [
            term
            for term in terms
            if text.startswith(term, position)
            and not (term[0] in ALNUM and position > 0 and text[position - 1] in ALNUM)
            and not (term[-1] in ALNUM and position + len(term) < len(text) and text[position + len(term)] in ALNUM)
        ]
        if fitting:
            term = max(fitting, key=len)
            found.append((position, term))
            position += len(term)
        else:
            position += 1
    return found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("支持生物医药产业", [(2, "生物医药")]),  # the longest term wins over 生物 and 医药
        ("生物生物医药", [(0, "生物"), (2, "生物医药")]),
        ("医药药", [(0, "医药"), (2, "药")]),  # no overlaps: 药 inside 医药 is not matched again
        ("email ai", [(6, "ai")]),  # an ascii term is a whole word: not inside "email"
        ("ai制药企业", [(0, "ai制药")]),
        ("mrna疫苗与dna2", [(0, "mrna")]),  # dna runs on into the digit 2
        ("car-t疗法", [(0, "car-t")]),
        ("21类新药", [(4, "药")]),  # 1类新药 starts with a digit glued to 2
        ("", []),
    ],
)
def test_termmatch_finds_the_longest_fitting_term(text: str, expected: list[tuple[int, str]]) -> None:
    assert TermMatcher(TERMS).find(text) == expected == reference(TERMS, text)


def test_termmatch_without_terms_finds_nothing() -> None:
    assert TermMatcher([]).find("生物医药") == []


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from([*TERMS, "a", "1", " ", "-", "物", "mail", "生"]), max_size=25).map("".join))
def test_termmatch_equals_the_rule_on_any_text(text: str) -> None:
    assert TermMatcher(TERMS).find(text) == reference(TERMS, text)


OVERLAPPING = ("生物", "生物医药", "医药", "药", "医药产业", "产业", "物医", "生物医药产业园", "园", "a1")


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from([*OVERLAPPING, "生", "医", "产", "业", "x"]), max_size=15).map("".join))
def test_termmatch_equals_the_rule_where_terms_overlap(text: str) -> None:
    assert TermMatcher(OVERLAPPING).find(text) == reference(OVERLAPPING, text)
