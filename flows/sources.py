"""The source registry (`sources.yaml`): read, validated, and turned into Source records."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from parsers.errors import ConfigError
from parsers.urls import named_origins

KINDS = ("html-list", "rss", "sitemap", "json-api", "files")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# An allowed_hosts entry: a host name (its default ports), or host:port (that port only).
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$")
# `verified: 2026-12-02 (tests/fixtures/real/…)`: the day a saved page proved the entry, and which page.
_VERIFIED = re.compile(r"^(\d{4}-\d{2}-\d{2})(\s+\(.+\))?$")
# Some sites answer a browser and refuse other clients: `headers: browser` (or `User-Agent: browser`)
# sends this User-Agent. Our contact still goes in the From header of every request (flows/adapters/fetch.py).
BROWSER_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)
_CORE = (
    "name",
    "title",
    "kind",
    "url",
    "link_selector",
    "next_selector",
    "max_pages",
    "encoding",
    "issuer",
    "region",
    "enabled",
    "manifest",
    "verified",
    "exclude_selector",
    "allowed_hosts",
)
_REQUIRED = ("name", "kind", "url")  # every other key has a default
_KNOWN_KEYS = {
    *_CORE,
    "page_url_pattern",
    "concurrency",
    "delay_seconds",
    "timeout_seconds",
    "max_bytes",
    "api",
    "fields",
    "headers",
    "params",
    "items_path",
    "page_param",
    "columns",
    "method",
    "detail_json",
    "fetch",
}
# `fetch:` how a source's pages are asked for. plain: httpx alone. browser: httpx, and when an answer is a
# JavaScript challenge (parsers/challenge.py) headless Chromium passes it once and hands its cookies to httpx.
# render: every list and page loaded in Chromium and read after its scripts ran. `http` is the contract's
# name for plain (shared/docs/interfaces.md).
FETCH_MODES = ("plain", "browser", "render")
_FETCH_ALIASES = {"http": "plain"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """One configured source."""

    name: str
    title: str
    kind: str
    url: str
    base_dir: Path  # folder of the registry file: relative `files` paths resolve against it
    link_selector: str | None = None
    next_selector: str | None = None
    max_pages: int = 1
    encoding: str | None = None
    issuer: str | None = None
    region: str | None = None
    enabled: bool = True
    manifest: str | None = None
    verified: str = "no"  # "YYYY-MM-DD (evidence)" or "no"
    exclude_selector: str | None = None  # html-list: links inside these are not articles
    allowed_hosts: tuple[str, ...] = ()  # extra hosts its documents or attachments live on
    options: dict[str, Any] = field(default_factory=dict)  # the kind-specific rest (headers always a dict)

    @property
    def host(self) -> str | None:
        """The host fetched for a web source (None for files)."""
        return None if self.kind == "files" else urlsplit(self.url).hostname

    @property
    def hosts(self) -> tuple[str, ...]:
        """Every host this source's lists, documents and attachments may be fetched from."""
        return (self.host, *self.allowed_hosts) if self.host else ()

    @property
    def scope(self) -> frozenset[str]:
        """Every origin (scheme, host, port) this source may fetch: its URL's and its allowed_hosts'."""
        if self.kind == "files":
            return frozenset()
        return frozenset().union(*(named_origins(entry) for entry in (self.url, *self.allowed_hosts)))

    @property
    def fetch(self) -> str:
        """plain, browser or render (see FETCH_MODES)."""
        return str(self.options.get("fetch", "plain"))

    @property
    def headers(self) -> dict[str, str]:
        """Extra request headers of this source."""
        return dict(self.options.get("headers") or {})


def load_sources(path: Path) -> list[Source]:
    """Read and validate a registry file; any problem is a ConfigError naming the source."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read source registry {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"source registry {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise ConfigError(f"{path}: expected a top-level `sources:` list")
    sources = [_source(entry, i, path.parent) for i, entry in enumerate(data["sources"], 1)]
    _check_unique(sources, path)
    return sources


def find_source(sources: list[Source], name: str) -> Source:
    """The source called `name`; a ConfigError naming the closest names when there is none."""
    for source in sources:
        if source.name == name:
            return source
    close = difflib.get_close_matches(name, [s.name for s in sources], n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise ConfigError(f"no source named {name!r} in the registry{hint}")


def _source(entry: Any, position: int, base_dir: Path) -> Source:
    if not isinstance(entry, dict):
        raise ConfigError(f"source #{position}: expected a mapping")
    name = str(entry.get("name") or "")
    where = f"source {name if _NAME.match(name) else '#' + str(position)}"
    # unknown keys first: a typo'd `nme:` or `kindd:` is named as the typo, not as the key it hides
    _check_keys(entry, where)
    for key in _REQUIRED:
        if entry.get(key) in (None, ""):
            raise ConfigError(f"{where}: {key} is required")
    if not _NAME.match(name):
        raise ConfigError(f"{where}: name must be lower-case letters, digits and dashes, not {name!r}")
    kind = entry.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"{where}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if kind != "files" and urlsplit(str(entry["url"])).scheme not in ("http", "https"):
        raise ConfigError(f"{where}: url must be http(s) for kind {kind}")
    max_pages = entry.get("max_pages", 1)
    if not isinstance(max_pages, int) or max_pages < 1:
        raise ConfigError(f"{where}: max_pages must be a positive whole number")
    options = {k: v for k, v in entry.items() if k not in _CORE}
    for key, check in _OPTION_CHECKS.items():
        if key in options:
            options[key] = check(options[key], f"{where}: {key}")
    if kind == "files" and options.get("fetch", "plain") != "plain":
        raise ConfigError(f"{where}: fetch: {options['fetch']} is for web sources, not kind files")
    return Source(
        name=name,
        title=str(entry.get("title") or name),
        kind=kind,
        url=str(entry["url"]),
        base_dir=base_dir,
        link_selector=entry.get("link_selector"),
        next_selector=entry.get("next_selector"),
        max_pages=max_pages,
        encoding=entry.get("encoding"),
        issuer=entry.get("issuer"),
        region=entry.get("region"),
        enabled=bool(entry.get("enabled", True)),
        manifest=entry.get("manifest"),
        verified=_verified(entry.get("verified"), where),
        exclude_selector=_text(entry, "exclude_selector", where),
        allowed_hosts=_hosts(entry.get("allowed_hosts"), where),
        options=options,
    )


def _check_keys(entry: dict[str, Any], where: str) -> None:
    """Unknown keys are named, with the known key each was probably meant to be."""
    unknown = sorted(set(map(str, entry)) - _KNOWN_KEYS)
    if not unknown:
        return
    named = []
    for key in unknown:
        close = difflib.get_close_matches(key, sorted(_KNOWN_KEYS), n=1)
        named.append(f"{key} (did you mean {close[0]}?)" if close else key)
    raise ConfigError(f"{where}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(named)}")


def _verified(value: Any, where: str) -> str:
    if value in (None, False, "no"):  # YAML reads a bare `no` as false
        return "no"
    text = value.isoformat() if isinstance(value, date) else str(value).strip()
    match = _VERIFIED.match(text)
    try:
        if match is None:
            raise ValueError(text)
        date.fromisoformat(match[1])
    except ValueError:
        raise ConfigError(f"{where}: verified must be `YYYY-MM-DD (evidence)` or `no`, not {text!r}") from None
    return text


def _text(entry: dict[str, Any], key: str, where: str) -> str | None:
    value = entry.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{where}: {key} must be text")
    return value


def _hosts(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(h, str) and _HOST.match(h.lower()) for h in value):
        raise ConfigError(f"{where}: allowed_hosts must be a list of host names such as www.gov.cn (or host:port)")
    return tuple(h.lower() for h in value)


def _headers(value: Any, where: str) -> dict[str, str]:
    if value == "browser":
        value = {"User-Agent": "browser"}
    if not isinstance(value, Mapping) or not all(isinstance(v, str | int) for v in value.values()):
        raise ConfigError(f"{where} must be `browser` or a mapping of header names to values")
    headers = {str(k): str(v) for k, v in value.items()}
    if headers.get("User-Agent") == "browser":
        headers["User-Agent"] = BROWSER_USER_AGENT
    return headers


def _fetch_mode(value: Any, where: str) -> str:
    mode = _FETCH_ALIASES.get(str(value), str(value))
    if mode not in FETCH_MODES:
        close = difflib.get_close_matches(str(value), [*FETCH_MODES, *_FETCH_ALIASES], n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ConfigError(f"{where} must be one of {', '.join(FETCH_MODES)}, not {value!r}{hint}")
    return mode


def _paths(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise ConfigError(f"{where} must map our field names to dotted JSON paths")
    return {str(k): v for k, v in value.items()}


# Options whose shape the code relies on, checked and normalised at load.
_OPTION_CHECKS: dict[str, Callable[[Any, str], Any]] = {
    "headers": _headers,
    "fields": _paths,
    "detail_json": _paths,  # {html: data.docClob, title: …}: detail pages served as JSON (read by parsing)
    "fetch": _fetch_mode,
}


def _check_unique(sources: list[Source], path: Path) -> None:
    seen: set[str] = set()
    for source in sources:
        if source.name in seen:
            raise ConfigError(f"{path}: source name {source.name} appears twice")
        seen.add(source.name)
