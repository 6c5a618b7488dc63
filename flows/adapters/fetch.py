"""Polite HTTP fetching on httpx: per-host limits, robots.txt, retries, conditional GET, bounded bodies."""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from protego import Protego

from flows.adapters.clock import utcnow
from flows.adapters.fetch_errors import classify_transport_error
from parsers.errors import ConfigError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class HostPolicy:
    """How hard one host may be asked: concurrent requests and the gap between request starts."""

    concurrency: int = 2
    delay_seconds: float = 1.0


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
    retry_after_max_seconds: float = 120.0
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
    error_kind: str | None = None  # dns | connect | timeout | http | robots | redirect | too_large | reset
    attempts: int = 1
    fetched_at: datetime = field(default_factory=utcnow)

    @property
    def ok(self) -> bool:
        """A 2xx body (possibly cut) or a 304."""
        return self.error is None or self.error_kind == "too_large"


class _HostGate:
    """Per-host concurrency and minimum spacing between request starts."""

    def __init__(self, policy: HostPolicy) -> None:
        self.policy = policy
        self.semaphore = asyncio.Semaphore(max(1, policy.concurrency))
        self.lock = asyncio.Lock()
        self.next_start = 0.0

    async def __aenter__(self) -> None:
        await self.semaphore.acquire()
        async with self.lock:
            wait = self.next_start - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self.next_start = time.monotonic() + self.policy.delay_seconds

    async def __aexit__(self, *exc: object) -> None:
        self.semaphore.release()


class Fetcher:
    """One run's HTTP client: only allowed hosts, each with its gate, robots rules and dead-host memory."""

    def __init__(
        self,
        policy: FetchPolicy,
        *,
        allowed_hosts: set[str],
        host_policies: Mapping[str, HostPolicy] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.policy = policy
        self.allowed_hosts = {h.lower() for h in allowed_hosts}
        self._host_policies = dict(host_policies or {})
        self._gates: dict[str, _HostGate] = {}
        self._robots: dict[str, Protego | None] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self.dead_hosts: dict[str, str] = {}  # host -> why: a host that does not answer is not asked again
        timeout = httpx.Timeout(policy.timeout_seconds, connect=policy.connect_timeout_seconds)
        self.client = httpx.AsyncClient(
            http2=transport is None,
            timeout=timeout,
            follow_redirects=False,
            transport=transport,
            headers={"User-Agent": policy.user_agent, "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"},
        )
        self._own = {"From": policy.contact} if policy.contact else {}

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
    ) -> FetchResult:
        """GET (or POST a form to) a URL politely: robots, host gate, retries, redirects to allowed hosts only."""
        refused = self._refuse(url)
        if refused:
            return refused
        if check_robots and self.policy.respect_robots and not await self._robots_allow(url):
            return FetchResult(url=url, final_url=url, error="disallowed by robots.txt", error_kind="robots")
        conditional = dict(headers or {})
        if etag:
            conditional["If-None-Match"] = etag
        if last_modified:
            conditional["If-Modified-Since"] = last_modified
        return await self._with_retries(url, conditional, form)

    def _refuse(self, url: str) -> FetchResult | None:
        host = (urlsplit(url).hostname or "").lower()
        if host not in self.allowed_hosts:
            return FetchResult(
                url=url,
                final_url=url,
                error=f"host {host or '?'} is not a configured source host",
                error_kind="redirect",
            )
        if host in self.dead_hosts:
            return FetchResult(url=url, final_url=url, error=self.dead_hosts[host], error_kind="connect")
        return None

    def _gate(self, host: str) -> _HostGate:
        if host not in self._gates:
            self._gates[host] = _HostGate(self._host_policies.get(host, HostPolicy()))
        return self._gates[host]

    async def _with_retries(
        self, url: str, headers: Mapping[str, str], form: Mapping[str, str] | None = None
    ) -> FetchResult:
        attempt = 0
        while True:
            attempt += 1
            result = await self._follow(url, headers, form)
            result = _with_attempts(result, attempt)
            delay = self._retry_delay(result, attempt)
            if delay is None:
                return result
            await asyncio.sleep(delay)

    def _retry_delay(self, result: FetchResult, attempt: int) -> float | None:
        """Seconds to wait before trying again, or None to stop (success, or a fault not worth retrying)."""
        retryable = result.error_kind in ("timeout", "reset") or result.status in RETRY_STATUSES
        if not retryable or attempt > self.policy.retries:
            return None
        backoff = min(self.policy.backoff_max_seconds, self.policy.backoff_seconds * 2 ** (attempt - 1))
        backoff += random.uniform(0, self.policy.backoff_seconds)  # jitter: retries of many clients do not align
        retry_after = _retry_after_seconds(result.headers.get("retry-after"))
        if retry_after is not None:
            if retry_after > self.policy.retry_after_max_seconds:
                return None
            return max(retry_after, 0.0)
        return backoff

    async def _follow(self, url: str, headers: Mapping[str, str], form: Mapping[str, str] | None = None) -> FetchResult:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            result = await self._once(current, headers, form)
            form = None  # a redirect after a POST is followed with a GET (303 semantics)
            if result.status not in REDIRECT_STATUSES:
                return FetchResult(**{**_fields(result), "url": url})
            target = urljoin(current, result.headers.get("location", ""))
            refused = self._refuse(target)
            if refused:
                return FetchResult(
                    url=url,
                    final_url=target,
                    status=result.status,
                    error_kind="redirect",
                    error=f"redirect to {urlsplit(target).hostname} refused: not a configured host",
                )
            current = target
        return FetchResult(url=url, final_url=current, error="too many redirects", error_kind="redirect")

    async def _once(self, url: str, headers: Mapping[str, str], form: Mapping[str, str] | None) -> FetchResult:
        host = (urlsplit(url).hostname or "").lower()
        async with self._gate(host):
            try:
                return await asyncio.wait_for(self._stream(url, headers, form), self.policy.timeout_seconds * 2)
            except (httpx.HTTPError, TimeoutError, OSError) as exc:
                kind, message = classify_transport_error(exc, host)
                if kind in ("dns", "connect"):
                    self.dead_hosts[host] = message
                return FetchResult(url=url, final_url=url, error=message, error_kind=kind)

    async def _stream(self, url: str, headers: Mapping[str, str], form: Mapping[str, str] | None) -> FetchResult:
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
                return FetchResult(
                    url=url,
                    final_url=url,
                    status=response.status_code,
                    headers=meta,
                    error=error,
                    error_kind="http" if error else None,
                )
            body, truncated = await self._read_bounded(response)
            error = f"body larger than {self.policy.max_bytes} bytes: cut" if truncated else None
            final_url = str(response.url) if target == url else url
            return FetchResult(
                url=url,
                final_url=final_url,
                status=response.status_code,
                headers=meta,
                body=body,
                truncated=truncated,
                error=error,
                error_kind="too_large" if truncated else None,
            )

    async def _read_bounded(self, response: httpx.Response) -> tuple[bytes, bool]:
        limit = self.policy.max_bytes
        chunks: list[bytes] = []
        size = 0
        # Decoded bytes are counted, so a small compressed bomb is cut like any large body.
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                return b"".join(chunks)[:limit], True
        return b"".join(chunks), False

    async def _robots_allow(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        lock = self._robots_locks.setdefault(host, asyncio.Lock())
        async with lock:
            if host not in self._robots:
                self._robots[host] = await self._load_robots(f"{parts.scheme}://{parts.netloc}/robots.txt")
        rules = self._robots[host]
        return True if rules is None else rules.can_fetch(url, self.policy.user_agent)

    async def _load_robots(self, robots_url: str) -> Protego | None:
        """The host's rules; a missing robots.txt (4xx) allows everything, an unreachable one too (the page fails)."""
        result = await self._follow(robots_url, {})
        if result.status is not None and 200 <= result.status < 300 and result.body is not None:
            return Protego.parse(result.body.decode("utf-8", errors="replace"))
        if result.status is not None and result.status >= 500:
            return Protego.parse("User-agent: *\nDisallow: /")  # RFC 9309: a server error means assume disallow
        return None


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


def _fields(result: FetchResult) -> dict[str, object]:
    return {name: getattr(result, name) for name in FetchResult.__dataclass_fields__}


def _with_attempts(result: FetchResult, attempts: int) -> FetchResult:
    return FetchResult(**{**_fields(result), "attempts": attempts})
