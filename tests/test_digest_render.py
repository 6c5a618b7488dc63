"""Digest rendering: escaping, both parts carrying the same content, bars with widths."""

from __future__ import annotations

from datetime import date, datetime

from flows.digest_model import Digest, TopicSection, TrendRow
from flows.digest_render import render_html, render_text
from warehouse.queries import DigestDocument

HOSTILE = "<script>alert(1)</script>"


def make_digest(title: str = "关于支持合成生物产业发展的通知", total: int = 1) -> Digest:
    doc = DigestDocument(
        doc_id="d1", title=title, url="https://www.gov.cn/zhengce/content_1.htm", published_on=date(2026, 11, 17),
        issuers=["国家发展改革委"], doc_number="发改高技〔2026〕1号", level="central", doc_type="通知",
        summary="推动合成生物技术创新。", first_seen_at=datetime(2026, 11, 17, 2), regions=[], also_seen_by=["news-a"],
        reposts=1, topics=[("bio-manufacturing", "生物制造", 3.2)], instruments=["资金支持"],
    )
    return Digest(
        week="2026-W47", monday=date(2026, 11, 16), sunday=date(2026, 11, 22), total=total, previous_total=3,
        by_level={"中央": total}, sections=[TopicSection("bio-manufacturing", "生物制造", [doc])] if total else [],
        trend_weeks=[f"2026-W{n}" for n in range(40, 48)], trend=[TrendRow("生物制造", [0, 1, 0, 2, 0, 0, 3, 1])],
        keywords=[("合成生物", 2)], instruments=[("资金支持", 1)],
        unhealthy=[("gd-stc-tzgg", 3, "connect failed <b>", False, None)],
    )


def test_render_html_escapes_scraped_title() -> None:
    html = render_html(make_digest(title=HOSTILE))
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_render_html_escapes_source_errors() -> None:
    assert "connect failed &lt;b&gt;" in render_html(make_digest())


def test_render_html_inlines_css() -> None:
    html = render_html(make_digest())
    assert "<style>" not in html
    assert 'style="' in html


def test_render_text_has_the_same_documents_as_html() -> None:
    digest = make_digest()
    text, html = render_text(digest), render_html(digest)
    for fragment in ("关于支持合成生物产业发展的通知", "发改高技〔2026〕1号", "2026-11-17", "生物制造", "gd-stc-tzgg"):
        assert fragment in text
        assert fragment in html


def test_render_empty_week_says_nothing_new() -> None:
    digest = make_digest(total=0)
    assert "本周没有新的生物经济相关文件" in render_text(digest)
    assert "本周没有新的生物经济相关文件" in render_html(digest)


def test_digest_subject_counts_new_policies() -> None:
    assert make_digest().subject == "PolicyWatch 周报 2026-W47: 1 项新政策"
