"""jieba tokenizers that keep given terms whole, with jieba imported only when one is first built.

Importing jieba costs ~75 MB (its HMM tables and pkg_resources): a process that never segments
text (the flow process of a large run, which parses in workers) never pays it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jieba import Tokenizer  # type: ignore[import-untyped]  # jieba ships no type hints

_ONLY_HAN = re.compile(r"[\u4e00-\u9fff]{2,}")


def tokenizer_keeping(terms: Iterable[str]) -> Tokenizer:
    """A private jieba tokenizer, initialised, that never cuts these terms (Han-only ones; jieba cuts no others)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)  # jieba prints "Building prefix dict..." to stderr otherwise
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for term in terms:
        if _ONLY_HAN.fullmatch(term):
            tokenizer.suggest_freq(term, tune=True)
    return tokenizer
