"""Finding listed terms in text: the longest term at each position, left to right, without overlaps.

One Aho-Corasick automaton (`pyahocorasick`, in C) scans the text once for the leftmost longest terms;
where that picks a term with an ascii end (whose whole-word rule it does not know), every occurrence
is found and weighed in a short Python loop instead. The trie-shaped regex it replaces tried
its root alternation at every position of the text whose character starts some term (most Chinese
characters of a policy text), a quarter of a page's classification time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ahocorasick import Automaton  # type: ignore[import-not-found]  # pyahocorasick ships no type hints

__all__ = ["TermMatcher"]

_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


class TermMatcher:
    """Matches lowercase terms in lowercased text; an ascii term matches whole words only ("ai" not in "mail")."""

    def __init__(self, terms: Iterable[str]) -> None:
        import ahocorasick  # deferred: importing the parsers' records must stay cheap

        self._automaton: Automaton | None = None
        listed = set(terms)
        if listed:
            self._automaton = ahocorasick.Automaton()
            for term in listed:  # the term, and whether an end of it is an ascii letter or digit
                self._automaton.add_word(term, (term, term[0] in _ASCII_ALNUM or term[-1] in _ASCII_ALNUM))
            self._automaton.make_automaton()

    def find(self, text: str) -> list[tuple[int, str]]:
        """(start, term) of each match, in text order: at each position the longest term that fits, then past it."""
        if self._automaton is None:
            return []
        # The automaton's own leftmost-longest scan, in C, is the answer unless it picked a term with an ascii
        # end: only such a pick can break the whole-word rule (dropping an occurrence the scan did not pick
        # changes nothing it picked), and then every occurrence is weighed in Python.
        picked = list(self._automaton.iter_long(text))
        if not any(ascii_end for _, (_, ascii_end) in picked):
            return [(last + 1 - len(term), term) for last, (term, _) in picked]
        return self._find_whole_words(text)

    def _find_whole_words(self, text: str) -> list[tuple[int, str]]:
        """`find` weighing every occurrence: the longest whole-word term at each position, then past it."""
        assert self._automaton is not None
        longest: dict[int, str] = {}
        for last, (term, ascii_end) in self._automaton.iter(text):
            start = last + 1 - len(term)
            if (start not in longest or len(term) > len(longest[start])) and (
                not ascii_end or _whole_words(text, start, last + 1, term)
            ):
                longest[start] = term
        matches: list[tuple[int, str]] = []
        reach = 0
        for start in sorted(longest):
            if start >= reach:
                matches.append((start, longest[start]))
                reach = start + len(longest[start])
        return matches


def _whole_words(text: str, start: int, end: int, term: str) -> bool:
    """False when an ascii letter or digit at an end of the term runs on into the text around it."""
    if term[0] in _ASCII_ALNUM and start > 0 and text[start - 1] in _ASCII_ALNUM:
        return False
    return not (term[-1] in _ASCII_ALNUM and end < len(text) and text[end] in _ASCII_ALNUM)
