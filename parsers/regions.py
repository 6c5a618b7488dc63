"""The gazetteer: place names to region tags, and the administrative level of an issuer.

Tags are the 34 province-level units (short names: 广东, 北京) and four regional groups. A city or
district only contributes its province (昌平 → 北京), so that `regions` stays a short, queryable list.
A group contributes itself followed by its members (京津冀 → 京津冀, 北京, 天津, 河北).
Which of a document's places are its issuing or target regions, and which it merely mentions, is
decided by parsers.metadata from where in the document each place is named.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Province-level units by their short names; "广东省", "广西壮族自治区" contain them.
PROVINCES: tuple[str, ...] = (
    "北京", "天津", "上海", "重庆", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "江苏", "浙江",
    "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "四川", "贵州",
    "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆", "香港", "澳门", "台湾",
)  # fmt: skip

# Regional strategies named in policy texts: (tag, names it goes by, member provinces).
GROUPS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("京津冀", ("京津冀",), ("北京", "天津", "河北")),
    ("长三角", ("长三角", "长江三角洲"), ("上海", "江苏", "浙江", "安徽")),
    # "大湾区" alone always means this one in Chinese policy texts; "粤港澳" names its zones.
    ("粤港澳大湾区", ("粤港澳大湾区", "大湾区", "粤港澳"), ("广东", "香港", "澳门")),
    ("成渝", ("成渝地区双城经济圈", "成渝双城经济圈", "成渝"), ("四川", "重庆")),
)

# Cities, districts and zones that name their province: capitals, big cities and the biotech hubs
# policy texts cite. Ambiguous names carry their suffix (中山市: 中山大学 is no place; 大兴区: 大兴调研).
PLACES: tuple[tuple[str, str], ...] = (
    ("昌平", "北京"), ("海淀", "北京"), ("中关村", "北京"), ("亦庄", "北京"), ("怀柔", "北京"),
    ("平谷", "北京"), ("顺义", "北京"), ("大兴区", "北京"), ("滨海新区", "天津"),
    ("浦东", "上海"), ("张江", "上海"), ("临港", "上海"),
    ("石家庄", "河北"), ("唐山", "河北"), ("秦皇岛", "河北"), ("保定", "河北"), ("沧州", "河北"),
    ("廊坊", "河北"), ("雄安", "河北"), ("张家口", "河北"), ("承德", "河北"), ("邯郸", "河北"),
    ("广州", "广东"), ("深圳", "广东"), ("珠海", "广东"), ("佛山", "广东"), ("东莞", "广东"),
    ("中山市", "广东"), ("惠州", "广东"), ("江门", "广东"), ("汕头", "广东"), ("湛江", "广东"),
    ("南沙", "广东"), ("横琴", "广东"), ("前海", "广东"),
    ("南京", "江苏"), ("苏州", "江苏"), ("无锡", "江苏"), ("常州", "江苏"), ("南通", "江苏"),
    ("泰州", "江苏"), ("杭州", "浙江"), ("宁波", "浙江"), ("温州", "浙江"), ("嘉兴", "浙江"),
    ("绍兴", "浙江"), ("合肥", "安徽"), ("福州", "福建"), ("厦门", "福建"), ("南昌", "江西"),
    ("济南", "山东"), ("青岛", "山东"), ("烟台", "山东"), ("郑州", "河南"), ("武汉", "湖北"),
    ("长沙", "湖南"), ("南宁", "广西"), ("海口", "海南"), ("三亚", "海南"), ("博鳌", "海南"),
    ("成都", "四川"), ("贵阳", "贵州"), ("昆明", "云南"), ("拉萨", "西藏"), ("西安", "陕西"),
    ("兰州", "甘肃"), ("西宁", "青海"), ("银川", "宁夏"), ("乌鲁木齐", "新疆"), ("太原", "山西"),
    ("呼和浩特", "内蒙古"), ("沈阳", "辽宁"), ("大连", "辽宁"), ("长春", "吉林"), ("哈尔滨", "黑龙江"),
)  # fmt: skip


# National institutions named after their seat: a rule of the 北京证券交易所 is no rule about 北京.
NOT_PLACES: tuple[str, ...] = (
    "北京证券交易所", "上海证券交易所", "深圳证券交易所", "上海期货交易所", "郑州商品交易所", "大连商品交易所",
    "上海保险交易所", "上海票据交易所", "上海黄金交易所",
)  # fmt: skip


def _build_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, tuple[str, ...]] = dict.fromkeys(NOT_PLACES, ())
    index.update({name: (name,) for name in PROVINCES})
    index.update({name: (province,) for name, province in PLACES})
    for tag, names, members in GROUPS:
        index.update({name: (tag, *members) for name in names})
    return index


_INDEX = _build_index()
# Longest names first: at each position the regex takes the first alternative that matches, so
# "粤港澳大湾区" wins over "粤港澳" and "浙江西部" is read as 浙江, never as 江西.
_PLACE_NAMES = re.compile("|".join(sorted(map(re.escape, _INDEX), key=len, reverse=True)))
# Issuer prefixes that say which tier of government signs.
_PROVINCE_PREFIX = re.compile(
    rf"^(?:{'|'.join(PROVINCES)})(?:省|[\u4e00-\u9fff]{{0,4}}自治区|特别行政区|市)?|^(?:省|自治区)"
)
_LOCAL_PREFIX = re.compile(r"^(?:市(?!场)|区(?!域)|县(?!域)|[\u4e00-\u9fff]{2,6}(?:[市州盟](?!场)|[区县](?!域)))")


def find_regions(texts: Iterable[str]) -> tuple[str, ...]:
    """Region tags of the places the texts name, texts in priority order, then by first mention."""
    tags: dict[str, None] = {}
    for text in texts:
        for match in _PLACE_NAMES.finditer(text):
            tags.update(dict.fromkeys(_INDEX[match.group()]))
    return tuple(tags)


def single_region(text: str) -> tuple[str, ...]:
    """The tags of the one region a text names (深圳市、广州市 → 广东), () when it names none or several."""
    named = {_INDEX[match.group()] for match in _PLACE_NAMES.finditer(text)} - {()}
    return next(iter(named)) if len({tags[0] for tags in named}) == 1 else ()


def issuer_regions(issuers: Iterable[str]) -> tuple[str, ...]:
    """The regions of the local issuers (广东省人民政府办公厅 → 广东); a central issuer names none."""
    return find_regions(issuer for issuer in issuers if issuer_level(issuer) != "central")


def issuer_level(issuer: str) -> str:
    """central / provincial / municipal, from how an issuing body's name begins."""
    province = _PROVINCE_PREFIX.match(issuer)
    if province:
        # 北京市科委 is provincial-level; 北京市昌平区…, 广东省深圳市… are local.
        return "municipal" if _LOCAL_PREFIX.match(issuer[province.end() :]) else "provincial"
    if _LOCAL_PREFIX.match(issuer) or issuer.startswith(tuple(name for name, _ in PLACES)):
        return "municipal"
    return "central"


def level_of(issuers: Iterable[str]) -> str | None:
    """The level of the first issuer, None when nobody is named."""
    return next((issuer_level(issuer) for issuer in issuers), None)
