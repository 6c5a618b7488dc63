"""The biotech taxonomy: topics, terms and scoring settings, loaded and checked from YAML."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

FACETS = ("industry", "instrument")
_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
_TERM_KINDS = ("keywords", "synonyms", "context", "negative")
_DEFAULT_PATH = Path(__file__).with_name("taxonomy.yaml")


class TaxonomyError(ValueError):
    """The taxonomy YAML is malformed; the message names the line."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Topic:
    """One label of a facet and the terms that earn it."""

    id: str
    name: str
    facet: str = "industry"
    parent: str | None = None
    keywords: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()
    context: tuple[str, ...] = ()  # generic words: they count only next to the topic's own evidence
    negative: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Scoring:
    """The BM25-like scoring knobs (see the comments in taxonomy.yaml)."""

    k1: float = 1.2
    b: float = 0.75
    avg_length: float = 3000.0
    min_length: float = 1500.0
    title_weight: float = 3.0
    synonym_weight: float = 0.5
    context_weight: float = 0.5
    negative_weight: float = 1.0
    rollup: float = 0.8
    label_threshold: float = 1.5
    relevance_threshold: float = 1.5


# eq=False: identity hashing, so classifiers can cache their engine per taxonomy (weakly).
@dataclass(frozen=True, eq=False, kw_only=True)
class Taxonomy:
    """A versioned set of topics in two facets, with scoring settings and keyword stopwords."""

    version: str
    topics: tuple[Topic, ...]
    scoring: Scoring = Scoring()
    stopwords: frozenset[str] = frozenset()

    def topic(self, topic_id: str) -> Topic:
        """The topic with this id (KeyError if none)."""
        for topic in self.topics:
            if topic.id == topic_id:
                return topic
        raise KeyError(topic_id)

    def ancestors(self, topic: Topic) -> tuple[Topic, ...]:
        """The parent, grandparent, ... of a topic (parents are checked acyclic on load)."""
        chain: list[Topic] = []
        while topic.parent is not None:
            topic = self.topic(topic.parent)
            chain.append(topic)
        return tuple(chain)


def load_taxonomy(text: str) -> Taxonomy:
    """Parse and check taxonomy YAML text; raise TaxonomyError naming the offending line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise TaxonomyError(f"line {line}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(root, MappingNode):
        raise TaxonomyError("line 1: the taxonomy must be a mapping with version and facets")
    version = _value(_require(root, "version"))
    topics = tuple(_topics(_require(root, "facets")))
    _check_topics(topics)
    stopwords = _strings(_child(root, "stopwords"), "stopwords")
    return Taxonomy(
        version=str(version),
        topics=tuple(topic for topic, _ in topics),
        scoring=_scoring(_child(root, "scoring")),
        stopwords=frozenset(stopwords),
    )


@cache
def default_taxonomy() -> Taxonomy:
    """The taxonomy packaged next to this module (parsers/taxonomy.yaml), loaded once."""
    return load_taxonomy(_DEFAULT_PATH.read_text(encoding="utf-8"))


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _child(node: Node, key: str) -> Node | None:
    if not isinstance(node, MappingNode):
        raise TaxonomyError(f"line {_line(node)}: expected a mapping")
    for key_node, value_node in node.value:
        if key_node.value == key:
            return value_node  # type: ignore[no-any-return]
    return None


def _require(node: Node, key: str) -> Node:
    child = _child(node, key)
    if child is None:
        raise TaxonomyError(f"line {_line(node)}: missing `{key}`")
    return child


def _value(node: Node) -> Any:
    return yaml.SafeLoader("").construct_object(node, deep=True)


def _strings(node: Node | None, what: str) -> tuple[str, ...]:
    if node is None:
        return ()
    items = _value(node)
    if items is None:
        return ()
    if not isinstance(items, list) or not all(isinstance(s, str | int) and str(s).strip() for s in items):
        raise TaxonomyError(f"line {_line(node)}: `{what}` must be a list of non-empty strings")
    return tuple(dict.fromkeys(str(s).strip() for s in items))  # dedupe, keep order


def _topics(facets: Node) -> list[tuple[Topic, Node]]:
    if not isinstance(facets, MappingNode):
        raise TaxonomyError(f"line {_line(facets)}: `facets` must map a facet name to a list of topics")
    out: list[tuple[Topic, Node]] = []
    for name_node, items in facets.value:
        if name_node.value not in FACETS:
            raise TaxonomyError(f"line {_line(name_node)}: unknown facet {name_node.value!r}; use {FACETS}")
        if not isinstance(items, SequenceNode):
            raise TaxonomyError(f"line {_line(items)}: facet {name_node.value!r} must be a list of topics")
        out.extend((_topic(node, name_node.value), node) for node in items.value)
    return out


def _topic(node: Node, facet: str) -> Topic:
    topic_id, name = _value(_require(node, "id")), _value(_require(node, "name"))
    if not isinstance(topic_id, str) or not _ID.fullmatch(topic_id):
        raise TaxonomyError(f"line {_line(node)}: topic id {topic_id!r} must match [a-z0-9-]+")
    if not isinstance(name, str) or not name.strip():
        raise TaxonomyError(f"line {_line(node)}: topic {topic_id!r} needs a non-empty name")
    parent = _child(node, "parent")
    terms = {kind: _strings(_child(node, kind), kind) for kind in _TERM_KINDS}
    return Topic(
        id=topic_id,
        name=name.strip(),
        facet=facet,
        parent=_value(parent) if parent is not None else None,
        patterns=_patterns(_child(node, "patterns")),
        **terms,
    )


def _patterns(node: Node | None) -> tuple[re.Pattern[str], ...]:
    if node is None or (isinstance(node, ScalarNode) and node.tag.endswith(":null")):
        return ()
    if not isinstance(node, SequenceNode):
        raise TaxonomyError(f"line {_line(node)}: `patterns` must be a list of regexes")
    compiled = []
    for item in node.value:
        try:
            compiled.append(re.compile(str(_value(item))))
        except re.error as exc:
            raise TaxonomyError(f"line {_line(item)}: bad pattern {item.value!r}: {exc}") from exc
    return tuple(compiled)


def _check_topics(topics: Sequence[tuple[Topic, Node]]) -> None:
    seen: dict[str, tuple[Topic, Node]] = {}
    for topic, node in topics:
        if topic.id in seen:
            first = _line(seen[topic.id][1])
            raise TaxonomyError(f"line {_line(node)}: duplicate topic id {topic.id!r} (first on line {first})")
        seen[topic.id] = (topic, node)
    for topic, node in topics:
        _check_parent(topic, node, seen)


def _check_parent(topic: Topic, node: Node, seen: dict[str, tuple[Topic, Node]]) -> None:
    parent_node = _child(node, "parent") or node
    visited = {topic.id}
    current = topic
    while current.parent is not None:
        parent = seen.get(current.parent)
        if parent is None:
            raise TaxonomyError(f"line {_line(parent_node)}: unknown parent {current.parent!r} of {current.id!r}")
        if parent[0].facet != topic.facet:
            raise TaxonomyError(f"line {_line(parent_node)}: parent {current.parent!r} is in another facet")
        if parent[0].id in visited:
            raise TaxonomyError(f"line {_line(parent_node)}: parent cycle through {topic.id!r}")
        visited.add(parent[0].id)
        current = parent[0]


def _scoring(node: Node | None) -> Scoring:
    if node is None:
        return Scoring()
    values = _value(node)
    known = {f.name for f in fields(Scoring)}
    if not isinstance(values, dict) or not set(values) <= known:
        unknown = sorted(set(values) - known) if isinstance(values, dict) else values
        raise TaxonomyError(f"line {_line(node)}: bad `scoring` entries {unknown}; known: {sorted(known)}")
    try:
        return Scoring(**{key: float(value) for key, value in values.items()})
    except (TypeError, ValueError) as exc:
        raise TaxonomyError(f"line {_line(node)}: `scoring` values must be numbers") from exc
