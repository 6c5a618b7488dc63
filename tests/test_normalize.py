"""normalize_text: t2s, pinyin reading aids, PDF page markers, whitespace."""

from __future__ import annotations

import pytest

from parsers.normalize import fold_whitespace, normalize_text, strip_page_markers, strip_pinyin


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("發(fā)展", "發展"),
        ("經(jīng)濟", "經濟"),
        ("產(chǎn)業(yè)", "產業"),
        ("中國（zhōng guó）人", "中國人"),
        ("生物醫(yī)藥、生物育種", "生物醫藥、生物育種"),
    ],
)
def test_normalize_strip_pinyin_removes_reading_aids(text: str, expected: str) -> None:
    assert strip_pinyin(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "北京6月19日电 (记者 吕少威)2024年",
        "加快形成新质生产力。(完)",
        "（一）发展现状。",
        "(省发展改革委、科技厅牵头,各地级以上市人民政府按职责分工负责)",
        "BT+IT(生物技术+信息技术)产业",
        "生物信息产业(BT+IT)",
        "第五代移动通信(5G)",
        "干扰(CRISPRi)等",
        "人工智能(ai)技术",
    ],
)
def test_normalize_strip_pinyin_keeps_legitimate_brackets(text: str) -> None:
    assert strip_pinyin(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("为加快培育发展生物经济打—3—下了坚实基础", "为加快培育发展生物经济打下了坚实基础"),
        ("—2—“十四五”生物经济发展规划", "“十四五”生物经济发展规划"),
        ("需要。—5———坚持风险可控", "需要。——坚持风险可控"),
        ("第一段\n- 3 -\n第二段", "第一段\n\n第二段"),
        ("本页完－4－下页", "本页完下页"),
        ("– 12 –继续", "继续"),
    ],
)
def test_normalize_strip_page_markers_removes_markers(text: str, expected: str) -> None:
    assert strip_page_markers(text) == expected


@pytest.mark.parametrize(
    "text",
    ["2020-3-5", "2021—2025年", "收集—储存—成型", "GB-12-2020", "2035年远景目标"],
)
def test_normalize_strip_page_markers_keeps_dates_and_ranges(text: str) -> None:
    assert strip_page_markers(text) == text


def test_normalize_fold_whitespace_keeps_one_line_per_paragraph() -> None:
    text = "  标题\r\n\r\n\u3000\u3000第一段\xa0 内容 \n\n\n\xa0\n  第二段\t\n"
    assert fold_whitespace(text) == "标题\n第一段 内容\n第二段"


def test_normalize_fold_whitespace_removes_invisible_characters() -> None:
    assert fold_whitespace("\ufeff生物\u200b医药") == "生物医药"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("國家發展和改革委員會", "国家发展和改革委员会"),
        ("生物經濟", "生物经济"),
        ("已经是简体字", "已经是简体字"),
    ],
)
def test_normalize_text_converts_to_simplified(text: str, expected: str) -> None:
    assert normalize_text(text) == expected


def test_normalize_text_applies_every_step() -> None:
    text = "\u3000\u3000國家發(fā)改委發(fā)布—2—《規(guī)劃》\n\n\n下一段"
    assert normalize_text(text) == "国家发改委发布《规划》\n下一段"
