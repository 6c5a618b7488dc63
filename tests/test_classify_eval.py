"""The labelled evaluation set: its shape, the quality bar, and each seed as a domain expert labels it."""

from __future__ import annotations

import pytest

from flows.bench.classify import EVAL_SET, EvalDoc, evaluate, load_eval_set
from parsers.classify import Taxonomy, classify, default_taxonomy


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return default_taxonomy()


@pytest.fixture(scope="module")
def docs() -> list[EvalDoc]:
    return load_eval_set()


SEEDS = [doc for doc in load_eval_set(EVAL_SET) if doc.id.startswith("seed-")]


def test_eval_set_has_forty_written_documents_of_policy_size(docs: list[EvalDoc]) -> None:
    written = [doc for doc in docs if not doc.id.startswith("seed-")]
    assert len(written) >= 40
    assert all(150 <= len(doc.text) <= 600 for doc in written), [d.id for d in written if not 150 <= len(d.text) <= 600]
    assert sum(not doc.relevant for doc in written) >= 15  # the negatives are a real share


def test_eval_set_covers_every_industry_topic_twice(taxonomy: Taxonomy, docs: list[EvalDoc]) -> None:
    industry = {t.id for t in taxonomy.topics if t.facet == "industry"}
    written = [doc for doc in docs if not doc.id.startswith("seed-")]
    assert {topic for doc in written for topic in doc.topics} == industry
    assert all(sum(topic in doc.topics for doc in written) >= 2 for topic in industry)


def test_eval_set_labels_are_known_topics(taxonomy: Taxonomy, docs: list[EvalDoc]) -> None:
    known = {t.id for t in taxonomy.topics}
    assert all(doc.topics | doc.optional <= known for doc in docs)
    assert all(doc.relevant == bool(doc.topics) for doc in docs)


def test_eval_set_meets_the_quality_bar(taxonomy: Taxonomy, docs: list[EvalDoc]) -> None:
    report = evaluate(taxonomy, docs)
    assert report.micro.f1 >= 0.9, report.mistakes
    assert report.relevance_accuracy >= 0.95, report.mistakes


@pytest.mark.parametrize("doc", SEEDS, ids=[doc.id for doc in SEEDS])
def test_classify_seed_gets_the_experts_topics(taxonomy: Taxonomy, doc: EvalDoc) -> None:
    ids = {label.topic_id for label in classify(taxonomy, title=doc.title, text=doc.text).topics}
    assert doc.topics <= ids, f"missed {doc.topics - ids}"
    assert ids <= doc.topics | doc.optional, f"not an expert's label: {ids - doc.topics - doc.optional}"


def test_evaluate_counts_optional_topics_neither_way(taxonomy: Taxonomy) -> None:
    text = "我市企业研发的mRNA疫苗进入临床试验，同时建设脑机接口实验室和脑科学中心。"
    doc = EvalDoc(
        id="x",
        title="新型疫苗研发",
        text=text,
        relevant=True,
        topics=frozenset({"vaccines"}),
        optional=frozenset({"brain-computer-interface"}),
    )
    report = evaluate(taxonomy, [doc])
    assert report.per_topic["vaccines"].tp == 1
    assert report.per_topic["biomedicine"].tp == 1  # the parent is implied by the gold child
    assert report.per_topic["brain-computer-interface"].fp == 0
    assert report.micro.precision == 1.0
