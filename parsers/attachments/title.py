"""The title of a file's text: past its front matter, a title broken over two lines or with a qualifier joined.

A document file opens with lines a page's markup would hold apart: an attachment label (附件2), a
number or a date to be filled in (指导原则编号：XXXXXX), then a title that may be set on two lines, with
its edition on a line of its own: 富血小板血浆制备器注册审查指导原则 / （征求意见稿）.
"""

from __future__ import annotations

import re

# Front matter above a title, first match wins.
FRONT_MATTER: tuple[re.Pattern[str], ...] = (
    re.compile(r"附\s*件\s*[\d一二三四五六七八九十]*\s*[:：]?"),  # the label of an attached document
    re.compile(r"[^。；]{0,16}(?:编号|文号|日期|时间|密级|等级|期限)\s*[:：].*"),  # its number, date, secrecy
    re.compile(r".*X{3,}.*"),  # a field of a draft left to be filled in (发布日期XXXX 年 X 月)
    re.compile(r"[\d\s年月日.\-/]+"),  # a date or a number alone
)
# An edition printed on the line under a title: （征求意见稿）, (试行), （2024年修订）, （草案）.
QUALIFIER = re.compile(r"[(（〔][^()（）〔〕]{1,20}[)）〕]")
# How a title ends: its document type. A first line not ending so, followed by one that does, is one title
# set on two lines.
TITLE_END = re.compile(
    r"(?:通知|公告|通告|意见|办法|规定|细则|方案|规划|纲要|计划|措施|指南|指引|原则|条例|决定|要点|目录|清单|标准|规范|函"
    r"|报告|批复|要求|说明|政策|制度|程序|规程|章程|机制)$"
)
_NOT_TITLE = re.compile(r"[。；;:：,，、！？!?]|\.$")
_TITLE_MAX = 60
_HEAD_LINES = 8


def _titleish(line: str) -> bool:
    return 4 <= len(line) <= _TITLE_MAX and not _NOT_TITLE.search(line)


def _front_matter(line: str) -> bool:
    return any(pattern.fullmatch(line) for pattern in FRONT_MATTER)


def split_title(text: str) -> tuple[str | None, str]:
    """(The title of a file's text, the text without the title's lines); (None, text) when none reads as one."""
    lines = text.split("\n")
    head = [index for index, line in enumerate(lines[:_HEAD_LINES]) if line.strip()]
    start = next((index for index in head if not _front_matter(lines[index].strip())), None)
    if start is None or not _titleish(lines[start].strip()):
        return None, text
    parts, end = [lines[start].strip()], start + 1
    following = lines[end].strip() if end < len(lines) else ""
    if following and not TITLE_END.search(parts[0]) and _titleish(following) and TITLE_END.search(following):
        parts.append(following)
        end += 1
    while end < len(lines) and QUALIFIER.fullmatch(lines[end].strip()):
        parts.append(lines[end].strip())
        end += 1
    title = "".join(parts)
    if len(title) > _TITLE_MAX:
        return None, text
    return title, "\n".join(lines[:start] + lines[end:])
