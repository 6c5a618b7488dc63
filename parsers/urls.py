"""URL identity: one spelling per page, and how official the site of a URL is."""

from __future__ import annotations

import re
from collections.abc import Collection
from enum import IntEnum
from functools import lru_cache
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

__all__ = ["SiteRank", "canonical_url", "in_scope", "named_origins", "origin", "site_rank", "without_userinfo"]

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
    host = _bracketed((parts.hostname or "").rstrip("."))
    # The netloc is rebuilt from host and port: any user:password@ of a link is dropped, never sent or stored.
    netloc = host if parts.port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{parts.port}"
    path = _DEFAULT_DOCUMENT.sub("/", quote(unquote(parts.path), safe=_PATH_SAFE + "%")) or "/"
    return urlunsplit((scheme, netloc, path, _clean_query(parts.query), ""))


def without_userinfo(url: str) -> str:
    """The URL without `user:password@` in its authority (credentials in a link are never sent nor stored)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def origin(url: str) -> str | None:
    """`scheme://host:port` of an http(s) URL, the port always written; None for any other URL."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:  # a port that is no number, or out of range
        return None
    return f"{scheme}://{_bracketed(parts.hostname.rstrip('.'))}:{port}"


def named_origins(entry: str) -> frozenset[str]:
    """The origins one scope entry names.

    A URL names its origin; on a default port also its host's other scheme on its default port (sites mix
    http and https links to one server). A bare host name (an `allowed_hosts` entry) names http on 80 and
    https on 443; `host:port` names that port under either scheme. Any other port is another server.
    """
    entry = entry.strip().lower()
    if "://" in entry:
        named = origin(entry)
        if named is None:
            return frozenset()
        on_default = named.endswith(f":{_DEFAULT_PORTS[urlsplit(entry).scheme]}")
        return frozenset({named}) | (_default_origins(urlsplit(entry).hostname or "") if on_default else frozenset())
    name, colon, port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
    if colon and port.isdigit():
        return frozenset(f"{scheme}://{name}:{int(port)}" for scheme in _DEFAULT_PORTS)
    return _default_origins(entry)


def in_scope(url: str, origins: Collection[str]) -> bool:
    """True when the URL's origin is one of `origins` (as `named_origins` spells them)."""
    return origin(url) in origins


def _default_origins(host: str) -> frozenset[str]:
    host = _bracketed(host.strip("[]").rstrip("."))
    return frozenset(f"{scheme}://{host}:{port}" for scheme, port in _DEFAULT_PORTS.items())


def _bracketed(host: str) -> str:
    """An IPv6 address in brackets, as a netloc writes it."""
    return f"[{host}]" if ":" in host else host


def _clean_query(query: str) -> str:
    """The query without tracking parameters, the rest sorted so that order does not matter."""
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not _is_tracking(k)]
    return urlencode(sorted(pairs), quote_via=quote, safe=_PATH_SAFE)


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return any(rule.match(lowered) for rule in _TRACKING)


def site_rank(url: str | None) -> SiteRank:
    """The authority of a copy from its URL's host: government over news over everything else."""
    return _host_rank((urlsplit(url).hostname or "").lower() if url else "")


# A run asks this of every page's URL several times (placing order, placement) over a few hosts.
@lru_cache(maxsize=4096)
def _host_rank(host: str) -> SiteRank:
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
