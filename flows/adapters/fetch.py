"""Polite HTTP fetching on httpx: origin scope, per-host limits, robots.txt, retries, deadlines, bounded bodies."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http.cookiejar import Cookie
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from protego import Protego

from flows.adapters.clock import utcnow
from flows.adapters.content_coding import ACCEPT_ENCODING, BoundedDecoder, ContentCodingError, coding_of
from flows.adapters.fetch_errors import classify_transport_error
from flows.adapters.hostgate import HostGate, HostPolicy
from parsers.errors import ConfigError
from parsers.urls import named_origins, origin, without_userinfo

__all__ = ["FetchPolicy", "FetchResult", "Fetcher", "HostPolicy", "parse_resolve"]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
PAUSE_STATUSES = frozenset({429, 503})  # the host says it is overloaded: none of its URLs is asked meanwhile
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
MAX_STALL_RETRIES = 1  # a body that stalled once is likely to stall again: one more try, not `retries`
log = logging.getLogger("policywatch.fetch")


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchPolicy:
    """Limits of every request: time, size, retries, and who we say we are."""

    user_agent: str
    timeout_seconds: float = 30.0
    connect_timeout_seconds: float = 10.0
    max_bytes: int = 20_000_000
    retries: int = 3
    backoff_seconds: float = 1.0
    backoff_max_seconds: float = 60.0
    retry_after_max_seconds: float = 300.0  # a longer pause asked for fails the host's URLs for this run
    deadline_seconds: float = 60.0  # one URL's network time: connect, headers and body, all attempts
    crawl_delay_max_seconds: float = 60.0  # robots.txt's Crawl-delay is honoured up to this
    respect_robots: bool = True
    contact: str | None = None  # sent as From on every request, whatever User-Agent a source sends
    resolve: Mapping[str, str] = field(default_factory=dict)  # host -> "127.0.0.1:PORT": replay a saved site


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchResult:
    """What one GET produced; `error` says why there is no usable body."""

    url: str
    final_url: str
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    truncated: bool = False  # the body was cut at max_bytes
    not_modified: bool = False  # 304 to a conditional GET
    error: str | None = None
    # dns | connect | timeout | http | robots | redirect (out of scope) | too_large | reset | encoding | throttled
    error_kind: str | None = None
    attempts: int = 1
    fetched_at: datetime = field(default_factory=utcnow)
    received: bytes | None = None  # a rendered page's document as the server sent it, before its scripts ran

    @property
    def ok(self) -> bool:
        """A 2xx body (possibly cut) or a 304."""
        return self.error is None or (self.error_kind == "too_large" and self.body is not None)


class _Deadline:
    """Network time one URL may still use, over all its attempts and redirects (waits in the gate are not counted)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.left = seconds

    @property
    def spent(self) -> bool:
        return self.left <= 0

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run a request within what is left; TimeoutError when it is used up."""
        started, scope = time.monotonic(), asyncio.timeout(max(self.left, 0.0))
        try:
            async with scope:
                yield
        finally:
            self.left = 0.0 if scope.expired() else self.left - (time.monotonic() - started)


class Fetcher:
    """One run's HTTP client: only the sources' origins, each host with its gate, robots rules per origin."""

    def __init__(
        self,
        policy: FetchPolicy,
        *,
        allowed_hosts: set[str] | frozenset[str],
        host_policies: Mapping[str, HostPolicy] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """`allowed_hosts`: scope entries as `parsers.urls.named_origins` reads them (origins, hosts, host:port)."""
        self.policy = policy
        self.origins: frozenset[str] = frozenset().union(*(named_origins(entry) for entry in allowed_hosts))
        self._host_policies = {host.lower(): p for host, p in (host_policies or {}).items()}
        self._gates: dict[str, HostGate] = {}  # by host name: politeness is owed to the machine
        self._robots: dict[str, Protego | None] = {}  # by origin: each port is its own site with its own rules
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self.dead_hosts: dict[str, str] = {}  # origin -> why: an origin that does not answer is not asked again
        self.throttled: dict[str, str] = {}  # host -> why: it asked for a pause longer than we wait
        timeout = httpx.Timeout(policy.timeout_seconds, connect=policy.connect_timeout_seconds)
        self.client = httpx.AsyncClient(
            http2=transport is None,
            timeout=timeout,
            follow_redirects=False,
            transport=transport,
            headers={
                "User-Agent": policy.user_agent,
                "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5",
                "Accept-Encoding": ACCEPT_ENCODING,  # only the codings we decode with a bound
            },
        )
        self._own = {"From": policy.contact} if policy.contact else {}

    def cookies_for(self, hosts: Iterable[str]) -> list[dict[str, Any]]:
        """The cookies this client holds for these hosts, as `add_cookies` takes them (for a later stage's client)."""
        names = {host.partition(":")[0].lower() for host in hosts}
        return [
            {
                "name": c.name,
                "value": c.value or "",
                "domain": c.domain,
                "path": c.path,
                "secure": c.secure,
                "expires": c.expires if c.expires is not None else -1,
            }
            for c in self.client.cookies.jar
            if any(host == c.domain.lstrip(".") or host.endswith("." + c.domain.lstrip(".")) for host in names)
        ]

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        headers: Mapping[str, str] | None = None,
        check_robots: bool = True,
        form: Mapping[str, str] | None = None,
        error_body: bool = False,
    ) -> FetchResult:
        """GET (or POST a form to) a URL politely: robots, host gate, retries, redirects within scope only.

        `error_body`: read (bounded) the body of a 4xx/5xx answer too: a challenge page is one (browser mode).
        """
        refused = await self.admit(url, check_robots=check_robots)
        if refused:
            return refused
        conditional = dict(headers or {})
        if etag:
            conditional["If-None-Match"] = etag
        if last_modified:
            conditional["If-Modified-Since"] = last_modified
        return await self._with_retries(url, conditional, form, error_body)

    async def admit(self, url: str, *, check_robots: bool = True) -> FetchResult | None:
        """Why this URL may not be asked now (scope, credentials, a dead or throttled host, robots), or None."""
        refused = self._refuse(url)
        if refused:
            return refused
        if check_robots and self.policy.respect_robots and not await self._robots_allow(url):
            return FetchResult(url=url, final_url=url, error="disallowed by robots.txt", error_kind="robots")
        return None

    def gate_for(self, url: str) -> HostGate:
        """The politeness gate of a URL's host: a request that does not go through `get` starts through it."""
        return self._gate(_host(url))

    def add_cookies(self, cookies: list[Mapping[str, Any]]) -> None:
        """Cookies another client earned (a browser that passed a challenge), sent by this client from now on.

        Each is a mapping as Playwright gives it (name, value, domain, path, expires, secure): its scope
        stays as the browser had it, so a `secure` cookie never goes over plain http.
        """
        for given in cookies:
            domain, expires = str(given.get("domain") or ""), given.get("expires")
            lasting = isinstance(expires, int | float) and expires > 0  # -1: a session cookie
            cookie = Cookie(
                version=0,
                name=str(given["name"]),
                value=str(given["value"]),
                port=None,
                port_specified=False,
                domain=domain,
                domain_specified=domain.startswith("."),
                domain_initial_dot=domain.startswith("."),
                path=str(given.get("path") or "/"),
                path_specified=True,
                secure=bool(given.get("secure")),
                expires=int(expires) if lasting else None,
                discard=not lasting,
                comment=None,
                comment_url=None,
                rest={},
            )
            self.client.cookies.jar.set_cookie(cookie)

    def _refuse(self, url: str) -> FetchResult | None:
        """Why a URL is not asked at all: credentials in it, an origin no source names, a dead or throttled one."""
        named = origin(url)
        why, kind = None, "redirect"
        if "@" in urlsplit(url).netloc:
            url = without_userinfo(url)  # the refusal names the URL, never the credentials
            why = "a URL with credentials (user:password@) is never requested"
        elif named not in self.origins:
            why = f"{named or url[:80]} is not an origin (scheme, host, port) of a configured source"
        else:
            return self._given_up(url)
        return FetchResult(url=url, final_url=url, error=why, error_kind=kind)

    def _given_up(self, url: str) -> FetchResult | None:
        """Its origin does not answer, or its host asked for a longer pause than we wait: not asked this run."""
        named, host = origin(url) or "", _host(url)
        if named in self.dead_hosts:
            return FetchResult(url=url, final_url=url, error=self.dead_hosts[named], error_kind="connect")
        if host in self.throttled:
            return FetchResult(url=url, final_url=url, error=self.throttled[host], error_kind="throttled")
        return None

    def _gate(self, host: str) -> HostGate:
        if host not in self._gates:
            self._gates[host] = HostGate(self._host_policies.get(host, HostPolicy()))
        return self._gates[host]

    async def _with_retries(
        self, url: str, headers: Mapping[str, str], form: Mapping[str, str] | None = None, error_body: bool = False
    ) -> FetchResult:
        deadline = _Deadline(self.policy.deadline_seconds)
        attempt = stalls = 0
        while True:
            attempt += 1
            result = replace(await self._follow(url, headers, form, deadline, error_body), attempts=attempt)
            stalls += result.error_kind == "timeout"
            if result.status in PAUSE_STATUSES:
                result = self._pause_host(result, attempt)
            delay = self._retry_delay(result, attempt, stalls, deadline)
            if delay is None:
                return result
            await asyncio.sleep(delay)

    def _pause_host(self, result: FetchResult, attempt: int) -> FetchResult:
        """A 429 or 503 pauses its whole host (Retry-After, else the backoff); past the cap, the host is done."""
        host = _host(result.final_url)
        wait = _retry_after_seconds(result.headers.get("retry-after"))
        if wait is None:
            wait = min(self.policy.backoff_max_seconds, self.policy.backoff_seconds * 2.0 ** (attempt - 1))
        cap = self.policy.retry_after_max_seconds
        if wait > cap:
            why = (
                f"HTTP {result.status}: {host} asks for a pause of {wait:.0f} s (Retry-After), longer than the"
                f" {cap:g} s we wait (POLICYWATCH_RETRY_AFTER_MAX_SECONDS): its URLs are left for the next run"
            )
            self.throttled[host] = why
            return replace(result, error=why, error_kind="throttled")
        self._gate(host).pause(max(wait, 0.0))
        return result

    def _retry_delay(self, result: FetchResult, attempt: int, stalls: int, deadline: _Deadline) -> float | None:
        """Seconds to wait before trying again, or None to stop (success, a fault not worth retrying, time up)."""
        if deadline.spent or attempt > self.policy.retries:
            return None
        if result.error_kind == "timeout":
            retryable = stalls <= MAX_STALL_RETRIES
        else:
            retryable = result.error_kind == "reset" or (
                result.status in RETRY_STATUSES and result.error_kind == "http"
            )
        if not retryable:
            return None
        if result.status in PAUSE_STATUSES:
            return 0.0  # the host's gate holds every request, this one too, until its pause is over
        retry_after = _retry_after_seconds(result.headers.get("retry-after"))  # on a 500: this URL's wait only
        if retry_after is not None and retry_after <= self.policy.retry_after_max_seconds:
            return max(retry_after, 0.0)
        backoff = min(self.policy.backoff_max_seconds, self.policy.backoff_seconds * 2.0 ** (attempt - 1))
        return backoff + random.uniform(0, self.policy.backoff_seconds)  # jitter: retries of many clients differ

    async def _follow(
        self,
        url: str,
        headers: Mapping[str, str],
        form: Mapping[str, str] | None,
        deadline: _Deadline,
        error_body: bool = False,
    ) -> FetchResult:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            result = await self._once(current, headers, form, deadline, error_body)
            form = None  # a redirect after a POST is followed with a GET (303 semantics)
            if result.status not in REDIRECT_STATUSES:
                return replace(result, url=url)
            target = urljoin(current, result.headers.get("location", ""))
            refused = self._refuse(target)  # checked before following: a redirect cannot leave the scope
            if refused:
                return FetchResult(
                    url=url,
                    final_url=refused.final_url,
                    status=result.status,
                    error_kind=refused.error_kind,
                    error=f"redirect refused: {refused.error}",
                )
            current = target
        return FetchResult(url=url, final_url=current, error="too many redirects", error_kind="redirect")

    async def _once(
        self,
        url: str,
        headers: Mapping[str, str],
        form: Mapping[str, str] | None,
        deadline: _Deadline,
        error_body: bool = False,
    ) -> FetchResult:
        host = _host(url)
        async with self._gate(host):
            given_up = self._given_up(url)  # decided while this request waited at the gate
            if given_up:
                return given_up
            try:
                async with deadline.running():
                    return await self._stream(url, headers, form, error_body)
            except ContentCodingError as exc:
                return FetchResult(url=url, final_url=url, error=str(exc), error_kind="encoding")
            except (httpx.HTTPError, TimeoutError, OSError) as exc:
                if isinstance(exc, TimeoutError) and deadline.spent:
                    return FetchResult(url=url, final_url=url, error=_past(deadline, host), error_kind="timeout")
                kind, message = classify_transport_error(exc, host)
                if kind in ("dns", "connect"):
                    self.dead_hosts[origin(url) or host] = message
                return FetchResult(url=url, final_url=url, error=message, error_kind=kind)

    async def _stream(
        self, url: str, headers: Mapping[str, str], form: Mapping[str, str] | None, error_body: bool = False
    ) -> FetchResult:
        method = "POST" if form is not None else "GET"
        target = _resolved(url, self.policy.resolve)
        sent = {k: v for k, v in headers.items() if not (self._own and k.lower() == "from")} | self._own
        if target != url:
            sent["Host"] = urlsplit(url).netloc  # the replaying server sees the site's own request
        async with self.client.stream(method, target, headers=sent, data=form) as response:
            meta = {k.lower(): v for k, v in response.headers.items()}
            if response.status_code == 304:
                return FetchResult(url=url, final_url=url, status=304, headers=meta, not_modified=True)
            if response.status_code in REDIRECT_STATUSES or response.status_code >= 400:
                error = None if response.status_code in REDIRECT_STATUSES else f"HTTP {response.status_code}"
                kept = await self._read_bounded(response, meta) if error and error_body else (None, False)
                return FetchResult(
                    url=url,
                    final_url=url,
                    status=response.status_code,
                    headers=meta,
                    body=kept[0],
                    error=error,
                    error_kind="http" if error else None,
                )
            final_url = str(response.url) if target == url else url
            facts = FetchResult(url=url, final_url=final_url, status=response.status_code, headers=meta)
            announced = _content_length(meta)
            if announced is not None and announced > self.policy.max_bytes:
                why = f"body of {announced} bytes (Content-Length) larger than {self.policy.max_bytes} bytes: refused"
                return replace(facts, truncated=True, error=why, error_kind="too_large")
            body, truncated = await self._read_bounded(response, meta)
            error = f"body larger than {self.policy.max_bytes} bytes (decoded): cut" if truncated else None
            return replace(
                facts,
                body=body,
                truncated=truncated,
                error=error,
                error_kind="too_large" if truncated else None,
            )

    async def _read_bounded(self, response: httpx.Response, meta: Mapping[str, str]) -> tuple[bytes, bool]:
        """The body decoded by us from the raw bytes, never more than max_bytes of it held (see content_coding)."""
        decoder = BoundedDecoder(coding_of(meta.get("content-encoding")), self.policy.max_bytes)
        async for chunk in response.aiter_raw():
            decoder.feed(chunk)
            if decoder.enough:
                break
        return decoder.result()

    async def _robots_allow(self, url: str) -> bool:
        key = origin(url) or _host(url)
        lock = self._robots_locks.setdefault(key, asyncio.Lock())
        async with lock:
            if key not in self._robots:
                parts = urlsplit(url)
                self._robots[key] = await self._load_robots(f"{parts.scheme}://{parts.netloc}/robots.txt")
                self._honour_crawl_delay(key, self._robots[key])
        rules = self._robots[key]
        return True if rules is None else rules.can_fetch(url, self.policy.user_agent)

    async def _load_robots(self, robots_url: str) -> Protego | None:
        """The origin's rules; a missing robots.txt (4xx) allows everything, an unreachable one too (the page fails)."""
        result = await self._follow(robots_url, {}, None, _Deadline(self.policy.deadline_seconds))
        if result.status is not None and 200 <= result.status < 300 and result.body is not None:
            return Protego.parse(result.body.decode("utf-8", errors="replace"))
        if result.status is not None and result.status >= 500:
            return Protego.parse("User-agent: *\nDisallow: /")  # RFC 9309: a server error means assume disallow
        return None

    def _honour_crawl_delay(self, key: str, rules: Protego | None) -> None:
        """Crawl-delay widens the gap between request starts on the host, up to the cap; said once per origin."""
        asked = rules.crawl_delay(self.policy.user_agent) if rules is not None else None
        if not asked or asked <= 0:
            return
        cap = self.policy.crawl_delay_max_seconds
        delay = min(float(asked), cap)
        self._gate(_host(key)).slow_to(delay)
        if asked > cap:
            log.warning(
                "%s asks for Crawl-delay %g s; capped at %g s (POLICYWATCH_CRAWL_DELAY_MAX_SECONDS)", key, asked, cap
            )
        else:
            log.info("%s asks for Crawl-delay %g s: its requests start at least that far apart", key, asked)


def parse_resolve(text: str) -> dict[str, str]:
    """A host -> address mapping from "www.ndrc.gov.cn=127.0.0.1:8000,www.gov.cn=127.0.0.1:8001"."""
    mapping = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        host, _, address = part.partition("=")
        name, _, port = address.strip().rpartition(":")
        if not host.strip() or not name or not port.isdigit():
            raise ConfigError(f"POLICYWATCH_RESOLVE: expected HOST=ADDRESS:PORT, not {part!r}")
        mapping[host.strip().lower()] = address.strip()
    return mapping


def _resolved(url: str, resolve: Mapping[str, str]) -> str:
    """The URL actually requested: a mapped host's requests go over plain HTTP to its local address."""
    parts = urlsplit(url)
    address = resolve.get((parts.hostname or "").lower())
    return urlunsplit(("http", address, parts.path or "/", parts.query, "")) if address else url


def _retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return (when - datetime.now(UTC)).total_seconds()


def _past(deadline: _Deadline, host: str) -> str:
    return f"{host}: gave up at the {deadline.seconds:g} s deadline per URL (connect, headers, body, all tries)"


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _content_length(headers: Mapping[str, str]) -> int | None:
    value = headers.get("content-length", "").strip()
    return int(value) if value.isdigit() else None
