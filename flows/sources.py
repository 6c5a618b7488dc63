"""The source registry (`sources.yaml`): read, validated, and turned into Source records."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from parsers.errors import ConfigError

KINDS = ("html-list", "rss", "sitemap", "json-api", "files")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_KNOWN_KEYS = {
    "name", "title", "kind", "url", "link_selector", "next_selector", "page_url_pattern", "max_pages",
    "encoding", "issuer", "region", "enabled", "manifest", "concurrency", "delay_seconds", "timeout_seconds",
    "max_bytes", "api", "fields", "headers", "params", "items_path", "page_param", "columns", "method",
}


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
    options: dict[str, Any] = field(default_factory=dict)  # the kind-specific rest

    @property
    def host(self) -> str | None:
        """The host fetched for a web source (None for files)."""
        return None if self.kind == "files" else urlsplit(self.url).hostname


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


def _source(entry: Any, position: int, base_dir: Path) -> Source:
    if not isinstance(entry, dict):
        raise ConfigError(f"source #{position}: expected a mapping")
    name = str(entry.get("name", ""))
    where = f"source {name or '#' + str(position)}"
    if not _NAME.match(name):
        raise ConfigError(f"{where}: name must be [a-z0-9-]")
    kind = entry.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"{where}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if not entry.get("url"):
        raise ConfigError(f"{where}: url is required")
    unknown = set(entry) - _KNOWN_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    if kind != "files" and urlsplit(str(entry["url"])).scheme not in ("http", "https"):
        raise ConfigError(f"{where}: url must be http(s) for kind {kind}")
    max_pages = entry.get("max_pages", 1)
    if not isinstance(max_pages, int) or max_pages < 1:
        raise ConfigError(f"{where}: max_pages must be a positive whole number")
    core = {"name", "title", "kind", "url", "link_selector", "next_selector", "max_pages", "encoding",
            "issuer", "region", "enabled", "manifest"}
    return Source(
        name=name, title=str(entry.get("title") or name), kind=kind, url=str(entry["url"]), base_dir=base_dir,
        link_selector=entry.get("link_selector"), next_selector=entry.get("next_selector"), max_pages=max_pages,
        encoding=entry.get("encoding"), issuer=entry.get("issuer"), region=entry.get("region"),
        enabled=bool(entry.get("enabled", True)), manifest=entry.get("manifest"),
        options={k: v for k, v in entry.items() if k not in core},
    )


def _check_unique(sources: list[Source], path: Path) -> None:
    seen: set[str] = set()
    for source in sources:
        if source.name in seen:
            raise ConfigError(f"{path}: source name {source.name} appears twice")
        seen.add(source.name)
