"""The keyword segmenter: jieba-rs cutting as jieba's Python tokenizer with the taxonomy's terms tuned in."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import jieba  # type: ignore[import-untyped]  # the reference the segmenter must equal; only tests import it
import pytest
import yaml

from parsers.classify import _engine, default_taxonomy
from parsers.segmenter import Segmenter, jieba_idf, segmenter_keeping

REPO = Path(__file__).resolve().parents[1]
_ONLY_HAN = re.compile(r"[\u4e00-\u9fff]{2,}")


def _lines() -> list[str]:
    """Every line of the seeds and of the classifier's written evaluation documents, lowercased."""
    texts = [path.read_text(encoding="utf-8") for path in sorted((REPO / "seeds").glob("*.txt"))]
    written = yaml.safe_load((REPO / "tests/fixtures/classify/eval.yaml").read_text(encoding="utf-8"))["documents"]
    texts += [f"{doc.get('title', '')}\n{doc.get('text', '')}" for doc in written]
    return [line for text in texts for line in text.lower().split("\n") if line.strip()]


@pytest.fixture(scope="module")
def terms() -> list[str]:
    return list(_engine(default_taxonomy()).display.values())


@pytest.fixture(scope="module")
def ours(terms: list[str]) -> Segmenter:
    return segmenter_keeping(terms)


@pytest.fixture(scope="module")
def reference(terms: list[str]) -> jieba.Tokenizer:
    """What the classifier used before: jieba's tokenizer, each Han term tuned in with suggest_freq."""
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for term in terms:
        if _ONLY_HAN.fullmatch(term):
            tokenizer.suggest_freq(term, tune=True)
    return tokenizer


def test_segmenter_cuts_every_seed_and_eval_line_as_jieba(ours: Segmenter, reference: jieba.Tokenizer) -> None:
    lines = _lines()
    assert len(lines) > 300
    differing = [line for line in lines if list(ours.cut(line)) != reference.lcut(line, HMM=False)]
    assert differing == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # jieba's total counts a tuned term's frequency on top of its old one: a smaller total splits 光路
        ("光路设计图描述", ["光路", "设计图", "描述"]),
        ("发展合成生物学产业", ["发展", "合成生物学", "产业"]),  # a taxonomy term jieba's dictionary lacks
        ("ai辅助药物设计", ["ai", "辅助", "药物设计"]),  # ascii runs stay whole; 药物设计 is a term
    ],
)
def test_segmenter_cuts_as_jieba(ours: Segmenter, reference: jieba.Tokenizer, text: str, words: list[str]) -> None:
    assert list(ours.cut(text)) == reference.lcut(text, HMM=False) == words


def test_segmenter_idf_is_jiebas_table_and_median() -> None:
    import jieba.analyse  # type: ignore[import-untyped]

    assert jieba_idf() == jieba.analyse.default_tfidf.idf_loader.get_idf()
