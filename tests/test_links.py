"""Citation keys: 《titles》 and 发文字号."""

from __future__ import annotations

import pytest

from parsers.links import cited_numbers, cited_titles, number_key, title_keys


@pytest.mark.parametrize(
    ("number", "key"),
    [
        ("发改高技〔2021〕1850号", "发改高技〔2021〕1850号"),
        ("国办发[2022] 12号", "国办发〔2022〕12号"),  # bracket forms and spaces of copies
        ("粤府（2024）第3号", "粤府〔2024〕3号"),
        ("无", None),
        (None, None),
    ],
)
def test_number_key_folds_brackets_and_spacing(number: str | None, key: str | None) -> None:
    assert number_key(number) == key


def test_cited_numbers_include_the_number_whatever_precedes_it() -> None:
    keys = cited_numbers("根据国家发展改革委发改高技〔2021〕1850号文件精神")
    assert "发改高技〔2021〕1850号" in keys
    assert "技〔2021〕1850号" not in keys  # a one-character code is never a key


def test_cited_titles_in_order_of_first_mention() -> None:
    assert cited_titles("《生物经济规划》与《“十四五”医药工业发展规划》，再提《生物经济规划》") == (
        "生物经济规划", "十四五医药工业发展规划")


def test_title_keys_include_the_wrapped_title() -> None:
    assert title_keys("关于印发《广东省生物医药产业行动计划》的通知")[1] == "广东省生物医药产业行动计划"
