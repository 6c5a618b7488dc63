"""Fetch limits from the registry and settings: which hosts, how hard, and who we say we are."""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version

from flows.adapters.fetch import FetchPolicy, HostPolicy, parse_resolve
from flows.settings import Settings
from flows.sources import Source

DEFAULT_CONCURRENCY = 2
DEFAULT_DELAY_SECONDS = 1.0
DEFAULT_MAX_BYTES = 20_000_000


def user_agent(settings: Settings) -> str:
    """A User-Agent naming the project and how to reach its operator."""
    try:
        release = version("policywatch")
    except PackageNotFoundError:
        release = "dev"
    return f"PolicyWatch/{release} (biotech policy monitor; +{settings.contact})"


def contact_address(settings: Settings) -> str:
    """Our contact as the From header wants it (an address, not a mailto: URL)."""
    return settings.contact.removeprefix("mailto:")


def allowed_hosts(sources: list[Source]) -> set[str]:
    """Origins (scheme, host, port) of configured web sources and of the hosts they declare: nothing else is fetched."""
    return {named for s in sources for named in s.scope}


def host_policies(sources: list[Source]) -> dict[str, HostPolicy]:
    """Per host, the strictest limits any of its sources asks for."""
    policies: dict[str, HostPolicy] = {}
    for source in sources:
        wanted = HostPolicy(
            concurrency=int(source.options.get("concurrency", DEFAULT_CONCURRENCY)),
            delay_seconds=float(source.options.get("delay_seconds", DEFAULT_DELAY_SECONDS)),
        )
        for host in {entry.partition(":")[0] for entry in source.hosts}:  # a gate per host name, whatever the port
            current = policies.get(host, wanted)
            policies[host] = HostPolicy(
                concurrency=min(current.concurrency, wanted.concurrency),
                delay_seconds=max(current.delay_seconds, wanted.delay_seconds),
            )
    return policies


def fetch_policy(settings: Settings, sources: list[Source]) -> FetchPolicy:
    """Time and size bounds of this run (the largest any source asks for), who we are, and any replay mapping.

    The deadline per URL and the caps on Retry-After and Crawl-delay come from the settings (POLICYWATCH_*).

    `POLICYWATCH_RESOLVE` ("www.ndrc.gov.cn=127.0.0.1:8000,…") sends a host's requests to a local server,
    like curl's --resolve: a testing and debugging aid for replaying saved sites.
    """
    timeouts = [float(s.options["timeout_seconds"]) for s in sources if "timeout_seconds" in s.options]
    sizes = [int(s.options["max_bytes"]) for s in sources if "max_bytes" in s.options]
    return FetchPolicy(
        user_agent=user_agent(settings),
        contact=contact_address(settings),
        timeout_seconds=max(timeouts, default=30.0),
        max_bytes=max(sizes, default=DEFAULT_MAX_BYTES),
        resolve=parse_resolve(os.environ.get("POLICYWATCH_RESOLVE", "")),
        deadline_seconds=settings.fetch_deadline_seconds,
        retry_after_max_seconds=settings.retry_after_max_seconds,
        crawl_delay_max_seconds=settings.crawl_delay_max_seconds,
    )
