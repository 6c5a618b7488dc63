"""The raw page archive: every body kept, content-addressed and zstd-compressed, before parsing."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import zstandard

from parsers.errors import PolicyWatchError


class ArchiveError(PolicyWatchError):
    """A raw body could not be written to or read from the archive."""


def raw_path(root: Path, sha256: str) -> Path:
    """Where a body with this digest lives."""
    return root / sha256[:2] / f"{sha256}.zst"


def store(root: Path, data: bytes) -> str:
    """Keep a body (once per content) and return its sha256; atomic, so a crash leaves no half file."""
    digest = hashlib.sha256(data).hexdigest()
    target = raw_path(root, digest)
    if target.exists():
        return digest
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        compressed = zstandard.ZstdCompressor(level=9).compress(data)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(compressed)
        os.replace(tmp, target)
    except OSError as exc:
        raise ArchiveError(f"cannot archive {len(data)} bytes under {root}: {exc.strerror or exc}") from exc
    return digest


def load(root: Path, sha256: str) -> bytes:
    """A body from the archive, as it was fetched."""
    try:
        return zstandard.ZstdDecompressor().decompress(raw_path(root, sha256).read_bytes())
    except (OSError, zstandard.ZstdError) as exc:
        raise ArchiveError(f"raw body {sha256[:12]} is missing or damaged: {exc}") from exc
