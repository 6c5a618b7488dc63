"""Label a document with taxonomy topics and policy instruments; pick its keywords and summary.

Terms are matched by one Aho-Corasick automaton over the whole text, the longest term at each
position (fast, and exact for multi-token terms); topics are scored BM25-style from those hits. For
keywords, jieba's segmentation (by jieba-rs) cuts only the title and the summary (taxonomy terms
count over the whole text).
"""

from __future__ import annotations

import math
import re
import threading
import weakref
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from operator import itemgetter

from parsers.records import Classification, TopicLabel
from parsers.segmenter import Segmenter, jieba_idf, segmenter_keeping
from parsers.taxonomy import Scoring, Taxonomy, TaxonomyError, Topic, default_taxonomy, load_taxonomy
from parsers.termmatch import TermMatcher

__all__ = ["Taxonomy", "TaxonomyError", "classify", "default_taxonomy", "load_taxonomy"]

MAX_EVIDENCE = 5
MAX_KEYWORDS = 10
MAX_SUMMARY = 120
SUMMARY_CANDIDATES = 40  # the summary comes from the first sentences: later ones rarely win anyway
_DOMAIN_BOOST = 1.5  # a taxonomy term outranks a general word of the same tf-idf
_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]*")
_CLAUSE_END = re.compile(r"[，,；;：:、]")
_WORD = re.compile(r"[\u4e00-\u9fffa-z][\u4e00-\u9fffa-z0-9+\-]*")

# Page furniture that extraction may leave behind: such a sentence is never a summary.
_CHROME = re.compile(
    "|".join(
        (
            r"(?:当前位置|当前所在|所在位置|您的位置)\s*[:：]",  # breadcrumb
            r"(?:发布时间|发表于|发布日期|来源|作者|责任编辑|浏览次数|点击数|字号)\s*[:：]",  # article metadata
            r"版权所有|ICP备|联系我们|免责声明|网站地图|主办单位|技术支持",  # footer
            r"【(?:打印|关闭|大|中|小|收藏)】|分享到",  # page tools
            r"[:：]\s*$",  # addressee line (各市人民政府：) and headings that introduce a list
        )
    )
)
# Cut out of a sentence before it can be a summary.
_NOISE = tuple(
    re.compile(rule)
    for rule in (
        r"[—–-]{1,2}\s*\d{1,3}\s*[—–-]{1,2}",  # PDF page marker left inside a sentence: —3—
        r"^[^。，,\s]{0,12}\d{1,2}月\d{1,2}日电\s*(?:[(（][^)）]{0,20}[)）])?\s*",  # dateline: 北京6月19日电 (记者 x)
        r"^[(（]记者[^)）]{0,20}[)）]\s*",  # reporter credit
    )
)


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
        self.industry_weight = {
            term: max((c.weight for c in credits if _is_industry(taxonomy, c)), default=0.0)
            for term, credits in self.credits.items()
        }
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
    body_matches = engine.matcher.find(text.lower())
    body_hits = Counter(map(itemgetter(1), body_matches))
    scores = _score(engine, title, text, title_hits, body_hits)
    topics = _labels(taxonomy, scores, "industry")
    threshold = taxonomy.scoring.relevance_threshold
    summary = _summary(engine, title, text, body_matches)
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


# --- keywords and summary ------------------------------------------------------------------


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


def _summary(engine: _Engine, title: str, text: str, matches: list[tuple[int, str]]) -> str:
    """One or two sentences, in text order, with the most topic evidence; early ones preferred."""
    cleaned = ((m.start(), m.end(), _clean_sentence(m.group(0))) for m in _SENTENCE.finditer(text))
    spans = list(islice((c for c in cleaned if c[2]), SUMMARY_CANDIDATES))  # lazily: long texts stop early
    sentences = [sentence for _, _, sentence in spans]
    starts = [position for position, _ in matches]
    candidates = [
        (_sentence_score(engine, matches, starts, start, end, len(sentence)) / (1 + index / 4), index)
        for index, (start, end, sentence) in enumerate(spans)
        if len(sentence) >= 10 and not (title.strip() and title.strip() in sentence)  # no title echo
    ]
    if not candidates:
        return _clip(sentences[0]) if sentences else ""
    ranked = sorted(candidates, key=lambda c: (-c[0], c[1]))
    best = ranked[0][1]
    chosen = [best]
    for score, index in ranked[1:3]:
        if score > 0 and len(sentences[best]) + len(sentences[index]) <= MAX_SUMMARY:
            chosen.append(index)
            break
    return _clip("".join(sentences[i] for i in sorted(chosen)))


def _clean_sentence(sentence: str) -> str:
    """The sentence without page markers and datelines; empty if it is page furniture."""
    for noise in _NOISE:
        sentence = noise.sub("", sentence)
    sentence = sentence.strip()
    return "" if _CHROME.search(sentence) else sentence


def _sentence_score(
    engine: _Engine, matches: list[tuple[int, str]], starts: list[int], start: int, end: int, length: int
) -> float:
    """Industry evidence of the terms matched inside [start, end), per square root of length."""
    inside = matches[bisect_left(starts, start) : bisect_left(starts, end)]
    evidence = sum(engine.industry_weight[term] for _, term in inside)
    return evidence / math.sqrt(max(length, 20))


def _clip(text: str) -> str:
    """Cut at the last clause boundary that fits MAX_SUMMARY, else hard; mark the cut with …."""
    if len(text) <= MAX_SUMMARY:
        return text
    head = text[: MAX_SUMMARY - 1]
    cut = max((m.start() for m in _CLAUSE_END.finditer(head)), default=-1)
    return (head[:cut] if cut >= MAX_SUMMARY // 2 else head) + "…"


# --- compiling the taxonomy ----------------------------------------------------------------


def _is_industry(taxonomy: Taxonomy, credit: _Credit) -> bool:
    return taxonomy.topics[credit.topic].facet == "industry"


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
