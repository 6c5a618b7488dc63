"""Site chrome in plain-text pages: rules as data, first match wins, one short function applies them.

Input is normalised text (one paragraph per line). Each rule is a compiled regex with a comment on
why it exists; none is keyed to one site's wording beyond the stock phrases Chinese CMSs print.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Breadcrumbs close the site header: the line and everything above it are chrome.
_BREADCRUMB = re.compile(r"^(当前位置|当前所在|您的位置|您现在的位置|你的位置|所在位置|当前栏目)\s*[:：>]")
# A breadcrumb further down than this is not the page header (a quoted page, a second article).
_HEADER_MAX_LINES = 40

# Lines dropped wherever they are.
_LINE_RULES: tuple[re.Pattern[str], ...] = (
    # Navigation and page widgets printed as their own line.
    re.compile(
        r"^(网站首页|首页|返回首页|返回顶部|返回|打印|打印本页|关闭|关闭窗口|关闭本页|收藏|关注|分享|分享到.{0,20}"
        r"|扫一扫.{0,20}|相关(新闻|链接|阅读|文章|文档)|推荐阅读|热点推荐|延伸阅读|上一篇.{0,60}|下一篇.{0,60})$"
    ),
    # Font-size switchers: 【字体:大 中 小】, 字号：大 中 小.
    re.compile(r"^[【\[]?\s*(字体|字号)\s*[:：]?\s*[大中小默认\s]+[】\]]?(\s*[【\[][^】\]]{1,6}[】\]])*$"),
    # A row of bracketed widgets: 【打印】【关闭】.
    re.compile(r"^([【\[][^】\]]{1,6}[】\]]\s*)+$"),
    # Greetings of a site header: 欢迎加入法治观察网!, 欢迎访问….
    re.compile(r"^欢迎(您)?(访问|加入|光临|来到|进入).{0,30}$"),
    # Disclaimers of reposting sites.
    re.compile(r"^[\[【(（]?\s*(免责声明|免责申明|声明)\s*[\]】)）:：]"),
    # Copyright, licence and ICP filing lines of the site footer. The look-ahead for the words' first letters
    # (ignoring case: C, c, I, i, İ, ı) fails most lines at once: tried alone, ".{0,40}(…)" backtracks over 41
    # places on every line and cost more than all the other rules.
    re.compile(
        r"^(?=.{0,40}?[版©公未ci]).{0,40}(版权声明|版权所有|Copyright|©|ICP备|ICP证|公网安备|未经.{0,8}(授权|许可).{0,6}转载)",
        re.I,
    ),
    # Editor and proof-reader credits: 责任编辑：…, 【编辑:…】.
    re.compile(r"^[【\[(（]?\s*(责任编辑|编辑|责编|校对|审核|审校|初审|终审|监制)\s*[:：]"),
    # A source credit in brackets closing a reposted text: （来源：中国政府网）.
    re.compile(r"^[(（]\s*(来源|稿件来源|信息来源|文章来源)\s*[:：][^()（）]{1,40}[)）]$"),
    # "原文链接" of a repost; its URL is kept as original_url before the line goes.
    re.compile(r"^原文(链接|地址|网址)\s*[:：]"),
)

# Lines dropped only in the first lines of the text, where CMSs print page info.
_HEAD_RULES: tuple[re.Pattern[str], ...] = (
    # The info line under a title: 发布时间:… 来源:… 作者:…, 发表于:2024-02-29 关注 (metadata reads it first).
    re.compile(
        r"^(发布时间|发布日期|发表于|发表时间|发文日期|时间|日期|来源|信息来源|文章来源|作者|浏览次数|阅读次数|点击数|访问量)\s*[:：]"
    ),
    # Bare numbers above the article: view counters, comment counts.
    re.compile(r"^\d{1,7}$"),
)
_HEAD_LINES = 8
# Chrome lines are short; a longer line matching a rule is a paragraph that quotes the phrase.
_CHROME_MAX = 150

# Inline credits and end marks at the end of the last paragraph: 「…新质生产力。(完) 【编辑:胡寒笑】」.
_INLINE_RULES: tuple[re.Pattern[str], ...] = (
    re.compile(r"\s*[【\[]\s*(责任编辑|编辑|责编)\s*[:：][^】\]]{0,30}[】\]]\s*$"),
    re.compile(r"\s*[(（]\s*完\s*[)）]\s*$"),
)
# The article is over once a line carries its end mark: what follows on news sites is related links.
_END_MARK = re.compile(r"[(（]\s*完\s*[)）]\s*$|[【\[]\s*(责任编辑|编辑|责编)\s*[:：][^】\]]{0,30}[】\]]\s*$")

_ORIGINAL_URL = re.compile(r"^原文(?:链接|地址|网址)\s*[:：]\s*(https?://\S+)")
# A short line is a headline, a label or a link text: no full stop, not an intro to what follows.
_SHORT_MAX = 40
_SENTENCE_END = re.compile(r"[。；;:：,，、]$|。")
# Short lines that belong to a document's end and must survive the trailing-list rule:
# signatures (organisations), dates, attachments, enumerations, 抄送 and (此件公开发布).
_DOC_TAIL = re.compile(
    r"(厅|局|委员会|委|部|院|办公室|办公厅|人民政府|政府|中心|署|会|行|所|协会|联合会)$"
    r"|\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
    r"|^(附件|附：|抄送|印发|[(（]此件)|^(\d{1,2}|[一二三四五六七八九十]{1,3})[.．、]|^[(（][一二三四五六七八九十\d]{1,3}[)）]"
)
_TRAILING_LIST_MIN = 3


@dataclass(frozen=True, slots=True)
class Cleaned:
    """Text with the chrome removed, and what the chrome told us."""

    text: str
    original_url: str | None = None


def _after_breadcrumb(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines[:_HEADER_MAX_LINES]):
        if _BREADCRUMB.match(line):
            return lines[index + 1 :]
    return lines


def _one_pattern(rules: tuple[re.Pattern[str], ...]) -> re.Pattern[str]:
    """Rules anchored at the line's start as one alternation (each keeps its flags), tried with match:
    one attempt at one position per line instead of a search per rule."""
    return re.compile("|".join(f"(?{'i' if rule.flags & re.IGNORECASE else ''}:{rule.pattern})" for rule in rules))


_ANY_LINE_RULE = _one_pattern(_LINE_RULES)
_ANY_HEAD_RULE = _one_pattern(_HEAD_RULES)
# The inline rules and the end mark end in a closing bracket (before trailing spaces): other lines skip them.
_CLOSING = ("】", "]", ")", "）")


def _is_chrome(line: str, index: int) -> bool:
    if len(line) > _CHROME_MAX:
        return False
    if _ANY_LINE_RULE.match(line):
        return True
    return index < _HEAD_LINES and bool(_ANY_HEAD_RULE.match(line))


def _strip_inline(line: str) -> str:
    if not line.rstrip().endswith(_CLOSING):
        return line
    for rule in _INLINE_RULES:
        line = rule.sub("", line)
    return line


def is_short_line(line: str) -> bool:
    """A headline-like line: short, no full stop, not ending in a clause mark."""
    return len(line) <= _SHORT_MAX and not _SENTENCE_END.search(line)


def _is_list_item(line: str) -> bool:
    return is_short_line(line) and not _DOC_TAIL.search(line)


def _cut_after_end_mark(lines: list[str]) -> list[str]:
    """Drop what follows the article's end mark when it is only headlines and chrome."""
    for index, line in enumerate(lines):
        if line.rstrip().endswith(_CLOSING) and _END_MARK.search(line):
            rest = lines[index + 1 :]
            if all(is_short_line(item) or _is_chrome(item, _HEAD_LINES) for item in rest):
                return lines[: index + 1]
    return lines


def _cut_trailing_list(lines: list[str]) -> list[str]:
    """Drop a closing run of at least three headline-like lines (related links, hot lists)."""
    start = len(lines)
    while start > 0 and _is_list_item(lines[start - 1]):
        start -= 1
    run = len(lines) - start
    return lines[:start] if run >= _TRAILING_LIST_MIN and start > 0 else lines


def _original_url(lines: list[str]) -> str | None:
    for line in lines:
        match = _ORIGINAL_URL.match(line)
        if match:
            return match.group(1).rstrip("。,，;；)）")
    return None


def strip_boilerplate(text: str) -> Cleaned:
    """Remove header, navigation, widgets, credits, disclaimers and trailing link lists."""
    lines = _after_breadcrumb(text.split("\n"))
    original_url = _original_url(lines) if "原文" in text else None  # one scan spares the regex per line
    lines = _cut_after_end_mark(lines)
    kept = [line for index, line in enumerate(lines) if not _is_chrome(line, index)]
    kept = [line for line in (_strip_inline(line) for line in kept) if line]
    kept = _cut_trailing_list(kept)
    return Cleaned("\n".join(kept), original_url)
