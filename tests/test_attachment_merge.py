"""parsers.attachment_merge: what a document's attachments change about it, decided without I/O."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from parsers.attachment_merge import (
    ATTACHMENT_MARK,
    AttachedText,
    AttachmentPrint,
    LinkStatus,
    attached_to,
    linkable,
    merge,
    read_file,
    refusal,
    same_document,
    substance_in_attachment,
)
from parsers.classify import default_taxonomy
from parsers.dedup import DedupIndex, MatchKind
from parsers.fingerprint import fingerprint
from parsers.parse import parse_document
from parsers.records import ParseOptions
from parsers.urls import named_origins
from tests.filemaker import docx, docx_bomb, paragraph

TAXONOMY = default_taxonomy()
COVER = "各市人民政府：\n现将《未来产业培育行动计划》印发给你们，请认真贯彻执行。"
PLAN = "\n".join(
    [
        "一、以合成生物和生物制造为主攻方向，建设微生物细胞工厂和菌种资源库，推动发酵工程和酶制剂产业化。",
        "二、支持合成生物学底层技术攻关，建设生物制造中试平台，培育一批生物基材料龙头企业。",
        "三、设立生物制造产业基金，对新建的细胞工厂中试线给予最高一千万元补助，支持发酵装备首台套应用。",
        "四、各地要建立合成生物产业链链长制，定期调度重点项目，省发展改革委对实施情况开展年度评估。",
        "五、本行动计划自印发之日起施行，有效期五年，由省发展改革委会同省工业和信息化厅负责解释。",
    ]
)
VACCINE_PAGE = "为支持疫苗研发和疫苗批签发能力建设，现就有关事项通知如下。" * 3


def evidence(labels: tuple, topic_id: str) -> tuple[str, ...]:
    return next(label.evidence for label in labels if label.topic_id == topic_id)


def test_merge_marks_evidence_only_the_attachment_gives() -> None:
    merged = merge(
        TAXONOMY, title="关于印发行动计划的通知", page_text=COVER, attached=[AttachedText(url="u", text=PLAN)]
    )
    terms = evidence(merged.classification.topics, "bio-manufacturing")
    assert f"{ATTACHMENT_MARK}生物制造" in terms
    assert all(term.startswith(ATTACHMENT_MARK) for term in terms)


def test_merge_leaves_evidence_the_page_holds_unmarked() -> None:
    page = "现将《生物制造行动计划》印发给你们，请认真贯彻执行。"
    merged = merge(
        TAXONOMY, title="关于印发行动计划的通知", page_text=page, attached=[AttachedText(url="u", text=PLAN)]
    )
    terms = evidence(merged.classification.topics, "bio-manufacturing")
    assert "生物制造" in terms and f"{ATTACHMENT_MARK}菌种" in terms


def test_merge_keeps_every_topic_the_page_earns() -> None:
    alone = merge(TAXONOMY, title="疫苗通知", page_text=VACCINE_PAGE, attached=[])
    merged = merge(TAXONOMY, title="疫苗通知", page_text=VACCINE_PAGE, attached=[AttachedText(url="u", text=PLAN * 20)])
    assert {t.topic_id for t in alone.classification.topics} <= {t.topic_id for t in merged.classification.topics}


def test_merge_makes_a_cover_page_relevant_and_summarises_the_file() -> None:
    alone = merge(TAXONOMY, title="关于印发行动计划的通知", page_text=COVER, attached=[])
    merged = merge(
        TAXONOMY, title="关于印发行动计划的通知", page_text=COVER, attached=[AttachedText(url="u", text=PLAN)]
    )
    assert not alone.classification.relevant and merged.classification.relevant
    assert merged.summary_from == "u"
    assert merged.classification.summary in PLAN.replace("\n", "")


def test_merge_keeps_the_summary_of_a_page_with_substance() -> None:
    page = VACCINE_PAGE * 20  # a long notice: its own text is its substance, whatever it attaches
    merged = merge(TAXONOMY, title="疫苗通知", page_text=page, attached=[AttachedText(url="u", text=PLAN * 30)])
    assert merged.summary_from is None
    assert (
        merged.classification.summary
        == merge(TAXONOMY, title="疫苗通知", page_text=page, attached=[]).classification.summary
    )


def test_merge_without_attachment_text_is_the_pages_classification() -> None:
    merged = merge(TAXONOMY, title="疫苗通知", page_text=VACCINE_PAGE, attached=[AttachedText(url="u", text="  ")])
    assert merged.summary_from is None
    assert all(not t.startswith(ATTACHMENT_MARK) for label in merged.classification.topics for t in label.evidence)


@pytest.mark.parametrize(
    ("page", "attachment", "expected"),
    [
        (COVER, PLAN, True),  # a transmittal formula beside a longer file
        ("请各单位按附件格式报送材料。", PLAN, True),  # a short page: a cover, formula or not
        (COVER, "附件1：报名表\n姓名\t单位", False),  # a form is no substance
        (
            "现予印发，请遵照执行。" + "本办法所称生物制造企业，是指依法登记的企业。" * 80,
            PLAN * 40,
            False,
        ),  # a long page
        ("现将《计划》印发给你们。" + "具体安排如下。" * 60, PLAN, False),  # the file no longer than the page
    ],
)
def test_substance_in_attachment(page: str, attachment: str, expected: bool) -> None:
    assert substance_in_attachment(page, attachment) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.ndrc.gov.cn/xxgk/202205/P0202205.pdf", None),
        ("https://WWW.NDRC.GOV.CN/a.pdf", None),
        ("https://www.gov.cn/files/a.pdf", "https://www.gov.cn:443 is not one of its source's origins"),
        ("https://www.ndrc.gov.cn:8443/a.pdf", "https://www.ndrc.gov.cn:8443 is not one of its source's origins"),
        ("ftp://www.ndrc.gov.cn/a.pdf", "not an http(s) link"),
        ("javascript:download('a.pdf')", "not an http(s) link"),
    ],
)
def test_refusal(url: str, expected: str | None) -> None:
    reason = refusal(url, named_origins("www.ndrc.gov.cn"))
    assert reason == expected if expected is None else expected in (reason or "")


def test_read_file_gives_normalised_text_and_its_fingerprint() -> None:
    file = read_file(docx(paragraph("發展生物製造產業。") + paragraph(PLAN)), "plan.docx")
    assert (file.format, file.status) == ("docx", "ok")
    assert file.text is not None and file.text.startswith("发展生物制造产业。")
    assert (file.text_hash, file.minhash) == fingerprint(file.text)


@pytest.mark.parametrize(
    ("data", "name", "status"),
    [
        (b"", "a.pdf", "empty"),
        (docx_bomb(70 << 20), "bomb.docx", "too_large"),
        (b"%PDF-1.4 cut", "cut.pdf", "undecodable"),
        (
            b"<!DOCTYPE html><html><body><p>\xe6\x96\x87\xe4\xbb\xb6\xe4\xb8\x8d\xe5\xad\x98\xe5\x9c\xa8</p></body></html>",
            "plan.doc",
            "failed",
        ),
    ],
)
def test_read_file_bad_bytes_are_a_status_and_a_reason(data: bytes, name: str, status: str) -> None:
    file = read_file(data, name)
    assert (file.status, file.text, file.minhash) == (status, None, ())
    assert file.reason


def test_linkable_needs_a_long_text() -> None:
    assert linkable(read_file(docx(paragraph(PLAN)), "plan.docx"))
    assert not linkable(read_file(docx(paragraph("报名表")), "form.docx"))


def _index(*docs: tuple[str, str]) -> DedupIndex:
    index = DedupIndex()
    for doc_id, text in docs:
        index.add(doc_id, *fingerprint(text))
    return index


def test_same_document_finds_a_near_copy_never_the_owner() -> None:
    text_hash, signature = fingerprint(PLAN * 3 + "附：联系人。")
    index = _index(("notice", PLAN * 3), ("plan", PLAN * 3 + "附：联系方式。"))
    match = same_document(index, text_hash=text_hash, minhash=signature, owner="notice")
    assert match is not None and (match.kind, match.doc_id) == (MatchKind.NEAR, "plan")


def test_same_document_exact_text() -> None:
    text_hash, signature = fingerprint(PLAN)
    match = same_document(_index(("plan", PLAN)), text_hash=text_hash, minhash=signature, owner="notice")
    assert match is not None and (match.kind, match.doc_id) == (MatchKind.EXACT, "plan")


def test_same_document_none_for_another_text() -> None:
    text_hash, signature = fingerprint(VACCINE_PAGE * 5)
    assert same_document(_index(("plan", PLAN)), text_hash=text_hash, minhash=signature, owner="notice") is None


def test_attached_to_finds_the_notices_whose_file_a_document_is() -> None:
    text_hash, signature = fingerprint(PLAN * 3)
    prints = [
        AttachmentPrint(doc_id="notice", url="u1", text_hash="other", minhash=fingerprint(PLAN * 3 + "。")[1]),
        AttachmentPrint(doc_id="plan", url="u2", text_hash=text_hash, minhash=signature),  # its own file
        AttachmentPrint(doc_id="unrelated", url="u3", text_hash="x", minhash=fingerprint(VACCINE_PAGE * 5)[1]),
    ]
    found = attached_to(doc_id="plan", content_hash=text_hash, minhash=signature, prints=prints, threshold=0.8)
    assert [p.doc_id for p in found] == ["notice"]


def test_link_statuses_are_the_documented_values() -> None:
    assert {s.value for s in LinkStatus} == {"off_host", "robots", "failed", "too_large", "skipped"}


REAL = Path(__file__).with_name("fixtures") / "real"
# Saved pages that link files (provenance in their sidecars): is the page only a cover for its file?
REAL_COVERS = [
    (
        "www.ndrc.gov.cn/ndrc_golden_detail_1.html",
        True,
    ),  # a 令: 《…规定》已经…审议通过，现予公布; the rules are the PDF
    ("www.ndrc.gov.cn/ndrc_golden_detail_2.html", True),
    ("www.csrc.gov.cn/detail_1.html", False),  # the rules in full on the page; the PDF and DOCX are copies of it
    ("www.csrc.gov.cn/detail_2.html", False),
    ("www.csrc.gov.cn/detail_3.html", False),
    ("www.gov.cn/detail_template_a.html", False),  # an opinion with its own items; the file is a list beside it
]


def sidecar(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize(("name", "cover"), REAL_COVERS)
def test_substance_in_attachment_on_real_pages(name: str, cover: bool) -> None:
    page = REAL / name
    doc = parse_document(page.read_bytes(), ParseOptions(url=sidecar(page)["url"], article_link=True))
    assert doc.extraction.attachments
    assert substance_in_attachment(doc.extraction.text, PLAN * 20) is cover


def test_merge_takes_a_real_cmde_guideline_into_its_cover_page() -> None:
    path = REAL / "cmde.org.cn" / "att_20241021_fxxbxj_zqyjg.docx"
    expect = sidecar(path)
    file = read_file(path.read_bytes(), path.name)
    assert file.status == "ok" and file.text is not None
    assert expect["expect"]["first_sentence"] in file.text
    cover = "现将《富血小板血浆制备器注册审查指导原则（征求意见稿）》公开征求意见，详见附件。"
    merged = merge(
        TAXONOMY, title="关于公开征求意见的通知", page_text=cover, attached=[AttachedText(url="u", text=file.text)]
    )
    topics = {label.topic: label for label in merged.classification.topics}
    assert set(expect["classification"]["topics_include"]) <= set(topics)
    assert all(term.startswith(ATTACHMENT_MARK) for term in topics["医疗器械"].evidence)
    assert merged.classification.relevant is expect["classification"]["relevant"]
    assert merged.summary_from == "u"
