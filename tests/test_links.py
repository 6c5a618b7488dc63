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
        "生物经济规划",
        "十四五医药工业发展规划",
    )


def test_title_keys_include_the_wrapped_title() -> None:
    assert title_keys("关于印发《广东省生物医药产业行动计划》的通知")[1] == "广东省生物医药产业行动计划"


@pytest.mark.parametrize(
    ("number", "key"),
    [
        ("国务院令第782号", "国务院令第782号"),
        ("中华人民共和国主席令第四十三号", "主席令第43号"),  # cited without 中华人民共和国, numbers in digits
        ("国家广播电视总局令（第16号）", "国家广播电视总局令第16号"),
        ("国务院国有资产监督管理委员会令第1号", "国务院国有资产监督管理委员会令第1号"),
        ("令 二〇二四年 第3号", None),  # a joint order's header names no issuer: no key
    ],
)
def test_number_key_of_orders(number: str, key: str | None) -> None:
    assert number_key(number) == key


def test_cited_numbers_include_order_numbers() -> None:
    keys = cited_numbers("《暂行规定》（科学技术部令第19号）同时废止。国家外汇管理局令2005年第28号同时废止。")
    assert {"科学技术部令第19号", "国家外汇管理局令2005年第28号"} <= set(keys)


@pytest.mark.parametrize(
    ("title", "wrapped"),
    [
        (
            "科技部 金融监管总局印发《关于加快推动科技保险高质量发展的若干意见》的通知",
            "关于加快推动科技保险高质量发展的若干意见",
        ),
        ("《粮食流通行政执法办法》 2026年第40号令", "粮食流通行政执法办法"),
        ("科学技术部令第24号 科学技术活动违规行为调查处理规定", "科学技术活动违规行为调查处理规定"),
    ],
)
def test_title_keys_of_wrappers_include_the_wrapped_title(title: str, wrapped: str) -> None:
    assert title_keys(title)[1:] == (wrapped,)


def test_title_keys_of_a_title_quoting_a_document_are_not_that_document() -> None:
    # A news story announcing the plan is not the plan: citing the plan must not link to it.
    assert title_keys("国家发改委发布《“十四五”生物经济发展规划》") == ("国家发改委发布十四五生物经济发展规划",)
