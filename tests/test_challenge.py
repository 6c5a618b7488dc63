"""The JavaScript-challenge detector: challenge shapes are recognised, real pages never are."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers.challenge import challenge_reason

REAL = Path(__file__).parent / "fixtures" / "real"
# The shape NMPA/NHC answer without the cookie (sources-reference §5, §7): meta, a `$_ts` script, an external VMP script.
RUISHU = (
    b"<!DOCTYPE html><html><head><meta http-equiv='Content-Type' content='text/html; charset=utf-8'>"
    b"<meta id='9DhefwqGPrzGxEp9hPaoag' content='x'><script r='m'>var $_ts=window['$_ts'];if(!$_ts)$_ts={};"
    b"$_ts.nsd=84512;$_ts.cd='qqrdrr...';</script><script src='/4QbVtADbnLVIc/c.FxJzG50F.dfe1675.js' r='m'>"
    b"</script></head><body></body></html>"
)
COOKIE_RELOAD = (
    b"<html><head><script>var v=(function(){return 7*6})();document.cookie='wzws_cid='+v+'; path=/';"
    b"location.reload();</script></head><body><noscript>Please enable JavaScript</noscript></body></html>"
)

# A list page that happens to set a cookie and reload: it has text to read, so it is the page.
LIST_WITH_SCRIPT = (
    "<html><body><ul>"
    + "".join(f"<li><a href='/{i}.html'>关于印发生物医药产业发展行动方案的通知</a></li>" for i in range(3))
    + "</ul><script>document.cookie='seen=1';location.reload()</script></body></html>"
).encode()


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (412, None, "HTTP 412 cookie challenge"),
        (412, RUISHU, "HTTP 412 cookie challenge"),
        (202, RUISHU, "$_ts script page"),
        (200, RUISHU, "$_ts script page"),
        (202, COOKIE_RELOAD, "cookie-and-reload script page"),
        (
            200,
            COOKIE_RELOAD.replace(b"location.reload()", b"window.location.href=location.href"),
            "cookie-and-reload script page",
        ),
    ],
)
def test_challenge_reason_names_the_challenge_shape(status: int, body: bytes | None, expected: str) -> None:
    assert challenge_reason(status, "text/html; charset=utf-8", body) == expected


@pytest.mark.parametrize(
    ("status", "content_type", "body"),
    [
        (200, "text/html", LIST_WITH_SCRIPT),
        (202, "application/json", b'{"$_ts": 1, "script": "document.cookie=1; location.reload()"}'),
        (200, "text/html", RUISHU + b"x" * 300_000),
        (404, "text/html", RUISHU),
        (None, None, None),
    ],
    ids=["text-beside-script", "json", "too-large", "404", "no-answer"],
)
def test_challenge_reason_leaves_ordinary_answers_alone(
    status: int | None, content_type: str | None, body: bytes | None
) -> None:
    assert challenge_reason(status, content_type, body) is None


@pytest.mark.parametrize("page", sorted(REAL.glob("*/*.htm*")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_challenge_reason_never_flags_a_saved_real_page(page: Path) -> None:
    # The saved NMPA lists are full of scripts (13 <script> each) and were fetched answered, not challenged.
    assert challenge_reason(200, "text/html", page.read_bytes()) is None
