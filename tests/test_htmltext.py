"""htmltext.page_lines: the lines above a block and the block's own, as a reader sees them."""

from __future__ import annotations

import pytest
from lxml import etree

from parsers.htmltext import owned_text, page_lines, walk_marks
from parsers.htmltree import parse_markup


def lines_of(markup: str, block_xpath: str) -> tuple[list[str], list[str]]:
    root = parse_markup(markup)
    return page_lines(root, root.xpath(block_xpath)[0], walk_marks(root))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<div id='b'><p>一段</p><p>二段</p></div>", ["一段", "二段"]),
        ("<div id='b'><table><tr><td>任务</td><td>牵头单位</td></tr></table></div>", ["任务 牵头单位"]),
        ("<div id='b'><span>第五十</span>\n<span>二条</span></div>", ["第五十二条"]),  # a source break between CJK
        ("<div id='b'>Gene\r\nEditing&#13;now</div>", ["Gene Editing now"]),
        ("<div id='b'>甲<br>乙</div>", ["甲", "乙"]),
    ],
)
def test_htmltext_block_lines(body: str, expected: list[str]) -> None:
    assert lines_of(f"<html><body>{body}</body></html>", "//*[@id='b']")[1] == expected


def test_htmltext_lines_above_stop_at_the_block() -> None:
    markup = "<html><body><h1>标题</h1><div>发布时间：2024-01-02 <b>来源</b></div><div id='b'><p>正文</p></div><p>页脚</p></body></html>"
    assert lines_of(markup, "//*[@id='b']") == (["标题", "发布时间：2024-01-02 来源"], ["正文"])


def test_htmltext_block_tail_is_not_its_text() -> None:
    markup = "<html><body><div><span id='b'>正文</span>尾巴</div></body></html>"
    assert lines_of(markup, "//*[@id='b']")[1] == ["正文"]


@pytest.mark.parametrize("block", ["//pre", "//pre/div"])
def test_htmltext_pre_keeps_its_line_breaks(block: str) -> None:
    markup = "<html><body><p>上\n文</p><pre>一行\n二<div>三行\n四行&#13;五</div></pre></body></html>"
    before, inside = lines_of(markup, block)
    assert before[0] == "上文"
    assert inside[-2:] == ["三行", "四行 五"]


def test_htmltext_walk_marks_are_characters_the_page_lacks() -> None:
    root = parse_markup("<html><body><p>\ufdd0\ufdd2</p></body></html>")
    assert walk_marks(root) == "\ufdd1\ufdd3\ufdd4"


def test_htmltext_text_holding_the_walks_marks_is_kept() -> None:
    # The walk prints its line ends as noncharacters: a page holding them is walked with others.
    markup = "<html><body><div id='b'><p>甲\ufdd0乙</p><p>丙&#xfdd1;丁</p></div></body></html>"
    assert lines_of(markup, "//*[@id='b']")[1] == ["甲\ufdd0乙", "丙\ufdd1丁"]


def test_htmltext_leaves_the_tree_as_it_was() -> None:
    markup = "<html><body><div><div id='b'><p>正文</p></div></div></body></html>"
    root = parse_markup(markup)
    page_lines(root, root.xpath("//*[@id='b']")[0], walk_marks(root))
    assert etree.tostring(root) == etree.tostring(parse_markup(markup))


def test_htmltext_owned_text_counts_each_owners_own_text() -> None:
    markup = "<html><body><div>引言，<a href='/x'>链接</a><p>正文 一句。</p>尾</div></body></html>"
    root = parse_markup(markup)
    owned = owned_text(root, walk_marks(root))
    assert [el.tag for el in owned.owners] == ["html", "div", "p"]
    # the div's own: 引言，链接尾 (5 characters, 2 of them a link's, one prose mark outside it); the p's: 正文一句。
    assert owned.own == [[0, 0, 0], [6, 2, 1], [5, 0, 1]]
    assert owned.inside == [(11, 2), (11, 2), (5, 0)]


def test_htmltext_owned_text_counts_a_link_around_blocks_as_links() -> None:
    root = parse_markup("<html><body><a href='/x'><div>标题一</div><div>标题二</div></a></body></html>")
    owned = owned_text(root, walk_marks(root))
    assert owned.own[1:] == [[3, 3, 0], [3, 3, 0]]
