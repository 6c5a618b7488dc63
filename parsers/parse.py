"""The parser entry point: raw bytes to a classified, fingerprinted document."""

from __future__ import annotations

from parsers.classify import Taxonomy, classify, default_taxonomy
from parsers.extract import extract
from parsers.fingerprint import fingerprint
from parsers.links import cited_numbers, cited_titles
from parsers.records import ParsedDocument, ParseOptions


def parse_document(data: bytes, options: ParseOptions, *, taxonomy: Taxonomy | None = None) -> ParsedDocument:
    """Extract, classify and fingerprint one page; a rejected page comes back with its status."""
    extraction = extract(data, options)
    document = ParsedDocument(url=options.url, source_name=options.source_name, extraction=extraction)
    if not document.ok:
        return document
    text = extraction.text
    labels = classify(taxonomy or default_taxonomy(), title=extraction.title or "", text=text)
    digest, signature = fingerprint(text)  # the text folded once for both
    return ParsedDocument(
        url=options.url,
        source_name=options.source_name,
        extraction=extraction,
        classification=labels,
        content_hash=digest,
        minhash=signature,
        cited_titles=cited_titles(text),
        cited_numbers=cited_numbers(text),
    )
