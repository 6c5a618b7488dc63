"""A document's summary: a policy's purpose clause, a news report's lede (issue 23).

A reader of the weekly email gets the point of a notice from the sentence that says what it is for
("为…，制定本方案") and of a news report from its first sentence. So the summary is chosen by what a
sentence is, not by how many topic terms it holds (that picked mid-list fragments such as "三是加快…" and
the review of the past in a plan). Each of the first sentences gets a rank (`_rank`); the best rank wins
and, within a rank, the earliest sentence. Only the first SUMMARY_CANDIDATES sentences are read: the
parse stage runs this on every page and a 20 KB text must not cost more than its head.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from parsers.doctitle import doc_type_of, substantive_title

__all__ = ["MAX_SUMMARY", "NEWS_TYPES", "SUMMARY_CANDIDATES", "TRANSMITTAL", "summarize"]

MAX_SUMMARY = 120
SUMMARY_CANDIDATES = 40  # the summary comes from the first sentences: a purpose or a lede is early
_SHORT = MAX_SUMMARY // 3  # a lede this short takes the next sentence with it
_MIN_CHARS = 10  # shorter "sentences" are headings, labels or page furniture
_MIN_ECHO = 6  # a title shorter than this (疫苗通知) is an ordinary phrase, not an echo
NEWS_TYPES = frozenset({"新闻报道", "政策解读"})  # doc_type_of's kinds whose summary is the lede

_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]*[”’」』]?")
_COMPLETE = re.compile(r"(?:[。！？!?]|……)[”’」』]?$")  # a sentence, not a heading, deck or caption
_CLAUSE_END = re.compile(r"[，,；;：:、]")

# Page furniture that extraction may leave behind: such a sentence is never a summary. The rules with a
# colon run only on sentences holding one (most hold none): this check runs on every candidate sentence.
_CHROME_COLON = re.compile(
    "|".join(
        (
            r"(?:当前位置|当前所在|所在位置|您的位置)\s*[:：]",  # breadcrumb
            r"(?:发布时间|发表于|发布日期|来源|作者|责任编辑|浏览次数|点击数|字号|原标题)\s*[:：]",  # article metadata
            r"[:：]\s*$",  # addressee line (各市人民政府：) and headings that introduce a list
        )
    )
)
_CHROME = re.compile(
    "|".join(
        (
            r"版权所有|ICP备|联系我们|免责声明|网站地图|主办单位|技术支持",  # footer
            r"【(?:打印|关闭|大|中|小|收藏)】|分享到",  # page tools
            r"^欢迎(?:访问|加入|光临|来到)",  # a site's greeting
        )
    )
)
# PDF page marker left inside a sentence (—3—); looked for only where a dash is.
_PAGE_MARKER = re.compile(r"[—–-]{1,2}\s*\d{1,3}\s*[—–-]{1,2}")
_DASHES = ("—", "–", "-")
# Cut off the start of a sentence before it can be a summary, in this order.
_OPENING_NOISE = tuple(
    re.compile(rule)
    for rule in (
        # dateline: 北京6月19日电 (记者 x), 据新华社拉萨电（记者 x）, 本报讯（记者 x）, 本报北京3月5日讯
        r"据?(?:(?:新华社|中新社|中新网|人民网|新华网|央视网|光明网|本报|本刊)[\u4e00-\u9fff]{0,6}?"
        r"(?:\d{1,2}月\d{1,2}日)?(?:电(?=\s|[(（]|$)|讯)|[^。，,\s]{0,12}\d{1,2}月\d{1,2}日[电讯])"
        r"\s*(?:[(（][^)）]{0,20}[)）])?\s*",
        r"[(（]记者[^)）]{0,20}[)）]\s*",  # reporter credit
        r"第[一二三四五六七八九十百零〇\d]+条\s*(?=为)",  # 第一条 before a purpose clause: the clause reads alone
    )
)
_LEADING_PUNCTUATION = "，。、；：,.;:!?！？)）】」』”’…—-·　 "

# A sentence that says what the document is for, first match wins.
_PURPOSE = tuple(
    re.compile(rule)
    for rule in (
        # 为…，制定本规划 / 编制本规划 / 现就…提出如下意见 / 现提出以下措施 / 决定废止5部规章 / 特制定本方案
        r"^为(?!此)(?:了)?[^。]{2,}?[，,].*(?:制定|制订|编制|出台|提出|形成|起草|修订|决定|现就|特制定)",
        # 根据《…法》，制定本办法 (a rule without its own 为)
        r"^(?:根据|依据)[^。]{2,}?[，,](?:[^。]*[，,])?\s*(?:制定|制订|编制)本",
        # 本指导原则旨在…, 本办法适用于… is none: 旨在 says the purpose
        r"^本[^，。,]{1,12}旨在",
    )
)
# A page that only hands a document over ("现将《…》印发给你们"): the transmittal is not a purpose.
TRANSMITTAL: tuple[re.Pattern[str], ...] = (
    # 现将《…行动计划》印发给你们: the notice of a plan; 现将有关事项通知如下 is none (nothing is sent to anyone)
    re.compile(r"现将.{0,120}?(?:印发|转发|下发|发送|公布|报送|送)(?:给)?(?:你们|各|你单位|你局|你厅|你委)"),
    # 现予印发 / 现予公布 (a ministry's 令: 《…规定》已经…委务会议审议通过，现予公布) / 特予发布
    re.compile(r"(?:现|特)予(?:以)?(?:印发|公布|发布)"),
    # the closing line of a notice that hands a document over: 请认真贯彻执行 / 请遵照执行
    re.compile(r"请(?:认真|结合实际|结合本地实际)?(?:贯彻执行|遵照执行|贯彻落实|抓好落实|认真执行|参照执行)"),
    # the page points at the file for the content: 详见附件 / 全文见附件
    re.compile(r"(?:详见|具体见|内容见|全文见)(?:附件|附文)"),
    # 现印发给你们 without 现将 (《…规则》已经…审议通过，现印发给你们)
    re.compile(r"现(?:印发|转发|发)给你们"),
)
# A sentence that starts in the middle of something: a list item or a connective needing the sentence before.
_MID_LIST = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}[是、]|[(（][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}\s*(?:[.．](?!\d)|[、)）])|"
    r"第[一二三四五六七八九十]+(?:[，,、是]|条|章|节|部分)|[①-⑳●▲■◆•·★]|"
    r"首先|其次|再次|最后|同时|此外|另外|与此同时|因此|因而|从而|进而|所以|但是?|然而|不过|可是|而且?|并且|"
    r"其中|对此|为此|据此|由此|此前|随后|于是|这(?:是|一|些|也|就|种|个|次|里)|该|上述|以上)"
)
# Sections of a plan that a reader does not want as its summary: the review of the past, the ideology.
_WEAK_SECTION = re.compile(r"现状|基础|形势|回顾|成就|背景|进展|挑战|机遇|指导思想|基本原则")
_HEADING = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}、|[(（][一二三四五六七八九十]{1,3}[)）]|第[一二三四五六七八九十]+[章节部分])"
)
_BOILERPLATE = re.compile(r"^(?:坚持)?以习近平新时代中国特色社会主义思想为指导")
_GOAL = re.compile(r"^(?:到|至)20\d\d年")


@dataclass(frozen=True, slots=True)
class _Sentence:
    text: str
    start: int  # offsets in the text: a short lede takes the next sentence only when nothing lies between
    end: int
    complete: bool  # ends like a sentence (。！？): not a heading, a deck or a caption
    weak_section: bool  # under a heading such as 一、发展现状


def summarize(title: str, text: str) -> str:
    """The purpose clause of a policy document, else its opening; the lede of a news report."""
    sentences = list(islice(_sentences(title, text), SUMMARY_CANDIDATES))
    if not sentences:
        return ""
    news = doc_type_of(title, text) in NEWS_TYPES
    best = min(range(len(sentences)), key=lambda i: (_rank(sentences[i], news=news), i))
    chosen = sentences[best].text
    follower = sentences[best + 1] if best + 1 < len(sentences) else None
    if len(chosen) < _SHORT and follower is not None and _continues(text, sentences[best], follower):
        chosen += follower.text
    return _clip(chosen)


def _rank(sentence: _Sentence, *, news: bool) -> int:
    """0 is best: a purpose (policy) or a plain sentence (news); mid-list sentences and label lines come last."""
    text = sentence.text
    if not sentence.complete and not _CLAUSE_END.search(text):
        return 6  # a label line: 国办发〔2026〕28号, 中华人民共和国国务院令
    if _MID_LIST.match(text):
        return 5
    if not sentence.complete:
        return 4  # a deck or a line broken mid-sentence
    if news:
        return 0
    if any(rule.search(text) for rule in TRANSMITTAL):
        return 3
    if any(rule.match(text) for rule in _PURPOSE):
        return 0
    if _GOAL.match(text):
        return 1
    if sentence.weak_section or _BOILERPLATE.match(text):
        return 2
    return 1


def _continues(text: str, sentence: _Sentence, follower: _Sentence) -> bool:
    """True when the follower is a plain sentence right after the sentence (no heading or label between)."""
    return not text[sentence.end : follower.start].strip() and _rank(follower, news=True) == 0


def _sentences(title: str, text: str) -> Iterator[_Sentence]:
    """The candidate sentences in text order, cleaned; headings update the section they are in."""
    echoes = {t for t in (title.strip(), substantive_title(title)) if len(t) >= _MIN_ECHO}
    weak = False
    for match in _SENTENCE.finditer(text):
        sentence = _clean(match.group(0))
        if _HEADING.match(sentence) and len(sentence) <= 30:
            weak = bool(_WEAK_SECTION.search(sentence[:20]))  # 一、发展现状 or (一)发展基础。当前,…
        if len(sentence) < _MIN_CHARS or sentence in title or any(_echoes(e, sentence) for e in echoes):
            continue  # too short to say anything, or the title again
        complete = bool(_COMPLETE.search(sentence))
        yield _Sentence(sentence, match.start(), match.end(), complete=complete, weak_section=weak)


def _echoes(title: str, sentence: str) -> bool:
    """The sentence is mostly the title (a heading line), not a lede that names the document."""
    return title in sentence and 2 * len(title) >= len(sentence)


def _clean(sentence: str) -> str:
    """The sentence without page markers, datelines and leading punctuation; empty if it is page furniture."""
    if any(dash in sentence for dash in _DASHES):
        sentence = _PAGE_MARKER.sub("", sentence)
    sentence = sentence.strip()
    for noise in _OPENING_NOISE:
        match = noise.match(sentence)
        sentence = sentence[match.end() :] if match else sentence
    sentence = sentence.strip().lstrip(_LEADING_PUNCTUATION)
    colon = ":" in sentence or "：" in sentence
    if (colon and _CHROME_COLON.search(sentence)) or _CHROME.search(sentence) or _bracketed(sentence):
        return ""  # furniture, or a note in brackets such as (2022年2月18日证监会令第195号公布)
    return sentence


def _bracketed(sentence: str) -> bool:
    return sentence[:1] in "(（" and sentence[-1:] in ")）"


def _clip(text: str) -> str:
    """Cut at the last clause boundary that fits MAX_SUMMARY, else hard; mark the cut with …."""
    if len(text) <= MAX_SUMMARY:
        return text
    head = text[: MAX_SUMMARY - 1]
    cut = max((m.start() for m in _CLAUSE_END.finditer(head)), default=-1)
    return (head[:cut] if cut >= MAX_SUMMARY // 2 else head) + "…"
