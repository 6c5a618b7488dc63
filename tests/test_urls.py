"""URL canonicalisation and the authority of a copy's site."""

from __future__ import annotations

import pytest

from parsers.urls import SiteRank, canonical_url, in_scope, named_origins, origin, site_rank, without_userinfo


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://WWW.Gov.CN/zhengce/a.htm", "http://www.gov.cn/zhengce/a.htm"),  # scheme and host case
        ("http://www.gov.cn:80/a.htm", "http://www.gov.cn/a.htm"),  # default port
        ("https://www.gov.cn:443/a.htm", "https://www.gov.cn/a.htm"),
        ("https://example.com:8443/a.htm", "https://example.com:8443/a.htm"),  # other ports stay
        ("https://www.gov.cn/a.htm#top", "https://www.gov.cn/a.htm"),  # fragment
        ("https://a.cn/p.html?utm_source=wx&utm_medium=x", "https://a.cn/p.html"),  # utm_*
        ("https://a.cn/p.html?spm=1.2&from=timeline&isappinstalled=0", "https://a.cn/p.html"),  # share tracking
        ("https://a.cn/p.jsp?id=7&spm=1", "https://a.cn/p.jsp?id=7"),  # real parameters stay
        ("https://a.cn/p.jsp?b=2&a=1", "https://a.cn/p.jsp?a=1&b=2"),  # parameter order does not matter
        ("https://a.gov.cn/tzgg/index.html", "https://a.gov.cn/tzgg/"),  # default documents
        ("https://a.gov.cn/tzgg/index.htm", "https://a.gov.cn/tzgg/"),
        ("https://a.gov.cn/tzgg/default.shtml", "https://a.gov.cn/tzgg/"),
        ("https://a.gov.cn/tzgg/index_1.html", "https://a.gov.cn/tzgg/index_1.html"),  # page 2 is another page
        ("https://a.gov.cn", "https://a.gov.cn/"),  # empty path
        ("https://a.cn/%e4%b8%ad.html", "https://a.cn/%E4%B8%AD.html"),  # one spelling of escapes
        ("https://a.cn/中.html", "https://a.cn/%E4%B8%AD.html"),
        ("file:///data/seeds/002.txt", "file:///data/seeds/002.txt"),  # non-web URLs: only the fragment goes
        ("http://user:pw@www.gov.cn/a.htm", "http://www.gov.cn/a.htm"),  # credentials are never kept
        ("https://user@a.cn:8443/a.htm", "https://a.cn:8443/a.htm"),
        ("http://[::1]:8080/a.htm", "http://[::1]:8080/a.htm"),  # an IPv6 host keeps its brackets
    ],
)
def test_canonical_url_spelling(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_canonical_url_is_idempotent() -> None:
    url = "HTTP://A.GOV.CN:80/x/index.html?utm_source=a&z=1&a=2#f"
    assert canonical_url(canonical_url(url)) == canonical_url(url)


@pytest.mark.parametrize(
    ("url", "rank"),
    [
        ("https://www.ndrc.gov.cn/xxgk/zcfb/tz/202205/t20220510.html", SiteRank.OFFICIAL),
        ("https://www.gov.cn/zhengce/content/a.htm", SiteRank.OFFICIAL),
        ("https://www.cde.org.cn/main/news", SiteRank.OFFICIAL),
        ("http://www.news.cn/politics/a.htm", SiteRank.NEWS),
        ("https://www.chinanews.com.cn/gn/a.shtml", SiteRank.NEWS),
        ("https://fakenews.cn/a.html", SiteRank.REPOST),  # a suffix must be a whole domain
        ("https://www.gov.cn.example.com/a", SiteRank.REPOST),
        ("file:///seeds/004.txt", SiteRank.REPOST),
        (None, SiteRank.REPOST),
    ],
)
def test_site_rank_government_over_news_over_repost(url: str | None, rank: SiteRank) -> None:
    assert site_rank(url) == rank


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://u:p@a.cn:8080/x?q=1", "http://a.cn:8080/x?q=1"),
        ("https://a@b@a.cn/x", "https://a.cn/x"),  # the last @ ends the userinfo
        ("https://a.cn/x?mail=a@b.cn", "https://a.cn/x?mail=a@b.cn"),  # an @ in the query is no userinfo
    ],
)
def test_without_userinfo_drops_credentials_only(url: str, expected: str) -> None:
    assert without_userinfo(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://WWW.gov.cn/a", "https://www.gov.cn:443"),
        ("http://www.gov.cn:8080/a", "http://www.gov.cn:8080"),
        ("http://u:p@www.gov.cn/a", "http://www.gov.cn:80"),
        ("ftp://www.gov.cn/a", None),
        ("http://www.gov.cn:99999/a", None),  # no such port
    ],
)
def test_origin_writes_scheme_host_and_port(url: str, expected: str | None) -> None:
    assert origin(url) == expected


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("www.gov.cn", {"http://www.gov.cn:80", "https://www.gov.cn:443"}),
        ("www.gov.cn:8443", {"http://www.gov.cn:8443", "https://www.gov.cn:8443"}),
        ("https://www.gov.cn/zhengce/", {"http://www.gov.cn:80", "https://www.gov.cn:443"}),
        ("http://127.0.0.1:8000/list/", {"http://127.0.0.1:8000"}),
    ],
)
def test_named_origins_of_a_scope_entry(entry: str, expected: set[str]) -> None:
    assert named_origins(entry) == expected


def test_in_scope_refuses_another_port_of_the_same_host() -> None:
    scope = named_origins("https://www.gov.cn/zhengce/")
    assert in_scope("http://www.gov.cn/a.htm", scope)
    assert not in_scope("https://www.gov.cn:8443/a.htm", scope)
    assert not in_scope("http://www.gov.cn:8080/admin", scope)
