"""Word segmentation for keywords: jieba's dictionary and rules, cut by jieba-rs (`rjieba`).

jieba-rs embeds jieba's own dictionary and cuts the same words (without the HMM) about a hundred times
faster than jieba's Python: jieba took half of a document's parse time. Taxonomy terms are kept whole
the way `jieba.Tokenizer.suggest_freq(term, tune=True)` keeps them, with the frequencies jieba would
give, computed from jieba's bundled `dict.txt`; the IDF table is jieba's bundled `idf.txt`. Neither
Python package is imported until a segmenter is first built, and jieba's Python never is (it cost
~75 MB and ~1.5 s per process).
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rjieba import Jieba

__all__ = ["Segmenter", "jieba_idf", "segmenter_keeping"]

_ONLY_HAN = re.compile(r"[\u4e00-\u9fff]{2,}")
# A private-use character: no block of text jieba cuts holds it, so its frequency only adds to the total.
_NEVER_IN_TEXT = "\ue000"


@dataclass(slots=True)
class _Frequencies:
    """What tuning terms reads of jieba's FREQ table: the entries of the terms' substrings, and the total.

    jieba also keeps each prefix of a word as an entry of frequency 0, and a segment that is no entry
    counts 1. Only single characters can be such segments (a longer segment of a cut is a word), so
    `first_chars` (the zero entries of one character) is all of that jieba's tuning can read.
    """

    freq: dict[str, int]
    total: int
    first_chars: set[str] = field(default_factory=set)

    def get(self, word: str) -> int:
        """jieba's `FREQ.get(word, 1)` (for a term itself, 1 where jieba has 0: its tuning takes the larger)."""
        found = self.freq.get(word)
        if found is not None:
            return found
        return 0 if word in self.first_chars else 1

    def add(self, word: str, freq: int) -> int:
        """jieba's `add_word(word, freq)`; returns the frequency the word had (0 if none)."""
        old = self.freq.get(word, 0)
        self.freq[word] = freq
        self.total += freq  # in jieba the total grows by freq even when the word had a frequency already
        self.first_chars.add(word[0])
        return old


class Segmenter:
    """jieba's precise mode without the HMM (`cut(text, HMM=False)`), taxonomy terms kept whole."""

    def __init__(self, terms: Iterable[str]) -> None:
        import rjieba  # deferred: its dictionary costs ~60 MB, paid only where text is segmented

        self._jieba: Jieba = rjieba.Jieba()
        han = [term for term in terms if _ONLY_HAN.fullmatch(term)]  # jieba cuts no others
        frequencies = _read_frequencies(_jieba_file("dict.txt"), han)
        surplus = 0  # what jieba's total holds beyond jieba-rs's, which replaces a word's old frequency
        for term in han:
            freq = self._suggest_freq(frequencies, term)
            surplus += frequencies.add(term, freq)
            self._jieba.add_word(term, freq, None)
            if surplus:
                # The total weighs every word of a cut: a smaller one splits words jieba keeps (光路 -> 光 路).
                self._jieba.add_word(_NEVER_IN_TEXT, surplus, None)

    def cut(self, text: str) -> Sequence[str]:
        """The words of the text, in order (punctuation and spaces are words too, as in jieba)."""
        return self._jieba.cut(text, False)

    def _suggest_freq(self, frequencies: _Frequencies, term: str) -> int:
        """jieba's `suggest_freq(term, tune=True)`: just enough frequency to beat the term's own cut."""
        share = 1.0
        for segment in self._jieba.cut(term, False):
            share *= frequencies.get(segment) / frequencies.total
        return max(int(share * frequencies.total) + 1, frequencies.get(term))


def segmenter_keeping(terms: Iterable[str]) -> Segmenter:
    """A segmenter that never cuts these terms (Han-only ones, as jieba's suggest_freq)."""
    return Segmenter(terms)


@cache
def jieba_idf() -> tuple[dict[str, float], float]:
    """jieba's bundled IDF table and its median, as `jieba.analyse` loads them."""
    idf: dict[str, float] = {}
    with _jieba_file("analyse/idf.txt").open(encoding="utf-8") as lines:  # line by line: no 50 MB peak
        for line in lines:
            word, value = line.split()
            idf[word] = float(value)
    return idf, sorted(idf.values())[len(idf) // 2]


def _read_frequencies(path: Path, terms: Sequence[str]) -> _Frequencies:
    """jieba's FREQ entries for the terms' substrings (what tuning them can read), and jieba's total."""
    wanted = {term[i:j] for term in terms for i in range(len(term)) for j in range(i + 1, len(term) + 1)}
    freq: dict[str, int] = {}
    first_chars: set[str] = set()
    total = 0
    with path.open(encoding="utf-8") as lines:  # line by line: the whole table at once was a 60 MB peak
        for line in lines:
            word, count = line.split(" ", 2)[:2]  # word freq [tag]
            total += int(count)  # every line, as jieba counts it (B超 is listed twice)
            first_chars.add(word[0])
            if word in wanted:
                freq[word] = int(count)
    return _Frequencies(freq, total, first_chars)


def _jieba_file(name: str) -> Path:
    """A data file of the installed jieba package, found without importing it."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("jieba (its dictionary and IDF table) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / name
