"""grams: the one-character fold, bigram counts in bounded pieces, query parts; the t2s table against OpenCC."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest

from parsers import grams as grams_module
from parsers.grams import (
    END,
    MASK_BITS,
    WHITESPACE,
    aligned,
    fold,
    gram_key,
    gram_range,
    gram_rows,
    grams,
    query_grams,
    query_parts,
)

REPO = Path(__file__).resolve().parents[1]


def naive(text: str) -> Counter[int]:
    """The definition: neighbouring characters of the folded text, whitespace and the end as END."""
    folded = fold(text) + " "
    return Counter(gram_key(a, b) for a, b in pairwise(folded) if not a.isspace())


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("發展經濟", "发展经济"),
        ("ＣＡＲ－Ｔ細胞", "car-t细胞"),
        ("mRNA疫苗", "mrna疫苗"),
        ("国办发〔2022〕1号", "国办发〔2022〕1号"),
        ("Ａ\u3000Ｂ", "a b"),
        ("İstanbul", "İstanbul"),  # İ lowers to two characters: kept, so lengths never change
    ],
)
def test_fold_maps_each_character_to_one(text: str, folded: str) -> None:
    assert fold(text) == folded and len(fold(text)) == len(text) and fold(folded) == folded


def test_fold_table_agrees_with_opencc() -> None:
    import opencc

    converter = opencc.OpenCC("t2s")
    table = grams_module.fold_table()
    lines = (REPO / "parsers" / "t2s_chars.txt").read_text(encoding="utf-8").splitlines()
    pairs = [line.split("\t") for line in lines if line and not line.startswith("#")]
    assert len(pairs) > 4000
    assert all(fold(converter.convert(t)) == s == chr(table[ord(t)]) for t, s in pairs)
    # Every character of the main block OpenCC turns into one other character is in the table.
    missing = [c for c in map(chr, range(0x4E00, 0xA000)) if len(s := converter.convert(c)) == 1 and s != c]
    assert [c for c in missing if ord(c) not in table] == []


def test_whitespace_is_every_character_python_calls_space() -> None:
    assert set(WHITESPACE) == {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}


@pytest.mark.parametrize("piece", [1, 2, 7, 1 << 20])
def test_grams_counts_every_neighbouring_pair_across_pieces(monkeypatch: pytest.MonkeyPatch, piece: int) -> None:
    monkeypatch.setattr(grams_module, "PIECE", piece)
    rng = random.Random(piece)
    alphabet = "合成生物制造學ＡbC 1\n\u3000，"
    for _ in range(30):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        assert grams(text) == naive(text), text


def naive_masks(text: str) -> dict[int, int]:
    """The definition: bit p mod 8 for every position p of the folded text a gram starts at."""
    folded = fold(text) + " "
    masks: dict[int, int] = {}
    for p, (a, b) in enumerate(pairwise(folded)):
        if not a.isspace():
            masks[gram_key(a, b)] = masks.get(gram_key(a, b), 0) | 1 << p % MASK_BITS
    return masks


@pytest.mark.parametrize("piece", [8, 16, 1 << 20])
def test_gram_masks_hold_every_position_mod_8_across_pieces(monkeypatch: pytest.MonkeyPatch, piece: int) -> None:
    monkeypatch.setattr(grams_module, "PIECE", piece)  # pieces start at multiples of 8, as PIECE does
    rng = random.Random(piece)
    alphabet = "人才引进合成生物ＡbC 1\n，"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 60))) for _ in range(30)]
    found: list[dict[int, int]] = [{} for _ in texts]
    for rows in gram_rows(texts):
        for text, key, mask in zip(rows.texts.tolist(), rows.keys.tolist(), rows.masks.tolist(), strict=True):
            found[text][key] = found[text].get(key, 0) | mask
    assert found == [naive_masks(t) for t in texts]


def test_aligned_rejects_grams_that_are_never_neighbours() -> None:
    def masks(text: str, word: str) -> list[int]:
        return [naive_masks(text)[key] for key in query_grams(word).words[0]]

    assert aligned(masks("关于人才引进的通知", "人才引进"))
    assert not aligned(masks("人才与才引用，引进", "人才引进"))  # every bigram, never side by side
    assert aligned(masks("人才" + "x" * 7 + "才引进", "人才引进"))  # 8 apart: the mask cannot tell (the check does)
    assert query_grams("生物 人才引进 ab").words == (tuple(gram_key(a, b) for a, b in pairwise("人才引进")),)


def test_grams_marks_the_end_of_words() -> None:
    assert grams("药 a") == {gram_key("药", " "): 1, gram_key("a", " "): 1}
    assert gram_key("药", "\n") == ord("药") << 21 | END
    low, high = gram_range("药")
    assert all(low <= key < high for key in grams("药药药"))


@pytest.mark.parametrize(
    ("query", "parts"),
    [
        ("合成生物", ("合成生物",)),
        ("  生物 經濟  生物 ", ("生物", "经济")),
        ('"生物  经济" 规划', ("生物 经济", "规划")),
        ("“十四五”生物经济", ("十四五", "生物经济")),
        ('"未闭合 ＣＡＲ－Ｔ', ("未闭合", "car-t")),
        (' "" \u3000 ', ()),
    ],
)
def test_query_parts_split_on_spaces_and_keep_quoted_phrases(query: str, parts: tuple[str, ...]) -> None:
    assert query_parts(query) == parts


def test_query_grams_require_bigrams_and_ranges_for_single_characters() -> None:
    assert query_grams("生物").keys == (gram_key("生", "物"),)
    needed = query_grams("a 生物 b")
    assert needed.ranges == (gram_range("a"), gram_range("b")) and len(needed.keys) == 1


PEAK = """
import resource, sys
from warehouse.search_build import merged_rows
line = "合成生物产业发展，建设生物制造中试平台。ABC-123 " * 450_000  # one 9.4 MB line (UTF-8)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
rows = merged_rows([("d", "标题", line, "h")])
assert len(rows.keys) > 0
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_grams_of_a_nine_megabyte_line_stay_bounded_in_memory() -> None:
    run = subprocess.run([sys.executable, "-c", PEAK], cwd=REPO, capture_output=True, text=True, check=True)
    grown_mib = json.loads(run.stdout.strip()) / 1024
    assert grown_mib < 250, grown_mib  # jieba's terms of the same line took ~2 GB
