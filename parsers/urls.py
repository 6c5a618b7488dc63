"""URL identity: one spelling per page, and how official the site of a URL is."""

from __future__ import annotations

import re
from enum import IntEnum
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

__all__ = ["SiteRank", "canonical_url", "site_rank"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Query parameters that say who shared a link, never which page it is: first match wins.
_TRACKING = (
    re.compile(r"^utm_"),  # Google Analytics campaign tags
    re.compile(r"^(spm|scm)$"),  # Alibaba / UC share tracking, common on reposts
    re.compile(r"^(from|isappinstalled|share_?token|sharer?_?\w*|scene|clicktime|enterid)$"),  # WeChat, Weibo apps
    re.compile(r"^(wfr|timestamp)$"),  # app and cache-busting markers
    re.compile(r"^(fbclid|gclid|msclkid|yclid)$"),  # ad click ids
)
# Default documents of a directory: /a/index.html is the page /a/.
_DEFAULT_DOCUMENT = re.compile(r"/(?:index|default)\.(?:html?|shtml|jsp|php|aspx?)$", re.IGNORECASE)
# Characters left as they are in a path or query: RFC 3986 unreserved plus the delimiters.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


class SiteRank(IntEnum):
    """How authoritative a copy is by where it was published: lower wins the canonical copy."""

    OFFICIAL = 0  # a government site
    NEWS = 1  # a state or national news outlet
    REPOST = 2  # anything else: aggregators, portals, blogs, local files of unknown origin


# Government sites, where the issuing bodies publish: host suffixes.
_OFFICIAL_SUFFIXES = (
    "gov.cn",
    "gov.hk",
    "gov.mo",
    "gov",
    "cde.org.cn",
    "cmde.org.cn",
    "chp.org.cn",  # NMPA's drug and device review centres, the pharmacopoeia
)
# News outlets that report policy first-hand; their copies beat aggregators but not the issuer.
_NEWS_SUFFIXES = (
    "news.cn",
    "xinhuanet.com",
    "people.com.cn",
    "chinanews.com.cn",
    "chinanews.com",
    "cctv.com",
    "cnr.cn",
    "gmw.cn",
    "chinadaily.com.cn",
    "ce.cn",
    "china.com.cn",
    "cnstock.com",
    "stcn.com",
    "jiemian.com",
    "thepaper.cn",
    "caixin.com",
    "yicai.com",
    "21jingji.com",
    "cls.cn",
    "bjnews.com.cn",
)


def canonical_url(url: str) -> str:
    """One spelling of a URL: lower-case scheme and host, no default port, fragment or tracking, no index.html."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return urlunsplit((scheme, parts.netloc, parts.path, parts.query, ""))
    host = (parts.hostname or "").rstrip(".")
    netloc = host if parts.port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{parts.port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    path = _DEFAULT_DOCUMENT.sub("/", quote(unquote(parts.path), safe=_PATH_SAFE + "%")) or "/"
    return urlunsplit((scheme, netloc, path, _clean_query(parts.query), ""))


def _clean_query(query: str) -> str:
    """The query without tracking parameters, the rest sorted so that order does not matter."""
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not _is_tracking(k)]
    return urlencode(sorted(pairs), quote_via=quote, safe=_PATH_SAFE)


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return any(rule.match(lowered) for rule in _TRACKING)


def site_rank(url: str | None) -> SiteRank:
    """The authority of a copy from its URL's host: government over news over everything else."""
    host = (urlsplit(url).hostname or "").lower() if url else ""
    if not host:
        return SiteRank.REPOST
    if _under(host, _OFFICIAL_SUFFIXES):
        return SiteRank.OFFICIAL
    if _under(host, _NEWS_SUFFIXES):
        return SiteRank.NEWS
    return SiteRank.REPOST


def _under(host: str, suffixes: tuple[str, ...]) -> bool:
    """The host is one of the domains or a subdomain of one (news.cn, not fakenews.cn)."""
    return any(host == s or host.endswith("." + s) for s in suffixes)
