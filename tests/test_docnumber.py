"""发文字号 forms: labelled cells, 令 numbers in titles, an order's header lines, a regulation's note."""

from __future__ import annotations

import pytest

from parsers.docnumber import from_cell, note_number, order_header, organ_name, title_number, title_organs


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("金复[2026]220号", "金复〔2026〕220号"),  # NFRA's documentNo: ASCII brackets written back as 〔〕
        (" 国办发〔2026〕28号 ", "国办发〔2026〕28号"),
        ("国令第847号", "国令第847号"),  # gov.cn's pcode of a State Council order, kept whatever its form
        ("中华人民共和国主席令第四十三号", "中华人民共和国主席令第四十三号"),
        ("", None),  # an empty labelled cell: the document has no number
        ("  ", None),
    ],
)
def test_docnumber_from_cell_keeps_any_form(cell: str, expected: str | None) -> None:
    assert from_cell(cell) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("科学技术部令第23号 科技部关于废止部分规章的决定", "科学技术部令第23号"),
        ("国家科学技术奖励条例（国务院令第782号第四次修订）", "国务院令第782号"),
        ("《粮食流通行政执法办法》 2026年第40号令", "2026年第40号令"),
        ("国家广播电视总局令（第16号）微短剧发展管理办法", "国家广播电视总局令第16号"),
        (
            "商务部、中国证监会、国务院国资委、税务总局、市场监管总局、国家外汇局令2024年第3号 外国投资者对上市公司战略投资管理办法",
            "商务部、中国证监会、国务院国资委、税务总局、市场监管总局、国家外汇局令2024年第3号",
        ),
        ("关于印发《规划》的通知(发改高技〔2021〕1850号)", "发改高技〔2021〕1850号"),
        ("国务院办公厅关于发展体育赛事激发消费活力的意见", None),
    ],
)
def test_docnumber_title_number(title: str, expected: str | None) -> None:
    assert title_number(title) == expected


@pytest.mark.parametrize(
    ("lines", "number", "organs"),
    [
        (["中华人民共和国国家发展和改革委员会令", "第41号", "《办法》已经审议通过，现予公布。"],
         "国家发展和改革委员会令第41号", ("国家发展和改革委员会",)),
        (["中华人民共和国国务院令", "第782号"], "国务院令第782号", ("国务院",)),
        # 主席 is no organ: 中华人民共和国 stays, and the President is no issuer.
        (["中华人民共和国主席令", "第四十三号"], "中华人民共和国主席令第四十三号", ()),
        # A joint order: no one organ's number; printed as the header shows it.
        (["中华人民共和国商务部 令", "中国证券监督管理委员会", "国家外汇管理局", "二〇二四年 第3号"],
         "令 二〇二四年 第3号", ("商务部", "中国证券监督管理委员会", "国家外汇管理局")),
    ],
)  # fmt: skip
def test_docnumber_order_header(lines: list[str], number: str, organs: tuple[str, ...]) -> None:
    header = order_header(lines)
    assert header is not None and (header.number, header.organs) == (number, organs)


def test_docnumber_order_header_needs_an_order() -> None:
    assert order_header(["国家药品监督管理局公告", "2026年第50号"]) is None


def test_docnumber_note_number_is_the_first_promulgation() -> None:
    note = "（2015年10月29日证监会令第118号公布 根据2022年5月31日证监会令第199号《关于修改〈规定〉的决定》修订）"
    assert note_number([note, "第一章 总 则"]) == ("证监会令第118号", "2015年10月29日")


def test_docnumber_note_number_needs_a_note() -> None:
    assert note_number(["第一条 为了规范管理，根据（证监会令第118号）制定本办法。"]) == (None, None)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("中华人民共和国国务院", "国务院"), ("中华人民共和国主席", "中华人民共和国主席"), ("科学技术部", "科学技术部")],
)
def test_docnumber_organ_name_drops_the_state_before_an_organ(name: str, expected: str) -> None:
    assert organ_name(name) == expected


def test_docnumber_title_organs_of_a_joint_order() -> None:
    assert title_organs("商务部、中国证监会、国家外汇局令2024年第3号 外国投资者对上市公司战略投资管理办法") == (
        "商务部", "中国证监会", "国家外汇局")  # fmt: skip


def test_docnumber_title_organs_need_organs() -> None:
    assert title_organs("中华人民共和国主席令第四十三号") == ()
