"""Loopback routes behind JavaScript cookie challenges, like NMPA/NHC (412) and CDE (202 + a token its API checks).

For the tests (tests/test_browser_fetch.py) and `policywatch bench browser`.

A guarded route answers a request without the right cookie with a challenge page whose script computes the
cookie's value from a number in the page and reloads; only a client that runs the script gets the page.
Each site has its own cookie name, since cookies do not tell ports apart.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler

from flows.adapters.loopback import Response, Route, Site

MODULUS = 2_147_483_647
MULTIPLIER = 48_271


@dataclass
class Guard:
    """A cookie challenge: its cookie name, the number the script starts from, and its answer counts."""

    cookie: str
    nonce: int
    status: int = 412
    style: str = "ts"  # ts: a Ruishu-style `$_ts` page; reload: a bare cookie-and-reload script
    answered: Counter[str] = field(default_factory=Counter)  # "challenge" / "page"
    enabled: bool = True  # False: every request gets the page (the same site without its WAF)
    rotate_every: int = 0  # after this many pages the cookie expires (a new number): the challenge comes back
    solvable: bool = True  # False: the script sets a wrong value, as a challenge no browser of ours passes

    @property
    def token(self) -> str:
        """What the script computes (and the server expects)."""
        return str(self.nonce * MULTIPLIER % MODULUS)

    def page(self) -> bytes:
        """The challenge page: script only, nothing to read."""
        script = (
            f"var n={self.nonce};var t=(n*{MULTIPLIER})%{MODULUS}+{0 if self.solvable else 1};"
            f"document.cookie='{self.cookie}='+t+'; path=/';location.reload();"
        )
        if self.style == "ts":
            script = "var $_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=84512;$_ts.cd='qqrdrr';" + script
            return (
                f"<html><head><meta charset='utf-8'><script r='m'>{script}</script></head><body></body></html>".encode()
            )
        body = "<body><noscript>请开启JavaScript</noscript></body>"
        return f"<html><head><script>{script}</script></head>{body}</html>".encode()

    def passed(self, handler: BaseHTTPRequestHandler) -> bool:
        """The request carries the cookie the script would have set."""
        jar = SimpleCookie(handler.headers.get("Cookie") or "")
        return self.cookie in jar and jar[self.cookie].value == self.token

    def __call__(self, route: Route) -> Route:
        """`route`, behind this challenge."""

        def guarded(site: Site, handler: BaseHTTPRequestHandler) -> Response:
            if self.enabled and not self.passed(handler):
                self.answered["challenge"] += 1
                return Response(self.page(), self.status, {"Content-Type": "text/html; charset=utf-8"})
            self.answered["page"] += 1
            if self.rotate_every and self.answered["page"] % self.rotate_every == 0:
                self.nonce += 1
            return route if isinstance(route, Response) else route(site, handler)

        return guarded
