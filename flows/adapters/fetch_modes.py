"""How one source's pages are asked for (`fetch: plain | browser | render`), over the run's shared Fetcher.

plain: httpx alone; an answer that is a JavaScript challenge is a failure saying so, never an empty list.
browser: httpx first; on a challenge the run's browser passes it (once per origin, bounded per run), its
cookies go to httpx, and the request is made again. render: pages loaded in the browser and read after their
scripts ran (a form POST goes the browser way: a browser cannot be told to post it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Protocol
from urllib.parse import urlsplit

from flows.adapters.browser import MAX_PASSES, Browser
from flows.adapters.fetch import Fetcher, FetchResult
from flows.sources import BROWSER_USER_AGENT, Source
from parsers.challenge import challenge_reason
from parsers.errors import FetchError
from parsers.urls import origin

__all__ = ["PageGetter", "for_source"]


class PageGetter(Protocol):
    """What discovery and collection ask pages of."""

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        headers: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
    ) -> FetchResult:
        """One page, or why there is none."""
        ...


def for_source(source: Source, fetcher: Fetcher, browser: Browser | None) -> PageGetter:
    """The getter for this source's fetch mode (a run without a browser treats browser sources as plain)."""
    if source.fetch == "plain" or browser is None:
        return Plain(fetcher)
    return (Rendered if source.fetch == "render" else Challenged)(fetcher, browser)


class Plain:
    """httpx alone; a challenge answer is turned into a failure that names the cure."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        headers: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
    ) -> FetchResult:
        """One page over httpx."""
        result = await self.fetcher.get(url, etag=etag, last_modified=last_modified, headers=headers, form=form)
        reason = _challenge(result)
        if reason is None:
            return result
        why = f"{result.error or f'HTTP {result.status}'}: a JavaScript challenge ({reason}); set `fetch: browser`"
        return replace(result, error=why, error_kind="challenge")


class Challenged:
    """httpx with the cookies the browser earned; the browser again when a challenge comes back."""

    def __init__(self, fetcher: Fetcher, browser: Browser) -> None:
        self.fetcher = fetcher
        self.browser = browser

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        headers: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
    ) -> FetchResult:
        """One page over httpx, passing a challenge in the browser first if one answers."""
        sent = {"User-Agent": BROWSER_USER_AGENT, **(headers or {})}  # the cookie is presented as it was earned
        while True:
            passes = self.browser.passes[_key(url)]
            result = await self.fetcher.get(
                url, etag=etag, last_modified=last_modified, headers=sent, form=form, error_body=True
            )
            reason = _challenge(result)
            if reason is None:
                return result
            failure = await self._pass(url if form is None else _landing(url, sent), passes, reason)
            if failure:
                return replace(result, error=failure, error_kind="challenge")

    async def _pass(self, url: str, seen: int, reason: str) -> str | None:
        """Pass the challenge unless another request did meanwhile; why not, when it cannot be passed."""
        key = _key(url)
        async with self.browser.lock(url):
            if self.browser.unavailable:
                return self.browser.unavailable  # no Chromium this run: said as it is, for every page
            if self.browser.passes[key] != seen:
                return None  # passed while this request waited: its cookies are in the client now
            if seen >= MAX_PASSES:
                return f"JavaScript challenge ({reason}) still answered after {seen} browser passes this run"
            try:
                self.fetcher.add_cookies(await self.browser.pass_challenge(url))
            except FetchError as exc:
                return str(exc)
            return None


class Rendered(Challenged):
    """Pages loaded in the browser and read as their scripts left them."""

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        headers: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
    ) -> FetchResult:
        """The rendered page (a conditional GET is not made: the browser's cache is empty each run)."""
        if form is not None:
            return await super().get(url, headers=headers, form=form)
        refused = await self.fetcher.admit(url)
        if refused is not None:
            return refused
        try:
            return await self.browser.render(url)
        except FetchError as exc:
            return FetchResult(url=url, final_url=url, error=str(exc), error_kind="browser")


def _challenge(result: FetchResult) -> str | None:
    return challenge_reason(result.status, result.headers.get("content-type"), result.body)


def _key(url: str) -> str:
    return origin(url) or url


def _landing(url: str, headers: Mapping[str, str]) -> str:
    """Where a browser can meet the challenge a form POST met: the Referer the source names, else the origin."""
    referer = next((v for k, v in headers.items() if k.lower() == "referer"), None)
    if referer and origin(referer) == origin(url):
        return referer
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"
