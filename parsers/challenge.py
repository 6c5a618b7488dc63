"""Is an answer a JavaScript challenge rather than the page? Rules as data, first match wins.

Sites behind a Ruishu-style ("瑞数", `$_ts`) or similar cookie WAF (NMPA, NHC, CDE) answer a client
without the cookie with 412, or 202/200, and a page that is only script: it computes a cookie and
reloads. Such an answer must never be taken for an empty list; with `fetch: browser` it sends the
source through headless Chromium once. Pure: status, content type and bytes in, a reason or None out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CHALLENGE_RULES", "ChallengeRule", "challenge_reason"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChallengeRule:
    """One shape of challenge answer: statuses, a size bound, and the marks its body must carry."""

    name: str
    statuses: frozenset[int]
    body_needed: bool = True  # False: the status alone says it (the body may not even have been read)
    max_bytes: int = 256_000  # a challenge is small; a real page that mentions a marker is large
    markers: tuple[re.Pattern[str], ...] = ()  # every one must be found
    max_text_chars: int = 40  # visible text outside script, style and tags: a challenge shows (almost) none


_COOKIE = re.compile(r"document\s*\.\s*cookie\s*=", re.I)
_RELOAD = re.compile(r"location\s*(\.\s*(reload|replace|assign|href)\b|\s*=)|http-equiv\s*=\s*[\"']?refresh", re.I)
_SCRIPT = re.compile(r"<script\b", re.I)
_TS = re.compile(r"\$_ts\s*[.=\[]")  # the Ruishu state object

CHALLENGE_RULES: tuple[ChallengeRule, ...] = (
    # NMPA and NHC: 412 Precondition Failed to a GET that named no precondition is the WAF's "no cookie yet".
    ChallengeRule(name="HTTP 412 cookie challenge", statuses=frozenset({412}), body_needed=False),
    # NMPA sometimes answers 200/202 with the same `$_ts` page (sources-reference §0, §5).
    ChallengeRule(name="$_ts script page", statuses=frozenset({200, 202}), markers=(_SCRIPT, _TS)),
    # CDE's 202, and the generic family: a script that sets a cookie and loads the page again, nothing to read.
    ChallengeRule(
        name="cookie-and-reload script page",
        statuses=frozenset({200, 202}),
        max_bytes=64_000,
        markers=(_SCRIPT, _COOKIE, _RELOAD),
    ),
)

_INVISIBLE = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+|&nbsp;|&#160;")
_HTMLISH = ("text/html", "application/xhtml", "text/plain")  # or no Content-Type at all


def challenge_reason(status: int | None, content_type: str | None, body: bytes | None) -> str | None:
    """The name of the challenge rule this answer matches, or None when it is an ordinary answer."""
    if status is None:
        return None
    media = (content_type or "").split(";", 1)[0].strip().lower()
    for rule in CHALLENGE_RULES:
        if status not in rule.statuses:
            continue
        if not rule.body_needed:
            return rule.name
        if body is None or len(body) > rule.max_bytes or (media and not media.startswith(_HTMLISH)):
            continue
        text = body.decode("utf-8", errors="replace")
        if all(marker.search(text) for marker in rule.markers) and _visible_chars(text) <= rule.max_text_chars:
            return rule.name
    return None


def _visible_chars(html: str) -> int:
    """Characters a reader would see: no script, style, comment or markup."""
    return len(_SPACE.sub("", _TAG.sub("", _INVISIBLE.sub("", html))))
