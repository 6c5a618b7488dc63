"""The dedup index: LSH candidates, the threshold, canonical order of copies."""

from __future__ import annotations

from datetime import date

import pytest

from parsers.dedup import BANDS, DedupIndex, MatchKind, band_keys, canonical_key
from parsers.fingerprint import content_hash, minhash

TEXT = (
    "为加快生物医药产业发展，推动创新药、疫苗和高端医疗器械研发，制定本规划。"
    "支持细胞治疗和基因治疗产品临床转化，建设生物医药产业园区，完善审评审批服务。"
    "加大财政资金支持力度，设立生物医药产业投资基金，引进高层次人才，优化营商环境。"
)
OTHER = (
    "为推进海洋经济高质量发展，加快港口航运、海洋渔业和滨海旅游转型升级，制定本方案。"
    "支持深远海养殖装备研制，建设现代化海洋牧场，完善海洋生态保护修复机制和预警体系。"
)


def index_with(text: str, doc_id: str = "d1", url: str | None = "https://a.gov.cn/1.html") -> DedupIndex:
    index = DedupIndex(threshold=0.8)
    index.add(doc_id, content_hash(text), minhash(text), url)
    return index


def test_band_keys_one_per_band_and_fixed() -> None:
    keys = band_keys(minhash(TEXT))
    assert len(keys) == BANDS and keys == band_keys(minhash(TEXT))
    assert all(0 <= k < 2**64 for k in keys)


def test_band_keys_of_a_short_signature_are_empty() -> None:
    assert band_keys((1, 2, 3)) == ()


@pytest.mark.parametrize(
    ("text", "url", "kind"),
    [
        (TEXT, "https://a.gov.cn/1.html", MatchKind.UNCHANGED),
        (TEXT + "附则：自发布之日起施行。", "https://a.gov.cn/1.html", MatchKind.VERSION),
        (TEXT.replace("，", ","), "https://b.com/1.html", MatchKind.EXACT),
        (TEXT + "附则：自发布之日起施行。", "https://b.com/1.html", MatchKind.NEAR),
        (OTHER, "https://b.com/2.html", MatchKind.NEW),
    ],
)
def test_dedup_index_match_kinds(text: str, url: str, kind: MatchKind) -> None:
    match = index_with(TEXT).match(url=url, content_hash=content_hash(text), minhash=minhash(text))
    assert match.kind is kind


def test_dedup_index_near_copy_is_found_through_its_buckets_only() -> None:
    index = index_with(TEXT)
    for i in range(200):  # documents in other buckets are never compared
        index.add(f"o{i}", f"h{i}", minhash(OTHER + str(i)))
    near = TEXT + "附则：自发布之日起施行。"
    assert "d1" in index.candidates(minhash(near))
    assert len(index.candidates(minhash(near))) < 5


def test_dedup_index_threshold_is_configurable() -> None:
    near = TEXT[: len(TEXT) * 2 // 3]
    strict = DedupIndex(threshold=0.99)
    strict.add("d1", content_hash(TEXT), minhash(TEXT))
    assert strict.match(url=None, content_hash=content_hash(near), minhash=minhash(near)).kind is MatchKind.NEW


@pytest.mark.parametrize(
    ("better", "worse"),
    [
        (("https://www.ndrc.gov.cn/a.html", None), ("http://www.news.cn/a.htm", date(2020, 1, 1))),  # government
        (("http://www.news.cn/a.htm", None), ("https://repost.example.com/a", date(2020, 1, 1))),  # then news
        (("https://b.gov.cn/a.html", date(2024, 3, 1)), ("https://a.gov.cn/a.html", date(2024, 3, 2))),  # earliest
        (("https://b.gov.cn/a.html", date(2024, 3, 1)), ("https://a.gov.cn/a.html", None)),  # dated before undated
        (("https://a.gov.cn/a.html", None), ("https://b.gov.cn/a.html", None)),  # then the URL
    ],
)
def test_canonical_key_orders_copies(better: tuple[str, date | None], worse: tuple[str, date | None]) -> None:
    assert canonical_key(url=better[0], published_on=better[1]) < canonical_key(url=worse[0], published_on=worse[1])
