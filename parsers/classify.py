"""Label a document with taxonomy topics and policy instruments; pick its keywords and summary.

Terms are matched by one Aho-Corasick automaton over the whole text, the longest term at each
position (fast, and exact for multi-token terms); topics are scored BM25-style from those hits. For
keywords, jieba's segmentation (by jieba-rs) cuts only the title and the summary (taxonomy terms
count over the whole text).

The summary (a policy's purpose clause, a report's lede) is parsers/summary.py's; it does not depend on the
taxonomy.
"""

from __future__ import annotations

import math
import re
import threading
import weakref
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter

from parsers.records import Classification, TopicLabel
from parsers.segmenter import Segmenter, jieba_idf, segmenter_keeping
from parsers.summary import summarize
from parsers.taxonomy import Scoring, Taxonomy, TaxonomyError, Topic, default_taxonomy, load_taxonomy
from parsers.termmatch import TermMatcher

__all__ = ["Taxonomy", "TaxonomyError", "classify", "default_taxonomy", "load_taxonomy"]

MAX_EVIDENCE = 5
MAX_KEYWORDS = 10
_DOMAIN_BOOST = 1.5  # a taxonomy term outranks a general word of the same tf-idf
_WORD = re.compile(r"[\u4e00-\u9fffa-z][\u4e00-\u9fffa-z0-9+\-]*")


@dataclass(frozen=True, slots=True)
class _Credit:
    """What one hit of a term earns one topic (negative for a negative term)."""

    topic: int  # index into Taxonomy.topics
    weight: float
    anchor: bool = True  # False for a context term: it counts only next to an anchored hit


class _Engine:
    """A taxonomy compiled for matching: an automaton of all terms, credits per term, a segmenter."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.credits, self.display = _term_credits(taxonomy)
        self.matcher = TermMatcher(self.credits)
        self.patterns = tuple(
            (pattern, _topic_credits(taxonomy, i, 1.0, anchor=True))
            for i, topic in enumerate(taxonomy.topics)
            for pattern in topic.patterns
        )
        # What scoring reads of each credit of a term: (topic, term as written), weight, anchor.
        self.scored = {
            term: tuple(((c.topic, self.display[term]), c.weight, c.anchor) for c in credits)
            for term, credits in self.credits.items()
        }
        self.negative = frozenset(t for t, credits in self.credits.items() if all(c.weight <= 0 for c in credits))
        self._segmenter: Segmenter | None = None
        self._lock = threading.Lock()

    def segmenter(self) -> Segmenter:
        """A segmenter that keeps every taxonomy term whole (built on first use)."""
        with self._lock:
            if self._segmenter is None:
                self._segmenter = segmenter_keeping(self.display.values())
            return self._segmenter


_ENGINES: weakref.WeakKeyDictionary[Taxonomy, _Engine] = weakref.WeakKeyDictionary()
_ENGINES_LOCK = threading.Lock()


def _engine(taxonomy: Taxonomy) -> _Engine:
    with _ENGINES_LOCK:
        engine = _ENGINES.get(taxonomy)
        if engine is None:
            engine = _ENGINES[taxonomy] = _Engine(taxonomy)
        return engine


def classify(taxonomy: Taxonomy, *, title: str, text: str) -> Classification:
    """Score a document against the taxonomy: labels, relevance, keywords and a short summary."""
    engine = _engine(taxonomy)
    title_hits = Counter(map(itemgetter(1), engine.matcher.find(title.lower())))
    body_hits = Counter(map(itemgetter(1), engine.matcher.find(text.lower())))
    scores = _score(engine, title, text, title_hits, body_hits)
    topics = _labels(taxonomy, scores, "industry")
    threshold = taxonomy.scoring.relevance_threshold
    summary = summarize(title, text)
    return Classification(
        topics=topics,
        instruments=_labels(taxonomy, scores, "instrument"),
        relevant=any(label.score >= threshold for label in topics),
        keywords=_keywords(engine, f"{title}\n{summary}", title_hits + body_hits),
        summary=summary,
        taxonomy_version=taxonomy.version,
    )


# --- scoring -------------------------------------------------------------------------------


def _score(
    engine: _Engine, title: str, text: str, title_hits: Counter[str], body_hits: Counter[str]
) -> dict[int, dict[str, float]]:
    """Per topic, the BM25 contribution of each matched term (display form)."""
    scoring = engine.taxonomy.scoring
    norm = 1 - scoring.b + scoring.b * max(len(text), scoring.min_length) / scoring.avg_length
    tfs: dict[tuple[int, str], list[float]] = {}  # (topic, term) -> [weight, weighted tf]
    context: set[tuple[int, str]] = set()  # (topic, term) pairs earned by context terms
    for hits, factor in ((title_hits, scoring.title_weight), (body_hits, 1 / norm)):
        for term, count in hits.items():
            for key, weight, anchor in engine.scored[term]:
                tfs.setdefault(key, [weight, 0.0])[1] += count * factor
                if not anchor:
                    context.add(key)
    for topic, term, weight, tf in _pattern_hits(engine, title, text, scoring.title_weight, 1 / norm):
        tfs.setdefault((topic, term), [weight, 0.0])[1] += tf
    contributions: dict[int, dict[str, float]] = {}
    for (topic, term), (weight, tf) in tfs.items():
        contributions.setdefault(topic, {})[term] = weight * _saturate(tf, scoring)
    return {topic: _anchored(topic, terms, context) for topic, terms in contributions.items()}


def _anchored(topic: int, terms: dict[str, float], context: set[tuple[int, str]]) -> dict[str, float]:
    """Context terms (人工智能, 康养) count only when the topic has a positive hit of its own kind."""
    if any(c > 0 and (topic, term) not in context for term, c in terms.items()):
        return terms
    return {term: c for term, c in terms.items() if (topic, term) not in context}


def _pattern_hits(
    engine: _Engine, title: str, text: str, title_factor: float, body_factor: float
) -> Iterable[tuple[int, str, float, float]]:
    """(topic, matched text, weight, weighted tf) for each match of a topic's regexes."""
    sources = [(source, source.lower(), factor) for source, factor in ((title, title_factor), (text, body_factor))]
    for pattern, credits in engine.patterns:
        for source, lowered, factor in sources:
            for match in pattern.finditer(lowered):
                if match.group(0) in engine.credits:
                    continue  # a listed term: the term matcher has counted it already
                # evidence as written; lower() keeps offsets unless exotic letters change length
                span = source if len(lowered) == len(source) else lowered
                for credit in credits:
                    yield credit.topic, span[match.start() : match.end()], credit.weight, factor


def _saturate(tf: float, scoring: Scoring) -> float:
    return tf * (scoring.k1 + 1) / (tf + scoring.k1)


def _labels(taxonomy: Taxonomy, scores: dict[int, dict[str, float]], facet: str) -> tuple[TopicLabel, ...]:
    """Topics of a facet scoring at least the threshold, and the ancestors of those (a vaccine is 生物医药)."""
    totals = {i: sum(c.values()) for i, c in scores.items() if taxonomy.topics[i].facet == facet}
    chosen = {i for i, score in totals.items() if score >= taxonomy.scoring.label_threshold}
    index_of = {t.id: i for i, t in enumerate(taxonomy.topics)}
    chosen |= {index_of[a.id] for i in chosen for a in taxonomy.ancestors(taxonomy.topics[i])}
    labels = [_label(taxonomy.topics[i], totals.get(i, 0.0), scores.get(i, {}), facet) for i in chosen]
    return tuple(sorted(labels, key=lambda label: (-label.score, label.topic_id)))


def _label(topic: Topic, score: float, contributions: dict[str, float], facet: str) -> TopicLabel:
    ranked = sorted((c, term) for term, c in contributions.items() if c > 0)
    evidence = tuple(term for _, term in reversed(ranked[-MAX_EVIDENCE:]))
    return TopicLabel(topic=topic.name, topic_id=topic.id, score=score, evidence=evidence, facet=facet)


# --- keywords ------------------------------------------------------------------------


def _keywords(engine: _Engine, window: str, hits: Counter[str]) -> tuple[str, ...]:
    """Top tf-idf words of the window, with taxonomy terms counted over the whole text."""
    idf, median_idf = jieba_idf()
    stop = engine.taxonomy.stopwords
    counts = Counter(
        word
        for word in engine.segmenter().cut(window.lower())
        if len(word) > 1 and word not in stop and _WORD.fullmatch(word) and _positive(engine, word)
    )
    domain = {term: n for term, n in hits.items() if _positive(engine, term)}
    for term, n in domain.items():
        counts[term] = max(counts[term], n)
    ranked = sorted(
        counts.items(),
        key=lambda item: (
            -(1 + math.log(item[1])) * idf.get(item[0], median_idf) * (_DOMAIN_BOOST if item[0] in domain else 1.0)
        ),
    )
    return tuple(engine.display.get(word, word) for word, _ in ranked[:MAX_KEYWORDS])


def _positive(engine: _Engine, term: str) -> bool:
    """False for a negative taxonomy term (红色基因 is no keyword); True for any other word."""
    return term not in engine.negative


# --- compiling the taxonomy ----------------------------------------------------------------


def _topic_credits(taxonomy: Taxonomy, index: int, weight: float, *, anchor: bool) -> tuple[_Credit, ...]:
    """A topic's credit and its ancestors' (scaled by the rollup share)."""
    topic = taxonomy.topics[index]
    ids = {t.id: i for i, t in enumerate(taxonomy.topics)}
    rollup = taxonomy.scoring.rollup
    ancestors = [
        _Credit(ids[a.id], weight * rollup ** (n + 1), anchor) for n, a in enumerate(taxonomy.ancestors(topic))
    ]
    return (_Credit(index, weight, anchor), *ancestors)


def _term_credits(taxonomy: Taxonomy) -> tuple[dict[str, tuple[_Credit, ...]], dict[str, str]]:
    """lowercased term -> credits (the strongest per topic), and lowercased term -> as written."""
    best: dict[str, dict[int, _Credit]] = {}
    display: dict[str, str] = {}
    for index, topic in enumerate(taxonomy.topics):
        for term, weight, anchor in _weighted_terms(topic, taxonomy.scoring):
            key = term.lower()
            display.setdefault(key, term)
            per_topic = best.setdefault(key, {})
            for credit in _topic_credits(taxonomy, index, weight, anchor=anchor):
                old = per_topic.get(credit.topic)
                if old is None or (abs(credit.weight), credit.anchor) > (abs(old.weight), old.anchor):
                    per_topic[credit.topic] = credit
    return {key: tuple(per_topic.values()) for key, per_topic in best.items()}, display


def _weighted_terms(topic: Topic, scoring: Scoring) -> Iterable[tuple[str, float, bool]]:
    """(term, weight, anchor) of every term of a topic; negative terms subtract."""
    yield from ((term, 1.0, True) for term in topic.keywords)
    yield from ((term, scoring.synonym_weight, True) for term in topic.synonyms)
    yield from ((term, scoring.context_weight, False) for term in topic.context)
    yield from ((term, -scoring.negative_weight, True) for term in topic.negative)
