"""`policywatch bench dedup`: the synthetic corpus, the scoring, and the command."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from flows.bench.dedup import Corpus, Item, Score
from flows.cli import app
from tests.tables import number, row


def test_bench_dedup_corpus_is_deterministic_with_known_reposts() -> None:
    first = list(Corpus(seed=3, repost_share=0.3).items(200))
    assert first == list(Corpus(seed=3, repost_share=0.3).items(200))
    reposts = [i for i in first if i.original != i.index]
    assert 30 < len(reposts) < 90 and all(i.original < i.index for i in reposts)
    sizes = [len(i.text.encode("utf-8")) for i in first if i.original == i.index]
    assert min(sizes) >= 1000 and max(sizes) <= 6500


def test_bench_dedup_score_counts_copies_of_the_same_original() -> None:
    score = Score()
    score.record(Item(0, "a", 0), None)
    score.record(Item(1, "b", 1), None)
    score.record(Item(2, "a'", 0), 0)  # right
    score.record(Item(3, "b'", 1), 0)  # wrong original
    score.record(Item(4, "a''", 0), None)  # missed
    assert (score.precision, score.recall) == (0.5, 1 / 3)


def test_bench_dedup_command_reports_both_paths() -> None:
    result = CliRunner().invoke(
        app, ["bench", "dedup", "--synthetic", "300", "--peer-sample", "100"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    ours, peer = row(result.output, "policywatch (all)"), row(result.output, "datasketch MinHashLSH (first sample)")
    corpus = list(Corpus(seed=7, repost_share=0.3).items(300))
    assert [number(ours[0]), number(ours[1])] == [300, sum(i.original != i.index for i in corpus)]
    assert number(peer[0]) == 100
    assert number(ours[2]) >= 0.95 and number(ours[3]) >= 0.9  # precision, recall of our path
    speed = float(re.search(r"speed: ([\d.]+)×", result.output)[1])  # type: ignore[index]
    assert speed == pytest.approx(number(ours[4]) / number(peer[4]), rel=0.05)
