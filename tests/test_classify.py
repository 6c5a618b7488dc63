"""Classifier: taxonomy loading, labels of the seeds, and notices that are not about biotech."""

from __future__ import annotations

import re
from pathlib import Path

import opencc
import pytest

from parsers.classify import Taxonomy, TaxonomyError, classify, default_taxonomy, load_taxonomy
from parsers.records import Classification

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
_PINYIN = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")


def seed_text(prefix: str) -> str:
    """A seed's text in simplified Chinese (000 is a traditional copy with pinyin in brackets)."""
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    text = path.read_text(encoding="utf-8")
    return _PINYIN.sub("", opencc.OpenCC("t2s").convert(text)) if prefix == "000" else text


def topic_ids(result: Classification) -> set[str]:
    return {label.topic_id for label in result.topics}


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return default_taxonomy()


# --- the seeds, as a domain expert labels them ---------------------------------------------

SEED_CASES = [
    (
        "000",
        "",
        {"biomedicine", "bio-agriculture", "bio-energy", "bio-environment", "bio-informatics", "biosafety"},
    ),
    (
        "001",
        "(活力中国调研行)北京加快培育壮大未来产业",
        {"brain-computer-interface", "bio-manufacturing", "biomedicine"},
    ),
    (
        "002",
        "“十四五”生物经济发展规划",
        {
            "biomedicine",
            "bio-agriculture",
            "bio-manufacturing",
            "bio-energy",
            "bio-environment",
            "bio-informatics",
            "biosafety",
            "tcm",
            "medical-devices",
        },
    ),
    (
        "003",
        "关于印发广东省培育未来生命健康产业集群行动计划的通知",
        {
            "biomedicine",
            "cell-gene-therapy",
            "gene-tech",
            "bio-informatics",
            "bio-manufacturing",
            "brain-computer-interface",
        },
    ),
    ("004", "京津冀生物医药产业如何发展,专家这样说", {"biomedicine", "tcm", "bio-informatics"}),
]


@pytest.mark.parametrize(("prefix", "title", "expected"), SEED_CASES, ids=[c[0] for c in SEED_CASES])
def test_classify_seed_gets_expert_labels(taxonomy: Taxonomy, prefix: str, title: str, expected: set[str]) -> None:
    result = classify(taxonomy, title=title, text=seed_text(prefix))
    assert result.relevant
    assert expected <= topic_ids(result)


@pytest.mark.parametrize(("prefix", "title", "expected"), SEED_CASES, ids=[c[0] for c in SEED_CASES])
def test_classify_seed_summary_and_keywords_are_short(
    taxonomy: Taxonomy, prefix: str, title: str, expected: set[str]
) -> None:
    result = classify(taxonomy, title=title, text=seed_text(prefix))
    assert 0 < len(result.summary) <= 120
    assert 0 < len(result.keywords) <= 10
    assert all(0 < len(label.evidence) <= 5 for label in result.topics + result.instruments)


def test_classify_seed_keywords_surface_domain_terms(taxonomy: Taxonomy) -> None:
    result = classify(taxonomy, title=SEED_CASES[1][1], text=seed_text("001"))
    assert {"脑机接口", "合成生物制造"} <= set(result.keywords)


def test_classify_seed_004_tcm_outranks_devices(taxonomy: Taxonomy) -> None:
    scores = {t.topic_id: t.score for t in classify(taxonomy, title=SEED_CASES[4][1], text=seed_text("004")).topics}
    assert scores["tcm"] > scores.get("medical-devices", 0) * 3


# --- short notices -------------------------------------------------------------------------

NOT_BIOTECH = [
    (
        "关于2025年第三季度地方政府债券发行安排的通知",
        "根据预算法和财政部有关规定，我省拟于10月发行地方政府专项债券300亿元，期限为10年，"
        "募集资金用于交通、市政等基础设施项目。承销团成员应按时足额缴款。",
    ),
    (
        "关于张三等同志任免职的通知",
        "经市委研究决定：任命张三同志为市交通运输局局长；免去李四同志的市卫生健康委员会副主任职务。特此通知。",
    ),
    (
        "2025年秋季小学一年级招生入学工作的通知",
        "适龄儿童须在8月31日前年满6周岁。报名时请携带户口簿、房产证明和预防接种证，"
        "学校将查验预防接种证，未按规定接种疫苗的应及时补种。",
    ),
    (
        "关于春节期间部分路段实施交通管制的通告",
        "为保障道路交通安全畅通，2月9日至2月17日对解放路、人民路实施临时交通管制，禁止货车通行。"
        "请过往车辆服从交警指挥，车辆故障诊断服务点设在高速服务区。",
    ),
    (
        "关于个人所得税综合所得汇算清缴事项的公告",
        "纳税人发生的与基本医保相关的医药费用支出，扣除医保报销后个人负担累计超过15000元的部分，"
        "可在办理年度汇算时按规定扣除大病医疗支出。",
    ),
    (
        "关于近期网络舆情处置工作的通报",
        "近期某地食品安全事件在网络上持续发酵，各单位要加强舆情监测，及时回应社会关切，防止事态进一步发酵。",
    ),
    (
        "关于开展传承红色基因主题教育活动的通知",
        "各党支部要深入学习党史，传承红色基因，赓续红色血脉，组织党员参观革命纪念馆。",
    ),
    (
        "关于防范强降雨天气的紧急通知",
        "气象部门预计未来三天我市将出现暴雨到大暴雨，各区要做好防汛准备，及时转移危险区域群众，加强地质灾害隐患排查。",
    ),
    (
        "住房公积金贷款政策调整的通知",
        "自2025年1月1日起，首套住房公积金贷款利率下调0.25个百分点，职工家庭最高贷款额度提高至100万元。",
    ),
    (
        "全市青少年篮球联赛赛程公布",
        "本届联赛共有16支球队参赛，上届冠军作为种子选手直接进入八强，比赛采用单败淘汰制。",
    ),
    (
        "关于调整部分期货品种交易保证金的通知",
        "经研究决定，自下一交易日起，相关交易品种的保证金比例调整为8%。",
    ),
    (
        "办公耗材采购项目招标公告",
        "本项目采购打印耗材、办公耗材及复印纸，预算金额20万元，供应商须具备相关资质。",
    ),
]


@pytest.mark.parametrize(("title", "text"), NOT_BIOTECH, ids=[t for t, _ in NOT_BIOTECH])
def test_classify_non_biotech_notice_is_not_relevant(taxonomy: Taxonomy, title: str, text: str) -> None:
    result = classify(taxonomy, title=title, text=text)
    assert not result.relevant
    assert result.topics == ()


BIOTECH = [
    (
        "biomedicine",
        "关于支持生物医药产业高质量发展的若干措施",
        "对在本市开展临床试验的生物医药企业给予最高1000万元资助。",
    ),
    (
        "innovative-drugs",
        "本市3个1类新药获批上市",
        "今年以来，我市企业自主研发的3个创新药获批上市，新药研发管线持续丰富。",
    ),
    ("biologics", "单克隆抗体药物产业化项目落地", "该项目将建设抗体药物和重组蛋白生产线，年产能达2万升。"),
    ("vaccines", "新型疫苗研发取得突破", "我市企业研发的mRNA疫苗已进入临床试验阶段。"),
    (
        "medical-devices",
        "高端医疗器械创新发展行动方案",
        "支持手术机器人、医学影像设备等高端医疗装备研发和产业化。",
    ),
    ("diagnostics", "体外诊断产业发展三年行动", "推动分子诊断、即时检验（POCT）试剂研发和注册。"),
    (
        "precision-medicine",
        "精准医疗示范中心建设启动",
        "中心将开展液体活检、基因检测和个体化治疗的临床应用。",
    ),
    (
        "cell-gene-therapy",
        "关于促进细胞与基因治疗产业发展的通知",
        "支持CAR-T细胞治疗、干细胞治疗产品开展临床研究。",
    ),
    ("gene-tech", "国家基因库二期建设启动", "新增高通量测序平台，提升基因组测序和基因编辑研发能力。"),
    ("tcm", "中医药传承创新发展实施方案", "加强道地药材基地建设，推动经典名方和中药新药研发。"),
    ("bio-agriculture", "种业振兴行动实施方案", "加快生物育种产业化，推广生物农药和生物肥料。"),
    (
        "bio-manufacturing",
        "合成生物制造产业集聚区建设方案",
        "建设合成生物学中试平台，推动生物基材料和精准发酵产品产业化。",
    ),
    ("bio-energy", "生物质能高质量发展规划", "推进生物天然气、生物柴油和燃料乙醇产业化。"),
    (
        "bio-environment",
        "农村污水生物处理技术推广方案",
        "推广生物降解地膜和微生物修复技术，开展土壤修复试点。",
    ),
    (
        "bio-informatics",
        "生物医药大数据平台建设方案",
        "建设生物大数据中心，推动AI+生物医药和计算生物学研究。",
    ),
    (
        "biosafety",
        "关于加强实验室生物安全管理的通知",
        "各单位要严格病原微生物实验室管理，落实生物安全法要求。",
    ),
    (
        "brain-computer-interface",
        "脑机接口产业发展行动计划",
        "支持脑科学与类脑研究，推动非侵入式脑机接口产品临床应用。",
    ),
]


@pytest.mark.parametrize(("topic_id", "title", "text"), BIOTECH, ids=[c[0] for c in BIOTECH])
def test_classify_biotech_notice_gets_its_topic(taxonomy: Taxonomy, topic_id: str, title: str, text: str) -> None:
    result = classify(taxonomy, title=title, text=text)
    assert result.relevant
    assert topic_id in topic_ids(result)


@pytest.mark.parametrize("topic_id", ["vaccines", "cell-gene-therapy", "diagnostics"])
def test_classify_child_topic_rolls_up_to_parent(taxonomy: Taxonomy, topic_id: str) -> None:
    _, title, text = next(case for case in BIOTECH if case[0] == topic_id)
    assert "biomedicine" in topic_ids(classify(taxonomy, title=title, text=text))


def test_classify_instruments_are_a_second_facet(taxonomy: Taxonomy) -> None:
    result = classify(
        taxonomy,
        title=BIOTECH[0][1],
        text=BIOTECH[0][2] + "资金从专项资金列支。对引进的领军人才给予安家补贴。",
    )
    assert {"funding", "talent"} <= {label.topic_id for label in result.instruments}
    assert all(label.facet == "instrument" for label in result.instruments)
    assert all(label.facet == "industry" for label in result.topics)


@pytest.mark.parametrize(("title", "text"), [("", ""), ("", "   \n  "), ("通知", "")])
def test_classify_empty_document_has_no_topics(taxonomy: Taxonomy, title: str, text: str) -> None:
    result = classify(taxonomy, title=title, text=text)
    assert (result.topics, result.relevant) == ((), False)
    assert result.taxonomy_version == taxonomy.version


def test_classify_labels_are_sorted_by_score(taxonomy: Taxonomy) -> None:
    scores = [label.score for label in classify(taxonomy, title="", text=seed_text("002")).topics]
    assert scores == sorted(scores, reverse=True)


# --- the engine on a small taxonomy --------------------------------------------------------

SMALL = """\
version: "t1"
scoring: {label_threshold: 1.0, relevance_threshold: 1.0}
facets:
  industry:
    - id: synbio
      name: 合成生物
      parent: null
      keywords: [合成生物]
    - id: synbio-science
      name: 合成生物学
      parent: null
      keywords: [合成生物学, CAR-T]
      negative: [持续发酵]
      patterns: ['细胞工厂\\d+号']
"""


@pytest.fixture(scope="module")
def small() -> Taxonomy:
    return load_taxonomy(SMALL)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("合成生物学", {"synbio-science"}),  # the longest term wins the span
        ("合成生物", {"synbio"}),
        ("CAR-T", {"synbio-science"}),
        ("car-t疗法", {"synbio-science"}),  # ascii terms ignore case
        ("SCAR-T", set()),  # ... and match whole words only
        ("细胞工厂12号", {"synbio-science"}),  # a pattern counts as a keyword hit
    ],
)
def test_classify_matches_terms_longest_first(small: Taxonomy, text: str, expected: set[str]) -> None:
    assert topic_ids(classify(small, title=text, text=text)) == expected


def test_classify_negative_term_suppresses_topic(small: Taxonomy) -> None:
    result = classify(small, title="", text="合成生物学。" + "舆论持续发酵。" * 3)
    assert "synbio-science" not in topic_ids(result)


def test_classify_title_hit_outweighs_body_hit(small: Taxonomy) -> None:
    filler = "本市召开常务会议研究部署近期工作。" * 200
    assert topic_ids(classify(small, title="合成生物学", text=filler)) == {"synbio-science"}
    assert topic_ids(classify(small, title="通知", text="合成生物学。" + filler)) == set()


def test_classify_evidence_names_matched_terms(small: Taxonomy) -> None:
    (label,) = classify(small, title="", text="CAR-T与合成生物学；细胞工厂7号").topics
    assert set(label.evidence) == {"CAR-T", "合成生物学", "细胞工厂7号"}


def test_classify_taxonomy_version_comes_from_yaml(small: Taxonomy) -> None:
    assert classify(small, title="", text="合成生物").taxonomy_version == "t1"


def test_classify_private_segmenter_keeps_terms_whole(small: Taxonomy) -> None:
    import rjieba

    from parsers.classify import _engine

    assert "合成生物学" in _engine(small).segmenter().cut("发展合成生物学产业")
    assert not rjieba.has_word("合成生物学")  # the global dictionary is untouched


# --- loading the taxonomy ------------------------------------------------------------------


def test_default_taxonomy_is_loaded_once() -> None:
    assert default_taxonomy() is default_taxonomy()


def test_default_taxonomy_has_both_facets(taxonomy: Taxonomy) -> None:
    facets = {topic.facet for topic in taxonomy.topics}
    assert facets == {"industry", "instrument"}
    assert taxonomy.version


BAD_TAXONOMIES = [
    (  # duplicate id
        "version: x\nfacets:\n  industry:\n    - id: a\n      name: A\n    - id: a\n      name: B\n",
        "line 6",
        "duplicate",
    ),
    (  # unknown parent
        "version: x\nfacets:\n  industry:\n    - id: a\n      name: A\n      parent: nope\n",
        "line 6",
        "unknown parent",
    ),
    (  # bad regex
        "version: x\nfacets:\n  industry:\n    - id: a\n      name: A\n      patterns:\n        - 'ok'\n"
        "        - '(unclosed'\n",
        "line 8",
        "bad pattern",
    ),
    ("version: x\nfacets:\n  industry:\n    - id: A B\n      name: A\n", "line 4", "must match"),
    ("version: x\nfacets:\n  other:\n    - id: a\n      name: A\n", "line 3", "unknown facet"),
    ("version: x\nfacets:\n  industry:\n    - id: a\n      keywords: [x]\n", "line 4", "missing `name`"),
    ("version: x\nfacets: {industry: []}\nscoring:\n  k9: 1\n", "line 4", "scoring"),
    ("version: x\nfacets: [\n", "line 3", "not valid YAML"),
    (  # parent in a cycle
        "version: x\nfacets:\n  industry:\n    - id: a\n      name: A\n      parent: b\n"
        "    - id: b\n      name: B\n      parent: a\n",
        "line 6",
        "cycle",
    ),
]


@pytest.mark.parametrize(("text", "line", "reason"), BAD_TAXONOMIES, ids=[c[2] for c in BAD_TAXONOMIES])
def test_load_taxonomy_error_names_the_line(text: str, line: str, reason: str) -> None:
    with pytest.raises(TaxonomyError) as caught:
        load_taxonomy(text)
    assert line in str(caught.value)
    assert reason in str(caught.value)


def test_load_taxonomy_error_is_a_value_error() -> None:
    assert issubclass(TaxonomyError, ValueError)


def test_classify_taxonomy_without_terms_labels_nothing() -> None:
    empty = load_taxonomy("version: e\nfacets:\n  industry:\n    - id: a\n      name: A\n")
    assert classify(empty, title="生物医药", text="生物医药产业。").topics == ()


def test_classify_negative_term_is_never_a_keyword(taxonomy: Taxonomy) -> None:
    title, text = NOT_BIOTECH[6]
    assert "红色基因" not in classify(taxonomy, title=title, text=text).keywords


# --- context terms, implied parents, chrome-free summaries ---------------------------------

CONTEXT = """\
version: "c1"
scoring: {label_threshold: 1.0, relevance_threshold: 1.0}
facets:
  industry:
    - id: med
      name: 医药
      keywords: [生物医药]
    - id: bioinfo
      name: 生物信息
      parent: med
      keywords: [生物信息]
      context: [人工智能, 算力]
"""


def test_classify_context_terms_alone_make_no_label() -> None:
    small = load_taxonomy(CONTEXT)
    assert topic_ids(classify(small, title="人工智能与算力发展方案", text="人工智能。算力。" * 5)) == set()


def test_classify_context_terms_count_next_to_own_evidence() -> None:
    small = load_taxonomy(CONTEXT)
    result = classify(small, title="", text="生物信息。人工智能。算力。人工智能。")
    (label,) = [t for t in result.topics if t.topic_id == "bioinfo"]
    assert {"生物信息", "人工智能", "算力"} == set(label.evidence)


def test_classify_labelled_child_implies_its_parent() -> None:
    small = load_taxonomy(CONTEXT.replace("label_threshold: 1.0", "label_threshold: 1.5"))
    result = classify(small, title="生物信息", text="")  # the child reaches the threshold, its parent does not
    assert {"bioinfo", "med"} == topic_ids(result)


def test_classify_ai_plan_without_biology_is_not_relevant(taxonomy: Taxonomy) -> None:
    text = "加快建设智能算力中心，支持通用大模型研发，推动人工智能在制造、交通、金融领域应用，建设大数据交易所。" * 2
    assert not classify(taxonomy, title="人工智能产业发展行动方案", text=text).relevant


@pytest.mark.parametrize(
    "chrome",
    [
        "当前位置: 首页 > 通知公告 > 生物医药产业",
        "发布时间:2024-03-01 来源: 生物医药产业网",
        "各地级以上市人民政府，省生物医药产业联盟：",
        "版权所有 生物医药产业网 粤ICP备12345号",
        "【打印】【关闭】生物医药",
    ],
)
def test_classify_summary_skips_page_chrome(taxonomy: Taxonomy, chrome: str) -> None:
    body = "为加快生物医药产业发展，支持创新药和疫苗研发。"
    assert classify(taxonomy, title="", text=f"{chrome}\n{body}").summary == body


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("打—3—下了基础，推动生物医药产业发展。", "打下了基础，推动生物医药产业发展。"),  # PDF page marker
        ("北京6月19日电 (记者 吕少威)北京生物医药产业规模达到1万亿元。", "北京生物医药产业规模达到1万亿元。"),
    ],
)
def test_classify_summary_drops_page_markers_and_datelines(taxonomy: Taxonomy, raw: str, clean: str) -> None:
    assert classify(taxonomy, title="", text=raw).summary == clean
