"""Pure functions from raw page bytes to structured, classified, fingerprinted records (no I/O)."""

# The functions `extract`, `classify` and `fingerprint` are not re-exported: they would shadow their modules.
from parsers.classify import Taxonomy, TaxonomyError, default_taxonomy, load_taxonomy
from parsers.dedup import DedupIndex, Match, MatchKind
from parsers.errors import ConfigError, FetchError, LoadError, ParseError, PolicyWatchError
from parsers.fingerprint import content_hash, estimate_jaccard, minhash
from parsers.links import cited_titles, title_keys
from parsers.normalize import normalize_text
from parsers.parse import parse_document
from parsers.records import (
    Attachment,
    Classification,
    Extraction,
    ExtractionStatus,
    ParsedDocument,
    ParseOptions,
    TopicLabel,
)
from parsers.urls import canonical_url

__all__ = [
    "Attachment",
    "Classification",
    "ConfigError",
    "DedupIndex",
    "Extraction",
    "ExtractionStatus",
    "FetchError",
    "LoadError",
    "Match",
    "MatchKind",
    "ParseError",
    "ParseOptions",
    "ParsedDocument",
    "PolicyWatchError",
    "Taxonomy",
    "TaxonomyError",
    "TopicLabel",
    "canonical_url",
    "cited_titles",
    "content_hash",
    "default_taxonomy",
    "estimate_jaccard",
    "load_taxonomy",
    "minhash",
    "normalize_text",
    "parse_document",
    "title_keys",
]
