"""strip_boilerplate: headers, navigation, widgets, credits, disclaimers, trailing headline lists."""

from __future__ import annotations

import pytest

from parsers.boilerplate import strip_boilerplate

ARTICLE = "生物医药产业是关系国计民生和国家安全的战略性新兴产业。\n第二段也是正文,讲述产业的发展情况。"


@pytest.mark.parametrize(
    "header",
    [
        "当前位置: 首页 > 通知公告",
        "当前所在:首页 > 法治观察 > 标题",
        "您的位置：首页 > 新闻",
        "您现在的位置：首页 > 政务公开",
    ],
)
def test_boilerplate_breadcrumb_drops_it_and_the_header_above(header: str) -> None:
    text = f"站点名称\n网站首页\n时政快讯\n{header}\n{ARTICLE}"
    assert strip_boilerplate(text).text == ARTICLE


@pytest.mark.parametrize(
    "chrome",
    [
        "网站首页",
        "欢迎加入法治观察网!",
        "欢迎访问广东省科学技术厅网站",
        "【字体:大 中 小】",
        "字号：大 中 小",
        "【打印】【关闭】",
        "打印本页",
        "分享到：微信 微博",
        "[免责声明] 本文来源于网络转载,仅供学习交流使用。",
        "文章版权声明:除非注明,否则均为华夏经纬网原创文章。",
        "版权所有：广东省科学技术厅 粤ICP备05071319号",
        "责任编辑：张三",
        "【编辑:胡寒笑】",
        "上一篇：关于某某的通知",
    ],
)
def test_boilerplate_chrome_line_is_removed(chrome: str) -> None:
    assert strip_boilerplate(f"{ARTICLE}\n{chrome}").text == ARTICLE


@pytest.mark.parametrize(
    "info",
    ["发布时间:2024-06-30 来源: 河北长安网 作者:佚名", "发表于:2024-02-29 关注", "11", "来源：新华社"],
)
def test_boilerplate_info_line_at_the_top_is_removed(info: str) -> None:
    assert strip_boilerplate(f"标题\n{info}\n{ARTICLE}").text == f"标题\n{ARTICLE}"


def test_boilerplate_info_label_deep_in_the_body_is_kept() -> None:
    body = "\n".join(f"第{n}段正文内容。" for n in range(12))
    text = f"{body}\n时间：2024年5月10日上午9时"
    assert strip_boilerplate(text).text == text


def test_boilerplate_original_url_is_captured_and_removed() -> None:
    cleaned = strip_boilerplate(f"{ARTICLE}\n原文链接:http://www.hebeipingan.org.cn/hbyw/62296.html")
    assert cleaned.text == ARTICLE
    assert cleaned.original_url == "http://www.hebeipingan.org.cn/hbyw/62296.html"


def test_boilerplate_end_marks_are_removed_from_the_last_paragraph() -> None:
    cleaned = strip_boilerplate("加快形成新质生产力。(完) 【编辑:胡寒笑】")
    assert cleaned.text == "加快形成新质生产力。"


def test_boilerplate_headlines_after_the_end_mark_are_removed() -> None:
    tail = "江西开设技能扶贫培训班\n报告显示香港拥有逾2700家单一家族办公室\n中国著名书法家逝世"
    text = f"{ARTICLE}(完)\n{tail}\n文章版权声明:除非注明,否则均为本网原创文章。"
    assert strip_boilerplate(text).text == ARTICLE


def test_boilerplate_paragraphs_after_the_end_mark_are_kept() -> None:
    text = f"{ARTICLE}(完)\n另一篇文章的第一段,它是一个完整的句子并且以句号结束。"
    assert strip_boilerplate(text).text == text.replace("(完)", "")


def test_boilerplate_trailing_headline_list_is_removed() -> None:
    text = f"{ARTICLE}\n相关阅读一则标题\n另一条无关新闻标题\n第三条标题 带空格"
    assert strip_boilerplate(text).text == ARTICLE


def test_boilerplate_two_trailing_short_lines_are_kept() -> None:
    text = f"{ARTICLE}\n附注一行\n另一行"
    assert strip_boilerplate(text).text == text


def test_boilerplate_signature_block_is_kept() -> None:
    text = f"{ARTICLE}\n广东省科学技术厅\n广东省发展和改革委员会\n广东省工业和信息化厅\n2024年2月7日"
    assert strip_boilerplate(text).text == text


@pytest.mark.parametrize(
    "line",
    [
        "(记者 吕少威)北京报道。",
        "加强知识产权保护," * 12 + "保护版权所有人的合法权益。",
        "BT+IT(生物技术+信息技术)产业。",
        "社会各界高度关注生物安全。",
        "一、总体要求",
    ],
)
def test_boilerplate_article_lines_are_kept(line: str) -> None:
    text = f"{ARTICLE}\n{line}\n{ARTICLE}"
    assert strip_boilerplate(text).text == text


@pytest.mark.parametrize(
    ("line", "is_chrome"),
    [
        ("x" * 40 + "版权所有", True),  # the footer's words count when they start in a line's first 40 characters
        ("x" * 41 + "版权所有", False),
        ("COPYRIGHT 2024 国家发展和改革委员会", True),
        ("本站 icp备12345678号", True),
        ("未经本网书面授权不得转载", True),
    ],
)
def test_boilerplate_footer_words_count_in_a_lines_first_40_characters(line: str, is_chrome: bool) -> None:
    assert strip_boilerplate(f"{ARTICLE}\n{line}").text == (ARTICLE if is_chrome else f"{ARTICLE}\n{line}")
