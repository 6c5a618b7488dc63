"""Per-host politeness: concurrent requests, the gap between request starts, and pauses a host asks for."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class HostPolicy:
    """How hard one host may be asked: concurrent requests and the gap between request starts."""

    concurrency: int = 2
    delay_seconds: float = 1.0


class HostGate:
    """Every request to one host starts through here: at most `concurrency` at once, `delay` apart, none paused.

    One gate per host name, whatever the port or scheme: politeness is owed to the machine. A 429 or 503
    pauses the whole gate (`pause`); robots.txt's Crawl-delay widens its gap (`slow_to`).
    """

    def __init__(self, policy: HostPolicy) -> None:
        self.semaphore = asyncio.Semaphore(max(1, policy.concurrency))
        self.lock = asyncio.Lock()
        self.delay = policy.delay_seconds
        self.next_start = 0.0
        self.paused_until = 0.0

    def pause(self, seconds: float) -> None:
        """No request starts for `seconds` from now (a pause already longer stands)."""
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)

    def slow_to(self, delay: float) -> None:
        """At least `delay` seconds between request starts from now on."""
        self.delay = max(self.delay, delay)

    async def __aenter__(self) -> None:
        await self.semaphore.acquire()
        try:
            async with self.lock:
                # Checked again after every sleep: a pause may have come in while this request waited.
                while (wait := max(self.next_start, self.paused_until) - time.monotonic()) > 0:
                    await asyncio.sleep(wait)
                self.next_start = time.monotonic() + self.delay
        except BaseException:
            self.semaphore.release()
            raise

    async def __aexit__(self, *exc: object) -> None:
        self.semaphore.release()
