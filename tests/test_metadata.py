"""metadata: dates, signature blocks, 发文字号, document types, titles, regions and levels."""

from __future__ import annotations

from datetime import date

import pytest

from parsers.dates import context_year, dateline, dateline_date, first_date
from parsers.docnumber import find_doc_number
from parsers.doctitle import derive_title, doc_type_of, find_title, remove_title
from parsers.metadata import PageHints, find_index_number, find_places, find_signature, find_source, read_metadata
from parsers.records import ParseOptions
from parsers.regions import find_regions, issuer_level, issuer_regions, level_of, single_region
from tests.test_extract_seeds import extracted as seed
from tests.test_real_extraction import REAL
from tests.test_real_extraction import extracted as real_page

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


def test_metadata_find_signature_reads_signatories_of_a_joint_order() -> None:
    lines = [
        "现予公布。",
        "商 务 部 部 长 王文涛",
        "中国证监会 主 席 吴 清",
        "国家外汇局 局 长 朱鹤新",
        "2024年11月1日",
    ]
    assert find_signature(lines) == (("商务部", "中国证监会", "国家外汇局"), date(2024, 11, 1))


def test_metadata_find_signature_of_one_signatory_gives_the_date() -> None:
    assert find_signature(["现予公布，自2026年7月1日起施行。", "主任：郑栅洁", "2026年3月18日"]) == (
        (), date(2026, 3, 18))  # fmt: skip


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
        ("中华人民共和国科学技术普及法（2024年修订）", "第一条", "法"),
        ("国家科学技术奖励条例（国务院令第782号第四次修订）", "第一条", "条例"),
        ("《粮食流通行政执法办法》 2026年第40号令", "中华人民共和国国家发展和改革委员会令", "令"),
        ("科技部等印发《关于加快推动科技保险高质量发展的若干意见》的通知", "各省", "意见"),
        ("关于印发《企业国有资产交易操作规则》的通知", "各中央企业", "规则"),
        ("科学技术方法", "正文", None),
    ],
)
def test_metadata_doc_type_of(title: str | None, body: str, expected: str | None) -> None:
    assert doc_type_of(title, body) == expected


@pytest.mark.parametrize(
    ("title", "kind", "expected"),
    [
        ("中华人民共和国审计法实施条例", "令", "令"),  # the 公文种类 cell names the official type
        ("国务院办公厅关于X的意见", "其他", "意见"),  # not an official type: the title's ending
        ("关于印发《X发展规划》的通知", "通知", "规划"),  # a wrapper: the wrapped document's type
    ],
)
def test_metadata_doc_type_of_reads_the_kind_cell(title: str, kind: str, expected: str) -> None:
    assert doc_type_of(title, "正文", kind=kind) == expected


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
        # A plan's title run into its first sentence (PDF text without line breaks, seed 002).
        (
            "“十四五”生物经济发展规划科学规划、系统推进我国生物经济发展，是顺应全球生物技术加速演进趋势、实现高水平科技"
            "自立自强的重要方向，是前瞻布局培育壮大生物产业、推动经济高质量发展的重要举措。",
            "“十四五”生物经济发展规划",
        ),
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
    ("text", "expected"),
    [
        ("海南省人民政府：", ("海南",)),
        ("深圳市、广州市人民政府：", ("广东",)),  # two cities of one province
        ("大湾区", ("粤港澳大湾区", "广东", "香港", "澳门")),
        ("北京市、天津市、河北省人民政府：", ()),  # several regions: none singled out
        ("国家发展改革委：", ()),
    ],
)
def test_metadata_single_region(text: str, expected: tuple[str, ...]) -> None:
    assert single_region(text) == expected


@pytest.mark.parametrize(
    ("issuers", "expected"),
    [
        (("广东省人民政府办公厅",), ("广东",)),
        (("深圳市科技创新局", "国家发展改革委"), ("广东",)),
        (("国家发展改革委", "科技部"), ()),  # central issuers name no region
        (("北京证券交易所",), ()),  # an institution named after its seat is no place
    ],
)
def test_metadata_issuer_regions(issuers: tuple[str, ...], expected: tuple[str, ...]) -> None:
    assert issuer_regions(issuers) == expected


def test_metadata_dateline_gives_its_place_and_lead() -> None:
    assert dateline("新华社北京6月19日电（记者张三）记者从国家药监局获悉\n第二段") == (
        "新华社北京",
        "（记者张三）记者从国家药监局获悉",
    )
    assert dateline("5月10日,国家发改委发布《规划》") is None


# (issuers, title, text, source region) → (regions, mentioned_regions)
PLACES = {
    "a central plan mentions provinces": (
        ("国家发展改革委",), "“十四五”生物经济发展规划", "支持京津冀、广东建设生物经济先导区。", None,
        ((), ("京津冀", "北京", "天津", "河北", "广东")),
    ),
    "a provincial issuer names its province": (
        ("广东省人民政府办公厅",), "关于印发生物医药行动计划的通知", "推动粤港澳大湾区协同发展。", None,
        (("广东",), ("粤港澳大湾区", "香港", "澳门")),
    ),
    "the title names the target": (
        ("国务院",), "国务院关于支持海南全面深化改革开放的意见", "支持海南与广东合作。", None,
        (("海南",), ("广东",)),
    ),
    "a single addressee is the target": (
        ("国家发展改革委",), "关于生物医药产业园区的复函", "海南省人民政府：\n你省来函收悉。", None,
        (("海南",), ()),
    ),
    "the rote addressee list names nobody": (
        ("科技部",), "关于开展试点的通知", "各省、自治区、直辖市及新疆生产建设兵团科技厅：\n请北京先行。", None,
        ((), ("北京",)),
    ),
    "a story about its dateline's place": (
        (), "未来产业加快发展", "北京6月19日电 (记者 吕少威)2024年北京医药健康产业规模达到1.06万亿元。", None,
        (("北京",), ()),
    ),
    "a national story filed in Beijing": (
        (), "创新药获批数量增长", "新华社北京6月19日电 记者从国家药监局获悉。\n支持北京、上海建设高地。", None,
        ((), ("北京", "上海")),
    ),
    "the source's region when nothing else says": (
        (), "通知", "请上海做好准备。", "广东",
        (("广东",), ("上海",)),
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(PLACES))
def test_metadata_find_places_tells_targets_from_mentions(case: str) -> None:
    issuers, title, text, default, expected = PLACES[case]
    assert find_places(issuers, title, text, default=default) == expected


def test_metadata_national_plan_seed_only_mentions_guangdong() -> None:
    plan, guangdong = seed("002_860cc7e5a463723a"), seed("003_07e6f8bdc852bf7e")
    assert (plan.regions, len(plan.mentioned_regions)) == ((), 18) and "广东" in plan.mentioned_regions
    assert guangdong.regions == ("广东",) and guangdong.mentioned_regions[0] == "粤港澳大湾区"


def test_metadata_real_national_opinion_mentions_the_regions_it_supports() -> None:
    opinion = real_page(REAL / "www.most.gov.cn" / "most_golden_detail_gfxwj_202602_195992.html")
    # 支持北京（京津冀）、上海（长三角）、粤港澳大湾区…; 新疆 and 上海保交所 stand only in the rote addressee list.
    assert opinion.regions == () and opinion.mentioned_regions[:2] == ("北京", "京津冀")
    assert "新疆" not in opinion.mentioned_regions


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


def test_metadata_read_metadata_empty_number_cell_means_none() -> None:
    hints = PageHints(fields=(("doc_number", ""),))
    text = "国科发区〔2026〕3号\n各省科技厅："
    meta = read_metadata(text, text, title="关于X的通知", hints=hints, options=ParseOptions())
    assert meta.doc_number is None


def test_metadata_read_metadata_number_and_issuer_of_an_order_header() -> None:
    text = "中华人民共和国国家发展和改革委员会令\n第41号\n《规定》已经审议通过，现予公布。\n主任：郑栅洁\n2026年3月18日"
    options = ParseOptions(default_issuer="国家发展改革委")
    meta = read_metadata(text, text, title="《规定》 2026年第41号令", hints=PageHints(), options=options)
    assert (meta.doc_number, meta.issuers, meta.signed_on) == (
        "国家发展和改革委员会令第41号", ("国家发展和改革委员会",), date(2026, 3, 18))  # fmt: skip


def test_metadata_read_metadata_publisher_line_is_the_issuer() -> None:
    hints = PageHints(publisher="中国证券监督管理委员会")
    meta = read_metadata(
        "第一条 正文。", "第一条 正文。", title="办法", hints=hints, options=ParseOptions(default_issuer="中国证监会")
    )
    assert meta.issuers == ("中国证券监督管理委员会",)


def test_metadata_read_metadata_date_and_number_of_a_regulation_note() -> None:
    text = "（2022年2月18日证监会令第195号公布 自2022年4月1日起施行）\n第一章 总 则\n第一条 正文。"
    meta = read_metadata(text, text, title="办法", hints=PageHints(), options=ParseOptions())
    assert (meta.published_on, meta.doc_number) == (date(2022, 2, 18), "证监会令第195号")


def test_metadata_remove_title_keeps_an_opening_clause() -> None:
    body = "第一条 为规范管理，根据有关法律法规，制定本办法。"
    assert remove_title(body, "第一条 为规范管理") == body
