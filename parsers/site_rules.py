"""Where Chinese CMSs put a page's parts: ordered rules as data, first match wins, each with its reason.

The engines in `htmlpage.py` and `htmltitle.py` apply them. Every rule is a template pattern shared by
many sites (a CMS product or a house style used by a family of sites), never one page's wording.
"""

from __future__ import annotations

import re

# A selector is (attribute, value): ("id", "zoom") matches id="zoom"; ("class", "TRS_Editor") matches an
# element carrying that class among others; ("tag", "article") matches the element name. One pass over
# the page indexes every id and class, so the ordered rules cost a dictionary look-up each, not a scan.
Selector = tuple[str, str]

# Article containers, most specific first. Each must hold real text to win (htmlpage.MIN_RULE_CHARS).
CONTENT_RULES: tuple[tuple[tuple[Selector, ...], str], ...] = (
    # gov.cn (UCAP): the first #UCAP-CONTENT; desktop and mobile copies both exist.
    ((("id", "UCAP-CONTENT"),), "gov.cn and ministries on UCAP"),
    # TRS WCM editors: NDRC, MOST, most provincial departments.
    ((("class", "TRS_Editor"),), "TRS WCM editor body"),
    ((("class", "TRS_UEDITOR"),), "TRS with the UEditor front end"),
    ((("class", "trs_editor_view"),), "TRS view wrapper (MOST 信息公开)"),
    # The font-size switcher's target is the article on ministry and Beijing pages (and old portals).
    ((("id", "zoom"), ("id", "Zoom"), ("id", "ZOOM")), "font-size target"),
    ((("id", "ivs_content"),), "Shanghai municipal CMS (fgw, yjj)"),
    ((("id", "con_con"), ("id", "mainText"), ("id", "xw_box")), "MIIT, Beijing and NHC detail bodies"),
    ((("class", "pages_content"),), "gov.cn policy library, older template"),
    ((("class", "article_con"),), "NDRC article wrapper"),
    ((("class", "news_detail_box"), ("class", "new_detail_content")), "CDE detail pages"),
    # News agencies: xinhuanet #detail, people.com.cn #rwb_zw / .rm_txt_con, chinanews .left_zw,
    # cctv .content_area, 163 #endText / .post_body, sina #artibody, WeChat #js_content.
    ((("id", "detail"), ("id", "p-detail"), ("id", "rwb_zw"), ("id", "endText"), ("id", "artibody"),
      ("id", "js_content")), "news-agency article ids"),
    ((("class", "rm_txt_con"), ("class", "left_zw"), ("class", "content_area"), ("class", "post_body"),
      ("class", "main-aticle")), "news-agency article classes"),
    ((("tag", "article"),), "HTML5 article element"),
)  # fmt: skip

# Headline elements of the templates, tried after <title> has confirmed no heading.
TITLE_RULES: tuple[tuple[tuple[Selector, ...], str], ...] = (
    ((("class", "xxgk_title"), ("class", "article_title"), ("class", "share-title")),
     "MOST 信息公开, NDRC and gov.cn template B headlines"),
    ((("id", "ti"), ("id", "con_title"), ("id", "Title")), "gov.cn, MIIT, e-paper title ids"),
)  # fmt: skip

# Tags never holding article text: code, forms, and the page furniture HTML5 names as such.
DROP_TAGS: tuple[str, ...] = (
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas", "video", "audio",
    "nav", "header", "footer", "aside", "form", "select", "button", "input", "textarea", "map", "head", "title",
)  # fmt: skip
# Furniture older sites mark only with an id or a class: navigation, breadcrumbs, share and print bars,
# font-size controls, related and hot lists, comments, footers. Matched on whole words of id/class.
FURNITURE = re.compile(
    r"(?:^|[-_\s])(footer|foot|bottom|nav|navbar|menu|breadcrumbs?|crumbs?|location|position|share|bdsharebuttonbox|"
    r"sidebar|side|copyright|related|relate|xgwz|toolbar|tools|print|fontsize|font-size|comments?|pinglun|"
    r"hot|hotnews|rank|recommend|ad|ads|advert|banner)(?:$|[-_\s\d])",
    re.IGNORECASE,
)
# Tags that end a line of text.
BLOCK_TAGS = frozenset((
    "p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
    "tbody", "section", "article", "main", "blockquote", "pre", "hr", "center", "figure", "figcaption",
    "caption", "address",
))  # fmt: skip
CELL_TAGS = frozenset(("td", "th"))

# <meta> names, in priority order.
TITLE_META: tuple[str, ...] = ("ArticleTitle", "og:title")
DATE_META: tuple[str, ...] = (
    "PubDate",  # TRS and most government CMSs
    "pubdate",
    "firstpublishedtime",  # gov.cn (YYYY-MM-DD-HH:mm:ss)
    "publishdate",
    "publishtime",
    "article:published_time",  # Open Graph
    "og:release_date",  # sohu and other portals
    "datePublished",  # schema.org itemprop
)
SOURCE_META: tuple[str, ...] = ("ContentSource", "source", "mediaid")
# A meta tag stating when the CMS generated the page (CSRC: <meta name="others" content="页面生成时间 …">):
# a date meta equal to it is the generation time, not the publication date.
GENERATED_AT = re.compile(
    r"生成(?:时间|日期)\s*[:：]?\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?)"
)
# A line outside the body naming the organ that issued the page (CSRC's footer 中国证券监督管理委员会发布).
PUBLISHER_LINE = re.compile(
    r"^([\u4e00-\u9fff]{2,28}(?:委员会|部|局|署|院|委|办公厅|办公室|人民政府|政府|中心|银行|总局|监会))发布$"
)

# Founder (方正) e-paper and news CMSs leave the article record in a comment: <!--enpproperty <date>…</date>…-->.
ENP_DATE = re.compile(r"<!--\s*enpproperty.{0,300}?<date>\s*([\d\-/: .]{8,30})</date>", re.DOTALL)

# The labels of government information tables (gov.cn, MOST, gkmlpt), whitespace and colons removed,
# mapped to the field they fill.
INFO_LABELS: dict[str, str] = {
    "索引号": "index_number",
    "发文机关": "issuers",
    "发文机构": "issuers",
    "发布机构": "issuers",
    "发文单位": "issuers",
    "发文字号": "doc_number",
    "文号": "doc_number",
    "成文日期": "signed_on",
    "发布日期": "published_on",
    "发文日期": "published_on",
    "标题": "title",
    "名称": "title",
    "公文种类": "doc_kind",
    "主题分类": "topic",
    "来源": "source",
}
INFO_LABEL_TAGS = ("td", "th", "b", "strong", "span", "label", "dt", "li", "p", "div")
INFO_VALUE_MAX = 200

ATTACHMENT_SUFFIXES: tuple[str, ...] = (
    ".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".ofd", ".zip", ".rar", ".7z", ".txt", ".ppt", ".pptx",
)  # fmt: skip
