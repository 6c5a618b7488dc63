"""Pure functions from raw page bytes to structured, classified, fingerprinted records (no I/O).

Importing the package, an error type or a record loads no lxml, numpy or jieba: the parser itself
(`parse_document`) is loaded on first use. Callers import anything else from its own module.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from parsers.errors import ConfigError, FetchError, LoadError, ParseError, PolicyWatchError
from parsers.options import SourceDefaults, page_options
from parsers.records import (
    Attachment,
    Classification,
    Extraction,
    ExtractionStatus,
    ParsedDocument,
    ParseOptions,
    TopicLabel,
)

if TYPE_CHECKING:
    from parsers.parse import parse_document

__all__ = [
    "Attachment",
    "Classification",
    "ConfigError",
    "Extraction",
    "ExtractionStatus",
    "FetchError",
    "LoadError",
    "ParseError",
    "ParseOptions",
    "ParsedDocument",
    "PolicyWatchError",
    "SourceDefaults",
    "TopicLabel",
    "page_options",
    "parse_document",
]

# Names whose modules are heavy (lxml, numpy, jieba): imported when first asked for.
_LAZY = {"parse_document": "parsers.parse"}


def __getattr__(name: str) -> Any:
    """Load a heavy export on first use (PEP 562)."""
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'parsers' has no attribute {name!r}")
