"""Headless Chromium for sources behind JavaScript challenges (`fetch: browser | render`), on the run's own rules.

At most one browser per run: launched on the first need, closed with the run (`Browser.close`), and gone
with the run if it is killed (Playwright drives Chromium over a pipe from its driver, a child of ours: when
this process dies, even by SIGKILL, the pipe closes and Chromium exits; tests/test_browser_fetch.py checks it).

Every request the browser makes is intercepted: images, fonts and media are refused (memory), and the rest
are made by the run's `Fetcher` and handed back to the page, so a browser request meets the same origin scope,
per-host gate, robots.txt, retries, time and size bounds and in-scope redirects as any plain one. Requests
httpx cannot replay (a POST that is not a form) start through the host gate and are let through.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from flows.adapters.fetch import REDIRECT_STATUSES, Fetcher, FetchResult
from flows.sources import BROWSER_USER_AGENT
from parsers.challenge import challenge_reason
from parsers.errors import FetchError
from parsers.urls import origin

if TYPE_CHECKING:  # Playwright is imported only when a browser source needs it
    from playwright.async_api import BrowserContext, Page, Playwright, Request, Response, Route

CHROMIUM_ENV = "POLICYWATCH_CHROMIUM"
MISSING = "fetch: browser needs chromium: install it (make test does) or set POLICYWATCH_CHROMIUM"
# The digest's browser tests use the same flags: no GPU, no background traffic of Chromium's own.
FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
RENDERED_MEDIA = frozenset({"", "text/html", "application/xhtml+xml"})  # a navigation to anything else is a file
BLOCKED_RESOURCES = frozenset({"image", "font", "media"})  # never needed to pass a challenge or read a list
MAX_PASSES = 3  # challenge passes per origin and run: a challenge that keeps coming back fails the source
PAGES_AT_ONCE = 2  # open tabs: each holds a renderer (~50-100 MB)
CLOSE_SECONDS = 5.0  # a tab's close
MAX_RELOADS = 8  # challenge answers one pass sees before it gives up: a challenge we do not pass reloads forever
SETTLE_SECONDS = 3.0  # after load, how long a rendered page may still fetch what its script inserts
# Request headers Chromium sets that httpx sets itself (or that describe Chromium's connection, not ours).
# Conditional headers too: a 304 would leave the page nothing to show (the Fetcher's cache is the frontier's).
_NOT_FORWARDED = frozenset(
    {"host", "accept-encoding", "connection", "content-length", "keep-alive", "if-none-match", "if-modified-since"}
)
# Response headers that described the bytes on the wire; the page gets the decoded body.
_NOT_REPLAYED = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection", "keep-alive"})
_COOKIE_JOINT = re.compile(r",\s*(?=[^;,=\s]+=)")


class BrowserUnavailable(FetchError):
    """Chromium or Playwright's driver is missing or would not start: browser sources fail, the run goes on."""


def chromium_path() -> str | None:
    """The Chromium to drive: POLICYWATCH_CHROMIUM, else `chromium` on the PATH."""
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass(frozen=True, slots=True)
class Loaded:
    """A page's first answer that was not a challenge, as the browser received it."""

    response: Response
    body: bytes


class Browser:
    """The run's one headless Chromium, launched lazily; challenge passes counted per origin."""

    def __init__(self, fetcher: Fetcher, *, wait_seconds: float | None = None) -> None:
        self.fetcher = fetcher
        self.wait_seconds = wait_seconds or fetcher.policy.deadline_seconds  # one pass or one rendered page
        self.passes: Counter[str] = Counter()  # origin -> challenge passes this run
        self.launches = 0
        self._locks: dict[str, asyncio.Lock] = {}
        self._launch_lock = asyncio.Lock()
        self._tabs = asyncio.Semaphore(PAGES_AT_ONCE)
        self._failure: str | None = None
        self.files: dict[str, FetchResult] = {}  # a navigation answered by no HTML page: taken as fetched
        self.landed: dict[str, str] = {}  # a page's URL -> where the Fetcher's (in-scope) redirects ended
        self.refused: dict[str, str] = {}  # URL -> why the Fetcher gave the browser no answer for it
        self._playwright: Playwright | None = None
        self._context: BrowserContext | None = None
        self.profile: str | None = None  # the fresh user-data-dir, removed on close

    async def __aenter__(self) -> Browser:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def unavailable(self) -> str | None:
        """Why this run has no browser (Chromium missing or not starting), once a launch was tried."""
        return self._failure

    def lock(self, url: str) -> asyncio.Lock:
        """One challenge pass at a time per origin: the others wait for its cookies."""
        return self._locks.setdefault(origin(url) or url, asyncio.Lock())

    async def pass_challenge(self, url: str) -> list[dict[str, Any]]:
        """Load `url` until it answers without a challenge; the cookies the browser then holds for it."""
        self.passes[origin(url) or url] += 1  # attempts are counted: one that fails is not made for every page
        async with self._tab() as page:
            loaded = await self._until_answered(page, url)
            self.files.pop(loaded.response.url, None)
            context = await self._started()
            return [dict(cookie) for cookie in await context.cookies([url])]

    async def render(self, url: str) -> FetchResult:
        """The page at `url` as its scripts left it (challenge passed on the way), as an HTML FetchResult.

        An answer that is no HTML page (a PDF, JSON) is returned as fetched: there is nothing to render.
        """
        async with self._tab() as page:
            loaded = await self._until_answered(page, url)
            file = self.files.pop(loaded.response.url, None)
            if file is not None:
                return replace(file, url=url)
            await _settle(page)
            html = (await page.content()).encode("utf-8")
            headers = {k.lower(): v for k, v in (await loaded.response.all_headers()).items()}
        headers["content-type"] = "text/html; charset=utf-8"  # page.content() is the DOM, serialised as UTF-8
        cap = self.fetcher.policy.max_bytes
        result = FetchResult(
            url=url,
            final_url=self.landed.pop(loaded.response.url, loaded.response.url),
            status=loaded.response.status,
            headers=headers,
            body=html[:cap],
            received=loaded.body,
        )
        if len(html) > cap:
            return replace(
                result, truncated=True, error=f"rendered page larger than {cap} bytes: cut", error_kind="too_large"
            )
        return result

    async def close(self) -> None:
        """Close Chromium and its driver, and remove the profile."""
        context, playwright, self._context, self._playwright = self._context, self._playwright, None, None
        try:
            if context is not None:
                await context.close()
        finally:
            if playwright is not None:
                await playwright.stop()
            if self.profile:
                shutil.rmtree(self.profile, ignore_errors=True)

    def _tab(self) -> _Tab:
        return _Tab(self)

    async def _started(self) -> BrowserContext:
        async with self._launch_lock:
            if self._failure:
                raise BrowserUnavailable(self._failure)
            if self._context is None:
                try:
                    self._context = await self._launch()
                except BrowserUnavailable as exc:
                    self._failure = str(exc)  # said once per source, not retried per page
                    raise
            return self._context

    async def _launch(self) -> BrowserContext:
        path = chromium_path()
        if path is None:
            raise BrowserUnavailable(MISSING)
        try:
            from playwright.async_api import async_playwright
        except ImportError as exc:
            raise BrowserUnavailable(f"{MISSING} (Playwright is not installed: make install)") from exc
        self.profile = tempfile.mkdtemp(prefix="policywatch-chromium-")
        self.launches += 1
        try:
            self._playwright = await async_playwright().start()
            context = await self._playwright.chromium.launch_persistent_context(
                self.profile,
                executable_path=path,
                headless=True,
                args=list(FLAGS),
                user_agent=BROWSER_USER_AGENT,
                service_workers="block",  # a service worker's requests would escape the route below
                accept_downloads=False,
                locale="zh-CN",
            )
        except Exception as exc:  # Playwright's own Error, or its driver missing or failing to start
            await self.close()
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BrowserUnavailable(f"fetch: browser could not start chromium ({path}): {first}") from exc
        context.set_default_timeout(self.wait_seconds * 1000)  # our bound, not Playwright's 30 s
        await context.route("**/*", self._route)
        await context.route_web_socket("**/*", _refuse_socket)
        return context

    async def _route(self, route: Route) -> None:
        """Every request of every page: refused, or made by the run's Fetcher and handed back."""
        try:
            async with asyncio.timeout(self.wait_seconds):  # never holds a request of the page past our bound
                await self._answer_route(route)
        except Exception as exc:  # a handler that raises would leave the page waiting: the request fails instead
            self.refused[route.request.url] = f"{type(exc).__name__}: {exc}"
            with suppress(Exception):
                await route.abort("failed")

    async def _answer_route(self, route: Route) -> None:
        request = route.request
        refused = await self.fetcher.admit(request.url)
        if refused is not None or request.resource_type in BLOCKED_RESOURCES:
            if refused is not None and _main_document(request):  # kept for the page's error line only
                self.refused[request.url] = refused.error or "refused"
            await route.abort("blockedbyclient")
            return
        form = _form(request)
        if request.method not in ("GET", "POST") or (request.method == "POST" and form is None):
            async with self.fetcher.gate_for(request.url):
                await route.continue_()
            return
        result = await self.fetcher.get(
            request.url, headers=_forwarded(await request.all_headers()), form=form, error_body=True
        )
        if result.status is None or result.status in REDIRECT_STATUSES:  # no answer, or a redirect it refused
            if _main_document(request):
                self.refused[request.url] = result.error or "no answer"
            await route.abort("failed")
            return
        if _main_document(request) and result.ok and not _renders(result):
            # A file (PDF, JSON…): Chromium would download it or show a viewer. The page gets an empty text
            # answer (its cookies still set), and the file is taken as the Fetcher received it.
            self.files[request.url] = result
            headers = _replayed(result.headers) | {"content-type": "text/plain; charset=utf-8"}
            headers.pop("content-disposition", None)
            await route.fulfill(status=result.status, headers=headers, body=b"")
            return
        if _main_document(request) and result.final_url != request.url:
            self.landed[request.url] = result.final_url  # the base of the rendered page's links
        # Never a redirect status handed back: Chromium follows a fulfilled redirect without this route.
        await route.fulfill(status=result.status, headers=_replayed(result.headers), body=result.body or b"")

    async def _until_answered(self, page: Page, url: str) -> Loaded:
        """Navigate and wait for the main frame's first answer that is not a challenge (reloads included)."""
        from playwright.async_api import Error

        answers: asyncio.Queue[Response] = asyncio.Queue()
        page.on("response", lambda r: answers.put_nowait(r) if _is_document(r, page) else None)
        navigation = asyncio.ensure_future(page.goto(url, wait_until="commit"))
        try:
            async with asyncio.timeout(self.wait_seconds):
                for _ in range(MAX_RELOADS):
                    loaded = await _answer(await _next_document(answers, navigation))
                    if loaded is not None:
                        return loaded
            raise FetchError(f"{url}: still a JavaScript challenge after {MAX_RELOADS} reloads in the browser")
        except TimeoutError:
            raise FetchError(f"{url}: no answer but a JavaScript challenge within {self.wait_seconds:g} s") from None
        except Error as exc:
            why = self.refused.pop(url, None) or str(exc).splitlines()[0]
            raise FetchError(f"{url}: the browser could not load it: {why}") from exc
        finally:
            if not navigation.done():
                navigation.cancel()


class _Tab:
    """A page of the run's browser, at most PAGES_AT_ONCE open, closed after use."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.page: Page | None = None

    async def __aenter__(self) -> Page:
        await self.browser._tabs.acquire()
        try:
            context = await self.browser._started()
            self.page = await context.new_page()
        except BaseException:
            self.browser._tabs.release()
            raise
        return self.page

    async def __aexit__(self, *exc: object) -> None:
        try:
            if self.page is not None:
                # A page that will not close (a request of it still held) goes with the browser at the run's end.
                with suppress(Exception):
                    await asyncio.wait_for(self.page.close(), CLOSE_SECONDS)
        finally:
            self.browser._tabs.release()


async def _next_document(answers: asyncio.Queue[Response], navigation: asyncio.Future[Any]) -> Response:
    """The main frame's next answer; the navigation's own error if it failed before giving one."""
    getter = asyncio.ensure_future(answers.get())
    try:
        await asyncio.wait({getter, navigation}, return_when=asyncio.FIRST_COMPLETED)
        if not getter.done():
            navigation.result()  # raises why the page could not be loaded; else its answer is still coming
            return await getter
        return getter.result()
    finally:
        if not getter.done():
            getter.cancel()


def _renders(result: FetchResult) -> bool:
    """An answer Chromium shows as a page (HTML, or none said), rather than downloading it."""
    media = (result.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    return media in RENDERED_MEDIA or challenge_reason(result.status, media, result.body) is not None


def _main_document(request: Request) -> bool:
    """A navigation of a tab itself (not of a frame in it): what `render` and `pass_challenge` wait for."""
    return request.is_navigation_request() and request.frame.parent_frame is None


def _is_document(response: Response, page: Page) -> bool:
    return response.request.is_navigation_request() and response.frame == page.main_frame


async def _answer(response: Response) -> Loaded | None:
    """The answer if it is the page; None for a challenge (or an answer gone stale); FetchError for an error."""
    from playwright.async_api import Error

    try:
        body = await response.body()
    except Error:  # the page navigated on (the challenge reloaded) before its body could be read
        return None
    if challenge_reason(response.status, response.headers.get("content-type"), body):
        return None
    if not 200 <= response.status < 300:  # not a challenge, and no page: waiting would not change it
        raise FetchError(f"{response.url}: HTTP {response.status}")
    return Loaded(response, body)


async def _settle(page: Page) -> None:
    """Let the page's scripts finish: the load event, then quiet on the network, within SETTLE_SECONDS."""
    from playwright.async_api import Error

    try:
        await page.wait_for_load_state("load")
        await page.wait_for_load_state("networkidle", timeout=SETTLE_SECONDS * 1000)
    except Error:
        pass  # a page that never goes quiet is read as it stands


async def _refuse_socket(socket: Any) -> None:
    """WebSockets are never connected: not handed to a server, so they stay unanswered."""


def _form(request: Request) -> dict[str, str] | None:
    """A POST's urlencoded form, for the Fetcher to send again; None for anything else."""
    if request.method != "POST":
        return None
    kind = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return None
    return dict(parse_qsl(request.post_data or "", keep_blank_values=True))


def _forwarded(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in _NOT_FORWARDED and not k.startswith(":")}


def _replayed(headers: Mapping[str, str]) -> dict[str, str]:
    kept = {k: v for k, v in headers.items() if k.lower() not in _NOT_REPLAYED}
    if "set-cookie" in kept:  # httpx joined them with ", "; Playwright takes one cookie a line
        kept["set-cookie"] = "\n".join(_split_cookies(kept["set-cookie"]))
    return kept


def _split_cookies(joined: str) -> list[str]:
    """Set-Cookie values joined by ", ", split again (an Expires date's comma is not followed by `name=`)."""
    return _COOKIE_JOINT.split(joined)
