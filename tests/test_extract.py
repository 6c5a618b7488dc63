"""extract: statuses, the HTML path, and the promise never to raise."""

from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import parsers.extract as extract_module
from parsers.extract import extract
from parsers.records import Attachment, Extraction, ExtractionStatus, ParseOptions

URL = "https://gdstc.gd.gov.cn/zwgk_n/tzgg/content/post_1.html"
TITLE = "关于印发广东省生物医药产业发展行动方案的通知"
TRS_PAGE = f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{TITLE}_广东省科学技术厅</title>
<script>var nav = "首页";</script><style>p {{ color: red; }}</style></head>
<body>
<div class="top"><a href="/">网站首页</a> <a href="/zwgk">政务公开</a> <a href="/tzgg">通知公告</a></div>
<div class="main">
  <h1>{TITLE}</h1>
  <div class="info"><span>发布时间：</span><span>2024-03-15</span> <span>来源：广东省科学技术厅</span></div>
  <div class="TRS_Editor">
    <p>各地级以上市科技局：</p>
    <p>现将《广东省生物医药产业发展行动方案》印发给你们，请结合实际认真贯彻执行。执行中遇到的问题，请径向省科技厅反映。</p>
    <p>广东省科学技术厅</p>
    <p>2024年3月10日</p>
    <p>附件：<a href="/att/plan.pdf">行动方案.pdf</a></p>
  </div>
</div>
<div class="footer">版权所有：广东省科学技术厅 粤ICP备05071319号</div>
</body></html>"""
LIST_ITEMS = "".join(
    f'<li><a href="/post_{n}.html">关于开展2024年度生物医药产业第{n}批项目申报工作的通知</a>'
    f"<span>2024-01-{n:02d}</span></li>"
    for n in range(1, 21)
)
LIST_PAGE = f"""<html><head><title>通知公告</title></head><body>
<div class="list"><ul>{LIST_ITEMS}</ul></div>
<div class="bottom">主办单位：广东省科学技术厅 地址：广州市越秀区连新路171号 邮编：510033
联系电话：020-83163338 网站标识码：4400000095 粤ICP备05071319号</div></body></html>"""


def test_extract_empty_input_is_empty() -> None:
    assert extract(b"", ParseOptions()).status is ExtractionStatus.EMPTY


def test_extract_whitespace_only_is_empty() -> None:
    assert extract(b" \r\n\t\n", ParseOptions()).status is ExtractionStatus.EMPTY


def test_extract_binary_is_undecodable() -> None:
    record = extract(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", ParseOptions())
    assert record.status is ExtractionStatus.UNDECODABLE
    assert record.reason


def test_extract_bytes_in_no_charset_are_undecodable_not_noise() -> None:
    rng = random.Random(7)
    noise = bytes(rng.randrange(0x20, 0x100) for _ in range(4096))  # no control bytes: not caught as binary
    record = extract(noise, ParseOptions())
    assert record.status is ExtractionStatus.UNDECODABLE
    assert "not text in" in (record.reason or "") and record.bad_bytes > 200


def test_extract_a_page_with_a_few_bad_bytes_is_still_read() -> None:
    page = f"<html><body><h1>标题</h1><p>{'生物医药产业发展。' * 40}</p></body></html>".encode("gbk")
    record = extract(page[:200] + b"\xff\xff" + page[200:], ParseOptions())
    assert (record.status, record.bad_bytes) == (ExtractionStatus.OK, 2)


def test_extract_too_large_is_never_parsed() -> None:
    record = extract("正文。".encode() * 10, ParseOptions(max_bytes=20))
    assert record.status is ExtractionStatus.TOO_LARGE
    assert record.text == ""


def test_extract_list_page_is_not_article() -> None:
    record = extract(LIST_PAGE.encode("utf-8"), ParseOptions(url=URL))
    assert record.status is ExtractionStatus.NOT_ARTICLE
    assert record.reason


def test_extract_page_without_text_is_not_article() -> None:
    record = extract(b"<html><body><div><a href='/'>home</a></div></body></html>", ParseOptions())
    assert record.status is ExtractionStatus.NOT_ARTICLE


def test_extract_plain_text_is_ok() -> None:
    record = extract("标题一行\n正文第一段。\n正文第二段。".encode(), ParseOptions())
    assert (record.status, record.title, record.text) == (
        ExtractionStatus.OK,
        "标题一行",
        "正文第一段。\n正文第二段。",
    )


@pytest.fixture(scope="module")
def trs_record() -> Extraction:
    return extract(TRS_PAGE.encode("gbk"), ParseOptions(url=URL))


def test_extract_gbk_trs_page_is_ok(trs_record: Extraction) -> None:
    assert (trs_record.status, trs_record.encoding, trs_record.bad_bytes) == (
        ExtractionStatus.OK,
        "gb18030",
        0,
    )


def test_extract_gbk_trs_page_title_date_and_signature(trs_record: Extraction) -> None:
    assert trs_record.title == TITLE
    assert (trs_record.published_on, trs_record.signed_on) == (date(2024, 3, 15), date(2024, 3, 10))
    assert trs_record.issuers == ("广东省科学技术厅",)
    assert (trs_record.doc_type, trs_record.level, trs_record.regions) == ("方案", "provincial", ("广东",))


def test_extract_gbk_trs_page_text_is_the_editor_body(trs_record: Extraction) -> None:
    assert trs_record.text.startswith("各地级以上市科技局：\n现将《广东省生物医药产业发展行动方案》印发给你们")
    assert all(chrome not in trs_record.text for chrome in ("网站首页", "var nav", "color", "ICP", "发布时间"))


def test_extract_gbk_trs_page_attachments_are_absolute(trs_record: Extraction) -> None:
    assert trs_record.attachments == (Attachment(name="行动方案.pdf", url="https://gdstc.gd.gov.cn/att/plan.pdf"),)


def test_extract_html_meta_date_and_title_win() -> None:
    metas = '<meta name="ArticleTitle" content="元数据里的标题"><meta name="PubDate" content="2024-03-16 10:00">'
    page = TRS_PAGE.replace("<title>", f"{metas}<title>")
    record = extract(page.encode("utf-8"), ParseOptions())
    assert (record.title, record.published_on) == ("元数据里的标题", date(2024, 3, 16))


def test_extract_html_without_known_container_uses_text_density() -> None:
    page = TRS_PAGE.replace('class="TRS_Editor"', 'class="c1"')
    record = extract(page.encode("utf-8"), ParseOptions(url=URL))
    assert record.status is ExtractionStatus.OK
    assert record.text.startswith("各地级以上市科技局：")


def test_extract_known_facts_win_over_the_page(trs_record: Extraction) -> None:
    options = ParseOptions(known_title="已知标题", known_published_on=date(2024, 1, 2), known_issuers=("科学技术部",))
    record = extract(TRS_PAGE.encode("gbk"), options)
    assert (record.title, record.published_on, record.issuers, record.level) == (
        "已知标题", date(2024, 1, 2), ("科学技术部",), "central",
    )  # fmt: skip


def test_extract_forced_encoding_is_used() -> None:
    page = TRS_PAGE.replace("gb2312", "utf-8")
    record = extract(page.encode("gbk"), ParseOptions(encoding="gbk"))
    assert (record.status, record.title) == (ExtractionStatus.OK, TITLE)


def test_extract_deeply_nested_page_is_ok() -> None:
    page = "<html><body>" + "<div>" * 3000 + "正文内容。" * 30 + "</div>" * 3000 + "</body></html>"
    record = extract(page.encode(), ParseOptions())
    assert (record.status, record.text) == (ExtractionStatus.OK, "正文内容。" * 30)


def test_extract_internal_error_becomes_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(extract_module, "read_metadata", broken)
    record = extract("标题\n正文。".encode(), ParseOptions())
    assert record.status is ExtractionStatus.UNDECODABLE
    assert record.reason is not None and "boom" in record.reason


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=3000))
def test_extract_never_raises_on_any_bytes(data: bytes) -> None:
    assert isinstance(extract(data, ParseOptions()).status, ExtractionStatus)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=2000))
def test_extract_never_raises_on_any_markup(text: str) -> None:
    record = extract(f"<html><body><div class='TRS_Editor'>{text}</div></body></html>".encode(), ParseOptions())
    assert isinstance(record.status, ExtractionStatus)


PROSE = "".join(
    f"<p>第{n}条 为规范管理，根据有关法律法规，制定本办法。本办法适用于各类单位的日常管理工作。</p>" for n in "一二三"
)
HEAD = "<head><title>管理办法</title></head>"


@pytest.mark.parametrize(
    "page",
    [
        # gov.cn: the shared header include ends in a stray </html> before <!--end header-->.
        f"<html>{HEAD}<body><div class='header'>首页 政策</div></html><!--end header--><div id='zoom'>{PROSE}</div></body></html>",
        f"<html>{HEAD}<body><div>页头</div></body></html><div id='zoom'>{PROSE}</div>",  # a stray </body></html>
        f"<html>{HEAD}<body><div>页头</div></body></html><html lang='zh'><body><div id='zoom'>{PROSE}</div></body></html>",
    ],
)
def test_extract_page_after_stray_document_end_tags_is_read(page: str) -> None:
    record = extract(page.encode(), ParseOptions())
    assert (record.status, record.text.count("为规范管理")) == (ExtractionStatus.OK, 3)


@pytest.mark.parametrize(
    ("paragraph", "line"),
    [
        # Word-exported spans wrapped mid-word: a source line break between CJK characters is nothing.
        ("<span>第五十</span>\n<span>二条 本办法自印发之日起施行。</span>", "第五十二条 本办法自印发之日起施行。"),
        ("<span>2026年4月2</span>\n<span>0日</span>", "2026年4月2 0日"),  # digits keep the space a browser shows
        ("<o:p>\n 国\n </o:p>家外汇管理局", "国家外汇管理局"),
        ("部&nbsp;长&nbsp;阴和俊", "部 长 阴和俊"),  # spaces typed on purpose stay
        ("Gene\nEditing", "Gene Editing"),
    ],
)
def test_extract_source_line_breaks_are_spaces_not_lines(paragraph: str, line: str) -> None:
    page = f"<html>{HEAD}<body><div id='zoom'>{PROSE}<p>{paragraph}</p></div></body></html>"
    assert extract(page.encode(), ParseOptions()).text.split("\n")[-1] == line


def test_extract_pre_keeps_its_line_breaks() -> None:
    page = f"<html>{HEAD}<body><div id='zoom'>{PROSE}<pre>一行\n二行</pre></div></body></html>"
    assert extract(page.encode(), ParseOptions()).text.split("\n")[-2:] == ["一行", "二行"]


def test_extract_list_page_reached_as_article_link_is_low_confidence() -> None:
    record = extract(LIST_PAGE.encode("utf-8"), ParseOptions(url=URL, article_link=True))
    assert record.status is ExtractionStatus.LOW_CONFIDENCE
    assert record.text.startswith("关于开展2024年度生物医药产业第1批项目申报工作的通知")
    assert record.reason is not None and "link selector" in record.reason and "list page" in record.reason


def test_extract_short_page_reached_as_article_link_is_low_confidence() -> None:
    page = "<html><head><title>关于公布名单的通知</title></head><body><p>名单见图。</p></body></html>"
    record = extract(page.encode(), ParseOptions(article_link=True))
    assert (record.status, record.title, record.text) == (
        ExtractionStatus.LOW_CONFIDENCE,
        "关于公布名单的通知",
        "名单见图。",
    )


def test_extract_rule_container_left_empty_by_its_furniture_gives_way() -> None:
    # SASAC: a hidden share box in an <article> matched the HTML5 rule, and held no article once dropped.
    share = "<article><div class='share-title' style='display:none'>关于印发《企业国有资产交易操作规则》的通知的分享标题文字</div></article>"
    page = f"<html>{HEAD}<body>{share}<div class='zsy_comain'>{PROSE}</div></body></html>"
    record = extract(page.encode(), ParseOptions())
    assert (record.status, record.text.count("为规范管理")) == (ExtractionStatus.OK, 3)


def test_extract_date_meta_equal_to_generation_time_is_not_the_publication_date() -> None:
    metas = (
        '<meta name="PubDate" content="2025-10-25 11:32:37">'
        '<meta name="others" content="页面生成时间 2025-10-25 11:32:37">'
    )
    page = f"<html><head>{metas}</head><body><div id='zoom'>{PROSE}</div></body></html>"
    assert extract(page.encode(), ParseOptions()).published_on is None


def test_extract_publisher_line_outside_the_body_is_the_issuer() -> None:
    page = f"<html><body><div id='zoom'>{PROSE}</div><div class='fg-foot'><span>中国证券监督管理委员会发布</span></div></body></html>"
    assert extract(page.encode(), ParseOptions(default_issuer="中国证监会")).issuers == ("中国证券监督管理委员会",)


@pytest.mark.parametrize(
    "fragment",
    [
        "<!--start component 内容-->\n<div class='content'><p>第一条 为规范管理，根据有关法律法规，制定本办法。</p></div>",
        "<p>第一条 为规范管理，根据有关法律法规，制定本办法。</p>",
    ],
)
def test_extract_bare_fragment_is_html(fragment: str) -> None:
    assert (
        extract(fragment.encode(), ParseOptions(article_link=True)).text
        == "第一条 为规范管理，根据有关法律法规，制定本办法。"
    )


def test_extract_repeated_info_tables_give_the_first_filled_value() -> None:
    table = "<table><tr><td>发文字号：</td><td>{}</td></tr><tr><td>成文日期：</td><td>2024年03月10日</td></tr></table>"
    page = (
        f"<html><head><title>关于X的通知</title></head><body>{table.format('')}{table.format('国科发〔2024〕1号')}"
        f"<div id='zoom'>{PROSE}</div></body></html>"
    )
    record = extract(page.encode(), ParseOptions())
    assert (record.doc_number, record.signed_on) == ("国科发〔2024〕1号", date(2024, 3, 10))


def _notice_with_table(beside: str = "") -> bytes:
    rows = "".join(
        f"<tr><td>{i}</td><td>注射用细胞治疗产品{i}号</td><td>某某生物科技有限公司</td><td>国药准字S2024{i:04d}</td></tr>"
        for i in range(40)
    )
    return (
        "<html><head><title>关于公布第二批创新医疗器械名单的通告</title></head><body>"
        "<div class='nav'><a href='/'>首页</a></div><h1>关于公布第二批创新医疗器械名单的通告</h1>"
        f"<div class='content'>{beside}<p>根据有关规定，现将第二批创新医疗器械名单公布如下。</p><table>{rows}</table>"
        "<p>特此通告。</p><p>国家药品监督管理局</p><p>2024年5月6日</p></div></body></html>"
    ).encode()


def test_extract_a_notice_around_a_table_keeps_its_lead_in_and_signature() -> None:
    record = extract(_notice_with_table(), ParseOptions())
    assert record.status is ExtractionStatus.OK
    text = record.text or ""
    assert text.startswith("根据有关规定，现将第二批创新医疗器械名单公布如下。")
    assert "注射用细胞治疗产品39号" in text and text.endswith("2024年5月6日")
    assert record.published_on == date(2024, 5, 6)


def test_extract_links_beside_a_table_stay_out_of_its_text() -> None:
    related = "<ul>" + "".join(f"<li><a href='/n/{i}.html'>其他新闻标题第{i}条</a></li>" for i in range(8)) + "</ul>"
    record = extract(_notice_with_table(related), ParseOptions())
    assert "注射用细胞治疗产品0号" in (record.text or "") and "其他新闻标题" not in (record.text or "")
