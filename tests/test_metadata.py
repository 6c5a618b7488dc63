"""metadata: dates, signature blocks, 发文字号, document types, titles, regions and levels."""

from __future__ import annotations

from datetime import date

import pytest

from parsers.dates import context_year, dateline_date, first_date
from parsers.docnumber import find_doc_number
from parsers.doctitle import derive_title, doc_type_of, find_title, remove_title
from parsers.metadata import PageHints, find_index_number, find_signature, find_source, read_metadata
from parsers.records import ParseOptions
from parsers.regions import find_regions, issuer_level, level_of

REFERENCE = date(2026, 11, 20)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("发布时间:2024-06-30 来源: 河北长安网", date(2024, 6, 30)),
        ("发表于:2024-02-29 关注", date(2024, 2, 29)),
        ("2024年2月7日", date(2024, 2, 7)),
        ("2024 年 2 月 7 日", date(2024, 2, 7)),
        ("2024-06-30 10:20", date(2024, 6, 30)),
        ("2024/6/3", date(2024, 6, 3)),
        ("2024.06.30", date(2024, 6, 30)),
        ("2024-06-30-10:30:00", date(2024, 6, 30)),
        ("20240630", date(2024, 6, 30)),
        ("2024年2月30日", None),
        ("5月10日,国家发改委发布", None),
        ("", None),
    ],
)
def test_metadata_first_date(text: str, expected: date | None) -> None:
    assert first_date(text) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("北京6月19日电 (记者 吕少威)这是记者在2025年“活力中国调研行”中了解到的。", date(2025, 6, 19)),
        ("新华社北京6月19日电 记者某某报道。2024年的数据显示", date(2024, 6, 19)),
        ("本报广州2023年3月1日讯 今天", date(2023, 3, 1)),
        ("中新网6月19日电 到2030年,产业规模翻番。", date(2026, 6, 19)),
        ("5月10日,国家发改委发布《规划》", None),
    ],
)
def test_metadata_dateline_date(body: str, expected: date | None) -> None:
    assert dateline_date(body, REFERENCE) == expected


@pytest.mark.parametrize(
    ("text", "reference", "expected"),
    [
        ("2024年规模达到1万亿元,2025年“活力中国调研行”", REFERENCE, 2025),
        ("到2030年争取新增1家国家实验室,截至2024年底", REFERENCE, 2024),
        ("2027年的展望", date(2026, 1, 1), 2026),
        ("没有年份", None, None),
    ],
)
def test_metadata_context_year(text: str, reference: date | None, expected: int | None) -> None:
    assert context_year(text, reference) == expected


def test_metadata_find_signature_reads_issuer_block_above_date() -> None:
    signers = ["广东省科学技术厅", "广东省发展和改革委员会", "广东省工业和信息化厅"]
    lines = [
        "现印发给你们,请认真组织实施。",
        *signers,
        "2024年2月7日",
        "广东省培育未来生命健康产业集群行动计划",
    ]
    issuers, signed_on = find_signature(lines)
    assert issuers == ("广东省科学技术厅", "广东省发展和改革委员会", "广东省工业和信息化厅")
    assert signed_on == date(2024, 2, 7)


def test_metadata_find_signature_splits_issuers_on_one_line() -> None:
    assert find_signature(["科技部 财政部", "（2023年5月6日）"]) == (("科技部", "财政部"), date(2023, 5, 6))


def test_metadata_find_signature_needs_an_organisation() -> None:
    assert find_signature(["这是一段话。", "2024年2月7日"]) == ((), None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("发改高技〔2021〕1850号", "发改高技〔2021〕1850号"),
        ("国办发〔2019〕2号", "国办发〔2019〕2号"),
        ("国办发[2019]2号", "国办发〔2019〕2号"),
        ("国办发［2019］2号", "国办发〔2019〕2号"),
        ("国办发（2019）2号", "国办发〔2019〕2号"),
        ("国办发(2019)第2号", "国办发〔2019〕2号"),
        ("粤科规范字〔2024〕1号", "粤科规范字〔2024〕1号"),
        ("发文字号：国办函〔2021〕103号", "国办函〔2021〕103号"),
        ("关于印发《规划》的通知国发〔2016〕67号", "国发〔2016〕67号"),
        ("2024年(2024)没有号", None),
        ("没有文号", None),
    ],
)
def test_metadata_find_doc_number(text: str, expected: str | None) -> None:
    assert find_doc_number(text) == expected


def test_metadata_find_index_number() -> None:
    assert find_index_number("索引号：000014349/2022-00058 主题分类") == "000014349/2022-00058"


def test_metadata_find_source_stops_at_author() -> None:
    assert find_source(["发布时间:2024-06-30 来源: 河北长安网 作者:佚名"]) == "河北长安网"


@pytest.mark.parametrize(
    ("title", "body", "expected"),
    [
        ("关于印发广东省培育未来生命健康产业集群行动计划的通知", "各地级以上市人民政府:", "行动计划"),
        ("关于印发《“十四五”生物经济发展规划》的通知", "各省:", "规划"),
        ("国务院办公厅关于印发《药品监管实施方案（试行）》的通知", "各省:", "方案"),
        ("关于开展2024年度项目申报工作的通知", "各单位:", "通知"),
        ("关于全面加强药品监管能力建设的实施意见", "各省:", "意见"),
        ("北京市支持创新医药高质量发展若干措施", "为支持", "措施"),
        ("生物医药产业发展管理办法", "第一条", "办法"),
        ("国务院关于修改部分行政法规的决定", "为依法", "决定"),
        ("一图读懂《生物经济发展规划》政策解读", "一图", "政策解读"),
        ("北京加快培育壮大未来产业", "北京6月19日电 (记者 吕少威)", "新闻报道"),
        ("专家这样说", "正文。(河北日报记者 米彦泽)", "新闻报道"),
        ("国家发改委发布《“十四五”生物经济发展规划》", "5月10日,国家发改委发布", None),
        (None, "无标题", None),
    ],
)
def test_metadata_doc_type_of(title: str | None, body: str, expected: str | None) -> None:
    assert doc_type_of(title, body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "(活力中国调研行)北京加快培育壮大未来产业\n北京6月19日电",
            "(活力中国调研行)北京加快培育壮大未来产业",
        ),
        ("5月10日,国家发改委发布《规划》,《规划》明确提出。", "国家发改委发布《规划》"),
        ("近日,科技部印发通知。", "科技部印发通知"),
        ("各单位:\n正文", "各单位"),
        ("2024年2月7日\n正文", "正文"),
    ],
)
def test_metadata_find_title(body: str, expected: str) -> None:
    assert find_title(body) == expected


def test_metadata_derive_title_is_at_most_40_characters() -> None:
    title = derive_title("这是" + "很长" * 40 + "的第一句。")
    assert title is not None and len(title) == 40


def test_metadata_remove_title_drops_repeats_and_glued_title() -> None:
    body = "“十四五”生物经济发展规划科学规划、系统推进。\n“十四五”生物经济发展规划\n第二段"
    assert remove_title(body, "“十四五”生物经济发展规划") == "科学规划、系统推进。\n第二段"


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["京津冀生物医药产业"], ("京津冀", "北京", "天津", "河北")),
        (["昌平区建设生命谷"], ("北京",)),
        (["广东省科学技术厅", "深圳市和大湾区"], ("广东", "粤港澳大湾区", "香港", "澳门")),
        (["成渝双城经济圈"], ("成渝", "四川", "重庆")),
        (["长三角和上海"], ("长三角", "上海", "江苏", "浙江", "安徽")),
        (["浙江西部"], ("浙江",)),
        (["中山大学的研究"], ()),
        (["全国各地"], ()),
    ],
)
def test_metadata_find_regions(texts: list[str], expected: tuple[str, ...]) -> None:
    assert find_regions(texts) == expected


@pytest.mark.parametrize(
    ("issuer", "expected"),
    [
        ("国家发展改革委", "central"),
        ("国家市场监督管理总局", "central"),
        ("国务院办公厅", "central"),
        ("广东省科学技术厅", "provincial"),
        ("广东省市场监督管理局", "provincial"),
        ("广西壮族自治区科学技术厅", "provincial"),
        ("北京市科学技术委员会", "provincial"),
        ("北京市昌平区人民政府", "municipal"),
        ("广州市科学技术局", "municipal"),
        ("广东省深圳市科技创新局", "municipal"),
    ],
)
def test_metadata_issuer_level(issuer: str, expected: str) -> None:
    assert issuer_level(issuer) == expected


def test_metadata_level_of_nobody_is_none() -> None:
    assert level_of(()) is None


def test_metadata_read_metadata_known_facts_win() -> None:
    options = ParseOptions(
        known_title="已知标题的规划",
        known_published_on=date(2022, 5, 10),
        known_issuers=("国家发展改革委",),
        known_doc_number="发改高技〔2021〕1850号",
    )
    raw = "发布时间:2024-06-30\n国办发〔2019〕2号\n正文"
    meta = read_metadata(raw, "正文", title=options.known_title, hints=PageHints(), options=options)
    assert (meta.title, meta.published_on, meta.issuers, meta.doc_number, meta.level) == (
        "已知标题的规划", date(2022, 5, 10), ("国家发展改革委",), "发改高技〔2021〕1850号", "central",
    )  # fmt: skip


def test_metadata_read_metadata_defaults_fill_gaps() -> None:
    options = ParseOptions(default_issuer="广东省科学技术厅", default_region="广东")
    meta = read_metadata("正文。", "正文。", title="通知", hints=PageHints(), options=options)
    assert (meta.issuers, meta.regions, meta.level) == (("广东省科学技术厅",), ("广东",), "provincial")


def test_metadata_read_metadata_published_falls_back_to_signing_date() -> None:
    text = "请认真执行。\n科学技术部\n2023年5月6日"
    meta = read_metadata(text, text, title="关于X的通知", hints=PageHints(), options=ParseOptions())
    assert (meta.published_on, meta.signed_on) == (date(2023, 5, 6), date(2023, 5, 6))
