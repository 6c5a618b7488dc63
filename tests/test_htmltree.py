"""htmltree: the page's named elements, their rule look-ups, stripping, and text."""

from __future__ import annotations

import pytest
from lxml import etree

from parsers.htmltree import named_elements, names_matching, parse_markup, text_of, without_stripped
from parsers.site_rules import FURNITURE


def test_htmltree_named_elements_reads_id_and_class_in_document_order() -> None:
    root = parse_markup(
        "<html><body><div id='a' class='x y'><p class='z'>t</p></div><span id='b'></span></body></html>"
    )
    assert [(el.tag, pair) for el, pair in named_elements(root).items()] == [
        ("div", ("a", "x y")),
        ("p", ("", "z")),
        ("span", ("b", "")),
    ]


@pytest.mark.parametrize(
    "pairs",
    [
        [("nav", ""), ("footer", "")],  # adjacent matches: each name keeps its own boundary
        [("", "main nav-bar"), ("content", ""), ("", "share_box")],
        [("top", ""), ("", "ads2"), ("", "adsense")],
        [("", "")],
        [],
    ],
)
def test_htmltree_names_matching_finds_what_a_search_per_name_finds(pairs: list[tuple[str, str]]) -> None:
    root = etree.Element("html")
    names = {etree.SubElement(root, "div"): pair for pair in pairs}
    expected = [el for el, (id_value, class_value) in names.items() if FURNITURE.search(f"{id_value} {class_value}")]
    assert names_matching(names, FURNITURE) == expected


def test_htmltree_without_stripped_drops_the_names_inside_and_keeps_tails() -> None:
    root = parse_markup(
        "<html><body><p>a<script id='s'>x</script>b</p><nav><div class='in'>n</div></nav><div id='kept'>c</div></body></html>"
    )
    names = without_stripped(root, named_elements(root), ("script", "nav"))
    assert [el.get("id") or el.get("class") for el in names] == ["kept"]
    assert text_of(root) == "abc"


def test_htmltree_text_of_is_all_the_text_inside_without_the_tail() -> None:
    root = parse_markup("<html><body><div>一<b>二</b>三</div>尾</body></html>")
    assert text_of(root.find(".//div")) == "一二三"


def test_htmltree_keeps_a_text_node_over_ten_megabytes() -> None:
    from parsers.parse import parse_document
    from parsers.records import ParseOptions

    line = "合成生物产业发展，建设生物制造中试平台。" * 180_000  # one line, 10.8 MB of UTF-8, no tag inside
    title = "关于支持合成生物产业发展的通知"
    page = f"<html><head><title>{title}</title></head><body><div class='content'><h1>{title}</h1><p>{line}</p>"
    page += "<p>广东省科学技术厅</p></div></body></html>"
    assert len(page.encode()) > 10_000_000
    assert len(text_of(parse_markup(page))) > len(line)  # libxml2 alone drops it without huge_tree
    doc = parse_document(page.encode(), ParseOptions(url="https://gdstc.gd.gov.cn/a.html"))
    assert doc.extraction.status == "ok" and line in (doc.extraction.text or "")
