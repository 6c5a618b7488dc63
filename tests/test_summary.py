"""A document's summary: a policy's purpose clause, a news report's lede, never a mid-list fragment (issue 23)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

from flows.sources import load_sources
from flows.tasks.options import file_options
from parsers.attachment_merge import AttachedText, merge, read_file
from parsers.classify import default_taxonomy
from parsers.parse import parse_document
from parsers.records import ParsedDocument, ParseOptions
from parsers.summary import MAX_SUMMARY, SUMMARY_CANDIDATES, summarize

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
REAL = Path(__file__).with_name("fixtures") / "real"
# How a summary must never open: a list ordinal, a connective that needs the sentence before, punctuation.
MID_LIST = re.compile(
    r"^(?:[一二三四五六七八九十]+[是、]|[(（][一二三四五六七八九十\d]+[)）]|\d+\s*[.．、]|第[一二三四五六七八九十]+"
    r"|同时|此外|另外|因此|其中|然而|而|[，。、；：,.;:)）】”])"
)


@cache
def seed(prefix: str) -> ParsedDocument:
    """A seed parsed as the nightly run parses it: the seeds source's defaults and its manifest entry."""
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    options = file_options(load_sources(SEEDS / "sources.yaml"), path, fetched_on=None)
    assert options is not None
    return parse_document(path.read_bytes(), options)


def summary_of(document: ParsedDocument) -> str:
    assert document.classification is not None
    return document.classification.summary


# --- the seeds ---------------------------------------------------------------------------------

SEED_SUMMARIES = [
    # news about the plan: its lede, not "加快推动…三是加快生物制造技术…" from the list of tasks
    ("000", "5月10日,国家发改委发布《“十四五”生物经济发展规划》,《规划》明确提出"),
    # news: the lede without its dateline "北京6月19日电 (记者 吕少威)"
    ("001", "2024年北京医药健康产业规模达到了1.06万亿元"),
    # the plan: its purpose clause, not "生物安全建设取得历史性成就…" from the review of the past
    (
        "002",
        "为贯彻落实党中央、国务院决策部署，加快发展生物经济，依据《中华人民共和国国民经济和社会发展第十四个五年规划",
    ),
    # a 印发 notice: the attached plan's purpose clause, not the transmittal nor a definition from 一、总体情况
    ("003", "为贯彻落实省委、省政府关于坚持制造业当家、高质量建设制造强省的具体部署"),
    # news: its first sentence and the next (the first is short), not a quote from a middle paragraph
    ("004", "生物医药产业是关系国计民生和国家安全的战略性新兴产业。6月13日至14日,在秦皇岛举办的"),
]


@pytest.mark.parametrize(("prefix", "opening"), SEED_SUMMARIES, ids=[c[0] for c in SEED_SUMMARIES])
def test_summary_of_a_seed_is_its_lede_or_purpose(prefix: str, opening: str) -> None:
    summary = summary_of(seed(prefix))
    assert summary.startswith(opening)
    assert not MID_LIST.match(summary)
    assert len(summary) <= MAX_SUMMARY


# --- real pages (tests/fixtures/real/, provenance in each sidecar) ------------------------------

REAL_SUMMARIES = [
    # gov.cn 意见: the purpose clause, not the 发文字号 line (国办发〔2026〕28号) the old summary took
    ("www.gov.cn/detail_template_a.html", "为发展体育赛事、激发消费活力，经国务院同意，现提出如下意见。"),
    # NDRC 令 whose page holds only the order: the order itself, not its heading 中华人民共和国国家发展和改革委员会令
    ("www.ndrc.gov.cn/ndrc_golden_detail_2.html", "《粮食流通行政执法办法》已经2026年2月5日第27次委务会议审议通过"),
    # MOST 令 with the regulation: its 第一条 purpose (without 第一条), not （五）第三方科学技术服务机构…
    ("www.most.gov.cn/most_golden_detail_bmgz_202602_195895.html", "为规范科学技术活动违规行为调查处理"),
    # MOST 决定: its purpose, not the list item "1. 基因工程安全管理办法（…）"
    ("www.most.gov.cn/most_golden_detail_bmgz_202508_194336.html", "为推动健全科技政策法规体系"),
    # MOST 印发…意见的通知: the 意见's own purpose clause, not the transmittal nor a clause from its middle
    ("www.most.gov.cn/most_golden_detail_gfxwj_202602_195992.html", "为贯彻落实建立科技保险政策体系的任务部署"),
    # SASAC 印发…规则的通知: the rules' purpose, not 国资发产权规〔2025〕17号 nor "…现印发给你们，请遵照执行"
    ("www.sasac.gov.cn/detail_2.html", "为进一步规范企业国有资产交易行为"),
    # CSRC 办法: its purpose, not the bracketed note (2022年2月18日证监会令第195号公布 自2022年4月1日起施行)
    ("www.csrc.gov.cn/detail_2.html", "为了规范证券公司和公开募集证券投资基金管理公司"),
]


def real_page(name: str) -> ParsedDocument:
    """A real page parsed as the nightly run parses an article link of its source."""
    page = REAL / name
    gold = json.loads(page.with_name(page.name + ".json").read_text("utf-8"))
    issuer = gold.get("source_defaults", {}).get("issuer")
    return parse_document(page.read_bytes(), ParseOptions(url=gold["url"], default_issuer=issuer, article_link=True))


@pytest.mark.parametrize(("name", "opening"), REAL_SUMMARIES, ids=[c[0] for c in REAL_SUMMARIES])
def test_summary_of_a_real_page_is_its_purpose_or_opening(name: str, opening: str) -> None:
    summary = summary_of(real_page(name))
    assert summary.startswith(opening)
    assert not MID_LIST.match(summary)


def cmde_merged(name: str) -> tuple[str, dict[str, str]]:
    """The summary of a 征求意见 notice whose page is a cover for a real CMDE (NMPA) guideline file."""
    path = REAL / "cmde.org.cn" / name
    expect = json.loads(path.with_name(path.name + ".json").read_text("utf-8"))["expect"]
    file = read_file(path.read_bytes(), path.name)
    cover = f"各有关单位：\n现将《{expect['title']}》公开征求意见，详见附件。"
    merged = merge(
        default_taxonomy(),
        title=f"关于公开征求《{expect['title']}》意见的通知",
        page_text=cover,
        attached=[AttachedText(url="u", text=file.text or "")],
    )
    assert merged.summary_from == "u"
    return merged.classification.summary, expect


def test_summary_of_an_attachment_is_its_first_purpose_sentence() -> None:
    summary, expect = cmde_merged("att_20241021_fxxbxj_zqyjg.docx")
    assert summary == expect["first_sentence"]  # 本指导原则旨在指导注册申请人…


def test_summary_of_an_attachment_prefers_its_purpose_to_its_opening() -> None:
    summary, expect = cmde_merged("att_20241128_yyylqx_ygcx_zqyjg.docx")
    assert summary.startswith("本指导原则旨在指导注册申请人科学合理地对有源医疗器械荧光成像功能进行定量评估")
    assert summary != expect["first_sentence"]  # 具备荧光成像功能的有源医疗器械通常需要…: background


# --- the rules, on plain inputs -----------------------------------------------------------------

PLAN_REVIEW = (
    "一、发展现状\n党的十八大以来，我省生物医药产业取得历史性成就，产业规模持续快速增长。\n"
    "二、总体要求\n（一）指导思想\n以习近平新时代中国特色社会主义思想为指导，全面贯彻新发展理念，加快构建新发展格局。\n"
    "（二）主要目标\n到2027年，全省生物医药产业规模突破1万亿元，培育10家以上龙头企业。\n"
)


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        (  # a policy: the purpose clause beats an earlier sentence of background
            "生物制造行动方案",
            "生物制造是战略性新兴产业的重要方向，对产业升级意义重大。\n为加快生物制造产业发展，结合我省实际，制定本方案。",
            "为加快生物制造产业发展，结合我省实际，制定本方案。",
        ),
        (  # a transmittal is no purpose: the attached plan's purpose clause is
            "关于印发生物医药行动计划的通知",
            "为贯彻落实省委部署，现将《生物医药行动计划》印发给你们，请认真贯彻执行。\n"
            "生物医药行动计划\n为加快生物医药产业高质量发展，打造万亿级产业集群，制定本行动计划。",
            "为加快生物医药产业高质量发展，打造万亿级产业集群，制定本行动计划。",
        ),
        (  # a plan without a purpose clause that opens on the review of the past: its goals
            "生物医药产业发展规划",
            PLAN_REVIEW,
            "到2027年，全省生物医药产业规模突破1万亿元，培育10家以上龙头企业。",
        ),
        (  # news: the lede, though a later sentence says 为…制定 and holds more topic terms
            "疫苗企业加快研发",
            "新华社北京3月5日电（记者 张三）我国疫苗企业今年加快创新药研发，多款产品进入临床阶段，部分产品已在欧美多个国家和地区获批上市。\n"
            "为推动疫苗、创新药、细胞治疗和基因治疗产业发展，有关部门制定了专项支持政策。",
            "我国疫苗企业今年加快创新药研发，多款产品进入临床阶段，部分产品已在欧美多个国家和地区获批上市。",
        ),
        (  # a dateline of an agency without a date, and a byline in brackets
            "西藏改造卫生厕所",
            "据新华社拉萨电（记者 格桑边觉）记者近日从西藏自治区农业农村厅了解到，2021年西藏改造户用卫生厕所4.66万座。",
            "记者近日从西藏自治区农业农村厅了解到，2021年西藏改造户用卫生厕所4.66万座。",
        ),
        (  # a 本报讯 dateline
            "生物医药园开园",
            "本报讯（记者 李四）市生物医药产业园今日正式开园，首批入驻企业32家，总投资超过百亿元。",
            "市生物医药产业园今日正式开园，首批入驻企业32家，总投资超过百亿元。",
        ),
    ],
    ids=["purpose-over-background", "transmittal", "plan-goals", "news-lede", "agency-dateline", "benbaoxun"],
)
def test_summary_picks(title: str, text: str, expected: str) -> None:
    assert summarize(title, text) == expected


@pytest.mark.parametrize(
    "opening",
    [
        "一是加快生物制造技术赋能生物能源和生物环保产业发展，培育一批龙头企业。",
        "（一）加强生物制造技术攻关，建设一批中试平台和菌种资源库，推动成果转化。",
        "1. 加强生物制造技术攻关，建设一批中试平台和菌种资源库，推动成果转化应用。",
        "同时，加强生物制造技术攻关，建设一批中试平台和菌种资源库，推动成果转化。",
        "此外，加强生物制造技术攻关，建设一批中试平台和菌种资源库，推动成果转化。",
        "其中，生物制造产业规模达到五千亿元，合成生物、酶制剂和发酵工程全面发展。",
    ],
)
def test_summary_never_opens_mid_list_when_a_whole_sentence_exists(opening: str) -> None:
    plain = "全省生物医药产业保持较快增长，创新药和高端医疗器械加快上市。"
    assert summarize("", f"{opening}\n{plain}") == plain


def test_summary_of_only_list_items_is_still_a_sentence_of_them() -> None:
    text = "一是加快生物制造技术攻关，建设中试平台。\n二是培育生物制造龙头企业，壮大产业集群。"
    assert summarize("", text) == "一是加快生物制造技术攻关，建设中试平台。"


def test_summary_prefers_a_list_item_to_a_label_line() -> None:
    text = "中华人民共和国国务院令\n1. 基因工程安全管理办法（1993年12月24日国家科学技术委员会令第17号公布）。"
    assert summarize("", text).startswith("1. 基因工程安全管理办法")


def test_summary_does_not_take_a_decimal_for_a_list_number() -> None:
    text = "一是加快生物制造技术攻关，建设中试平台。\n1.06万亿元的医药健康产业规模，同比增长8.7%，居全国前列。"
    assert summarize("", text) == "1.06万亿元的医药健康产业规模，同比增长8.7%，居全国前列。"


def test_summary_skips_headings_notes_and_title_echoes() -> None:
    title = "关于支持合成生物产业发展的若干措施"
    text = (
        "国办发〔2026〕28号\n关于支持合成生物产业发展的若干措施\n（2026年3月1日市政府第5次常务会议通过）\n"
        "为加快合成生物产业发展，培育新质生产力，现提出以下措施。"
    )
    assert summarize(title, text) == "为加快合成生物产业发展，培育新质生产力，现提出以下措施。"


def test_summary_keeps_a_lede_that_names_the_document() -> None:
    title = "国家发改委发布《生物经济发展规划》"
    text = "5月10日，国家发改委发布《生物经济发展规划》，明确推动生物技术和信息技术融合创新，做大做强生物经济。"
    assert summarize(title, text) == text


def test_summary_drops_leading_punctuation() -> None:
    assert (
        summarize("", "，、全省生物医药产业保持较快增长，创新药加快上市。")
        == "全省生物医药产业保持较快增长，创新药加快上市。"
    )


def test_summary_of_a_short_lede_takes_the_next_sentence_only_when_adjacent() -> None:
    lede, rest = "人生如戏，变化无常。", "一夜之间，彩票让一个穷光蛋成为百万富翁，也让百万富翁变回穷光蛋。"
    assert summarize("", f"{lede}{rest}") == lede + rest
    assert summarize("", f"{lede}\n小标题在这里\n{rest}") == lede  # a heading between: the lede stands alone


def test_summary_strips_the_article_number_before_a_purpose_clause() -> None:
    text = "第一章 总则\n第一条 为了规范药品注册行为，保证药品安全、有效和质量可控，根据《药品管理法》，制定本办法。"
    assert (
        summarize("药品注册管理办法", text)
        == "为了规范药品注册行为，保证药品安全、有效和质量可控，根据《药品管理法》，制定本办法。"
    )


def test_summary_is_clipped_at_a_clause_boundary() -> None:
    text = "为" + "加快生物医药产业发展，" * 20 + "制定本方案。"
    summary = summarize("", text)
    assert len(summary) <= MAX_SUMMARY and summary.endswith("…")
    assert summary[:-1].endswith("加快生物医药产业发展")


def test_summary_reads_only_the_first_sentences() -> None:
    sentence = "全省生物医药产业保持较快增长，创新药和高端医疗器械加快上市，万亿级产业集群不断发展壮大。"
    text = f"{sentence}\n" * SUMMARY_CANDIDATES + "为加快生物医药产业发展，制定本方案。"
    assert summarize("", text) == sentence  # the late purpose clause is never read: the cost stays bounded


def test_summary_of_empty_text_is_empty() -> None:
    assert summarize("标题", "") == ""
