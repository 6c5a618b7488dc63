"""Search tokens: jieba segmentation that keeps every taxonomy term whole (pure; no I/O beyond jieba's dict).

Documents are cut in search mode (a long word also yields its parts: 生物经济 → 生物, 经济, 生物经济) so
that a query for a part still finds the whole; queries are cut in precise mode. Tokens cannot cross a
line break, so a document's counts are the sum of its lines' counts, and a line seen before (boilerplate,
a repost, a synthetic corpus) is never cut twice.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterable
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from parsers.classify import default_taxonomy
from parsers.normalize import normalize_text
from parsers.segmenter import tokenizer_keeping

if TYPE_CHECKING:
    from jieba import Tokenizer  # type: ignore[import-untyped]

__all__ = ["line_terms", "query_terms", "term_counts"]

# A token worth indexing: two or more Han characters, or a Latin/digit word of two or more (mRNA, CAR-T).
_KEEP = re.compile(r"[\u4e00-\u9fff]{2,}|[a-z0-9][a-z0-9+\-.]*[a-z0-9+]")
# Function words that match nearly every document: they add noise and index rows, never ranking.
STOPWORDS = frozenset(
    {
        "关于",
        "以及",
        "进一步",
        "有关",
        "我们",
        "可以",
        "其中",
        "按照",
        "根据",
        "通过",
        "对于",
        "为了",
        "一个",
        "没有",
        "这个",
        "他们",
        "以上",
        "以下",
        "之一",
        "等等",
        "如下",
        "其他",
        "各地",
        "各级",
        "有关部门",
    }
)
_LOCK = threading.Lock()
# Distinct lines remembered: boilerplate and reposts repeat across a night's documents. An entry costs
# ~7.5 KB (its term tuples), so 200 000 held 1.5 GB in a backfill's flow process; 4 096 hold ~30 MB.
LINE_CACHE = 4_096


@cache
def _tokenizer() -> Tokenizer:
    """A private jieba tokenizer that keeps the default taxonomy's terms whole (built once, about 1 s)."""
    topics = default_taxonomy().topics
    return tokenizer_keeping(term for t in topics for term in (*t.keywords, *t.synonyms, *t.context))


def _keep(tokens: Iterable[str]) -> list[str]:
    return [t for t in (tok.strip().lower() for tok in tokens) if _KEEP.fullmatch(t) and t not in STOPWORDS]


@lru_cache(maxsize=LINE_CACHE)
def line_terms(line: str) -> tuple[tuple[str, int], ...]:
    """(term, count) of one line of stored text, in search mode, sorted by term."""
    tokenizer = _tokenizer()
    with _LOCK:  # jieba's tokenizer is not safe to share between threads while it lazily loads
        tokens = list(tokenizer.cut_for_search(line, HMM=False))
    return tuple(sorted(Counter(_keep(tokens)).items()))


def term_counts(text: str) -> Counter[str]:
    """Term frequencies of a stored text (title or body), summed over its lines."""
    counts: Counter[str] = Counter()
    for line in text.split("\n"):
        if line:
            counts.update(dict(line_terms(line)))
    return counts


def query_terms(query: str) -> tuple[str, ...]:
    """The distinct search terms of a user's query, in order (traditional characters folded)."""
    text = normalize_text(query.replace('"', " ").replace("“", " ").replace("”", " "))
    tokenizer = _tokenizer()
    with _LOCK:
        tokens = _keep(tokenizer.cut(text, HMM=False))
    return tuple(dict.fromkeys(tokens))
