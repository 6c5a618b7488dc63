"""Digest rendering: escaping, both parts carrying the same content, email-safe layout and bars."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime

import pytest

from flows.tasks.digest_model import Digest, LevelCount, TopicSection, TrendRow
from flows.tasks.digest_render import clip, render_html, render_text, safe_href
from warehouse.queries import DigestDocument, Keyword, SourceProblem

HOSTILE = "<script>alert(1)</script>"
UNSUBSCRIBE = "mailto:policywatch@example.org?subject=unsubscribe"


def make_document(
    title: str = "关于支持合成生物产业发展的通知",
    url: str = "https://www.gov.cn/zhengce/content_1.htm",
    summary: str = "推动合成生物技术创新。",
) -> DigestDocument:
    return DigestDocument(
        doc_id="d1",
        title=title,
        url=url,
        published_on=date(2026, 11, 17),
        issuers=["国家发展改革委"],
        doc_number="发改高技〔2026〕1号",
        level="central",
        doc_type="通知",
        summary=summary,
        first_seen_at=datetime(2026, 11, 17, 2),
        regions=[],
        also_seen_by=["news.example.cn", "www.gd.gov.cn"],
        reposts=2,
        topics=[("bio-manufacturing", "生物制造", 3.2)],
        instruments=["资金支持"],
    )


def make_digest(doc: DigestDocument | None = None, total: int = 1) -> Digest:
    doc = doc or make_document()
    return Digest(
        week="2026-W47",
        monday=date(2026, 11, 16),
        sunday=date(2026, 11, 22),
        total=total,
        previous_total=3,
        levels=[LevelCount("中央", total, 2), LevelCount("省级", 0, 1), LevelCount("市级", 0, 0)],
        sections=[TopicSection("bio-manufacturing", "生物制造", [doc])] if total else [],
        trend_weeks=[f"2026-W{n}" for n in range(40, 48)],
        trend=[TrendRow("生物制造", [0, 1, 0, 2, 0, 0, 3, 1])],
        keywords=[Keyword("合成生物", 2, True), Keyword("生物制造", 1, False)],
        instruments=[("资金支持", 1)],
        unhealthy=[
            SourceProblem(
                source_name="gd-stc-tzgg",
                consecutive_failures=3,
                last_error="connect failed <b>",
                drifted=False,
                drift_reason=None,
                last_success_at=None,
                failed_pages=2,
            )
        ],
    )


def test_render_html_escapes_scraped_title() -> None:
    html = render_html(make_digest(make_document(title=HOSTILE)))
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_render_html_escapes_source_names_and_never_shows_raw_errors() -> None:
    digest = make_digest()
    hostile = replace(digest.unhealthy[0], source_name="<b>src</b>", last_error="<script>x</script> timed out")
    html = render_html(replace(digest, unhealthy=[hostile]))
    assert "&lt;b&gt;src&lt;/b&gt;" in html and "<b>src" not in html
    assert "<script>x" not in html and "1 个网站源访问超时" in html


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,<b>x</b>",
        "file:///etc/passwd",
        "//evil.example/x",
        "https://x.cn/a b",
        None,
        "",
    ],
)
def test_safe_href_refuses_anything_but_absolute_http(url: str | None) -> None:
    assert safe_href(url) is None


def test_render_html_links_only_http_urls() -> None:
    html = render_html(make_digest(make_document(url="javascript:alert(1)")))
    assert "javascript:" not in html
    assert 'href="https://www.gov.cn/zhengce/content_1.htm"' in render_html(make_digest())


def test_render_html_escapes_quotes_in_urls() -> None:
    html = render_html(make_digest(make_document(url='https://x.cn/"onmouseover="alert(1)')))
    assert '"onmouseover="' not in html


def test_render_html_inlines_css_and_has_no_scripts_or_images() -> None:
    html = render_html(make_digest())
    assert "<style" not in html and 'style="' in html
    assert "<script" not in html and "<img" not in html


def test_render_html_is_a_table_of_at_most_640px() -> None:
    html = render_html(make_digest())
    assert 'width="640"' in html and "max-width: 640px" in html
    widths = [int(w) for w in re.findall(r'width="(\d+)"', html)]
    assert max(widths) <= 640


def test_render_html_trend_bars_are_sized_table_cells() -> None:
    html = render_html(make_digest())
    bars = re.findall(r'<td[^>]*class="bar"[^>]*>', html) or re.findall(r'<td[^>]*bgcolor="#[0-9a-f]+"[^>]*>', html)
    assert len(bars) == 8
    assert all('width="12"' in bar and "height=" in bar for bar in bars)


def test_render_both_parts_carry_the_same_content() -> None:
    digest = make_digest()
    text, html = render_text(digest, unsubscribe=UNSUBSCRIBE), render_html(digest, unsubscribe=UNSUBSCRIBE)
    for fragment in (
        "关于支持合成生物产业发展的通知",
        "发改高技〔2026〕1号",
        "发布于 2026-11-17",
        "生物制造",
        "gd-stc-tzgg",
        "另有 2 个网站转载",
        "news.example.cn",
        "中央",
        "-2",
        "-1",
        "新·合成生物",
        "资金支持",
        "1 个网站源无法访问（网络不可达）：gd-stc-tzgg（连续 3 次）",
        "本周部分页面读取失败：gd-stc-tzgg 2 个",
        "SELECT * FROM documents",
        UNSUBSCRIBE,
    ):
        assert fragment in text, fragment
        assert fragment in html, fragment


def test_render_summary_is_clipped_to_two_lines() -> None:
    long = "生物制造" * 60
    assert clip(long).endswith("…") and len(clip(long)) == 90
    assert clip("短摘要。") == "短摘要。"
    assert long not in render_text(make_digest(make_document(summary=long)))


def test_render_empty_week_says_nothing_new() -> None:
    digest = make_digest(total=0)
    assert "本周没有新的生物经济相关文件" in render_text(digest)
    assert "本周没有新的生物经济相关文件" in render_html(digest)


def test_digest_subject_counts_new_policies() -> None:
    assert make_digest().subject == "PolicyWatch 周报 2026-W47: 本周新收录 1 项"
    assert make_digest(total=0).subject == "PolicyWatch 周报 2026-W47: 本周无新收录"
