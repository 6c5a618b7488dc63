"""The `files` source kind: documents in a local folder, with an optional manifest of known facts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from flows.sources import Source
from parsers.errors import ConfigError, FetchError

# What a folder source picks up: pages, and every file format the attachment readers take (parsers/attachments:
# the bytes decide how a file is read; the suffix only says it is worth reading).
PAGE_SUFFIXES = (".txt", ".html", ".htm", ".shtml", ".xml")
FILE_SUFFIXES = (".pdf", ".doc", ".docx", ".wps", ".ofd", ".xls", ".xlsx", ".rtf")
DOCUMENT_SUFFIXES = PAGE_SUFFIXES + FILE_SUFFIXES


@dataclass(frozen=True, slots=True)
class FileItem:
    """One file found in a `files` source."""

    path: Path
    url: str  # file:// URL: the page's identity in the warehouse


def discover(source: Source) -> list[FileItem]:
    """The files a source names: a folder (its documents) or a glob, relative to the registry."""
    target = Path(source.url).expanduser()
    if not target.is_absolute():
        target = source.base_dir / target
    # Links are listed even when dangling: reading them then fails with a message, never silently.
    if target.is_dir():
        paths = [p for p in target.iterdir() if _is_document(p) and p.suffix.lower() in DOCUMENT_SUFFIXES]
    else:
        paths = [p for p in target.parent.glob(target.name) if _is_document(p)]
        if not paths and not target.parent.is_dir():
            raise FetchError(f"folder {target.parent} does not exist")
    return [FileItem(p, p.absolute().as_uri()) for p in sorted(paths)]


def _is_document(path: Path) -> bool:
    return path.is_symlink() or path.is_file()


def read(item: FileItem) -> bytes:
    """The bytes of one file, or a FetchError saying why not."""
    try:
        return item.path.read_bytes()
    except OSError as exc:
        raise FetchError(f"cannot read {item.path.name}: {exc.strerror or exc}") from exc


def load_manifest(source: Source) -> dict[str, dict[str, Any]]:
    """The manifest's entries by file name (empty when the source has none)."""
    if not source.manifest:
        return {}
    path = source.base_dir / source.manifest
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError, ValueError) as exc:  # ValueError: YAML reading 2025-13-40 as a date
        raise ConfigError(f"source {source.name}: cannot read manifest {path}: {exc}") from exc
    documents = data.get("documents") or {}
    if not isinstance(documents, dict):
        raise ConfigError(f"source {source.name}: manifest {path} needs a `documents:` mapping")
    return documents
