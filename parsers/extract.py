"""The extraction entry point: page bytes to an Extraction record, never an exception."""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import unquote, urlsplit

from parsers.attachments import Format, binary_format, read_attachment
from parsers.attachments.title import split_title
from parsers.boilerplate import Cleaned, strip_boilerplate
from parsers.decode import Decoded, decode_bytes, looks_binary
from parsers.doctitle import remove_title
from parsers.htmlpage import read_html
from parsers.jsondetail import JsonDetail, looks_like_json, read_json_detail
from parsers.metadata import PageHints, read_metadata, resolve_title
from parsers.normalize import normalize_text
from parsers.records import Attachment, AttachmentStatus, Extraction, ExtractionStatus, ParseOptions

_HTML_SNIFF = re.compile(r"<(?:!doctype\s+html|html|head|body|title|meta)[\s>]", re.IGNORECASE)
# Fragments and pages wrapped by archivers start with other tags; a few common ones also say HTML.
_HTML_TAGS = re.compile(r"</?(?:div|p|table|td|tr|span|a|br|ul|li|font|h[1-6])[\s>/]", re.IGNORECASE)
_HTML_TAGS_MIN = 5
# A fragment served without <html> (SASAC's paginated pages, CMS includes): text that opens, after
# comments, with a block tag is markup however few tags it holds.
_FRAGMENT_START = re.compile(
    r"^\s*(?:<!--.*?-->\s*)*<(?:div|p|table|section|article|ul|ol|h[1-6]|span|font|center)[\s>/]",
    re.IGNORECASE | re.DOTALL,
)
_SNIFF_WINDOW = 4096
_REASON_MAX = 300
# An attachment's status as a page's: the shared values mean the same; a locked file is undecodable to
# us, and an archive (listed, not opened) holds no text of its own.
_AS_PAGE_STATUS = {
    AttachmentStatus.ENCRYPTED: ExtractionStatus.UNDECODABLE,
    AttachmentStatus.ARCHIVE: ExtractionStatus.EMPTY,
}


# More than 1 byte in 20 undecodable in the likeliest charset is no page to read: its text would be noise
# (no saved page of the real sites, fixtures or seeds has a single one).
_UNDECODABLE_SHARE = 20


def _rejected(status: ExtractionStatus, reason: str, decoded: Decoded | None = None) -> Extraction:
    return Extraction(
        status=status,
        reason=reason[:_REASON_MAX],
        encoding=decoded.encoding if decoded else None,
        bad_bytes=decoded.bad_bytes if decoded else 0,
    )


def _one_line(text: str | None) -> str | None:
    """A title as stored: normalised like the text, on one line."""
    folded = " ".join(normalize_text(text).split("\n")) if text else ""
    return folded or None


def is_html(text: str, content_type: str | None) -> bool:
    """True for markup: an HTML content type, <html>, <!doctype html> or <body> near the start, or a fragment."""
    head = text[:_SNIFF_WINDOW]
    if "html" in (content_type or "").lower() or _HTML_SNIFF.search(head) or _FRAGMENT_START.match(head):
        return True
    return len(_HTML_TAGS.findall(head)) >= _HTML_TAGS_MIN


def _document(
    body: str,
    options: ParseOptions,
    *,
    head: str = "",
    hints: PageHints | None = None,
    attachments: tuple[Attachment, ...] = (),
    decoded: Decoded | None = None,
    doubt: str | None = None,
    chrome: bool = True,
) -> Extraction:
    """Clean the text, find the title and the metadata, and assemble the record (low_confidence with a doubt).

    `head` is what the page prints above the body (info lines with dates and sources): metadata reads it too.
    A file's text (`chrome=False`) has no site around it: the page-chrome rules would cut its closing table.
    """
    hints = replace(hints or PageHints(), title=_one_line(hints.title if hints else None))
    options = replace(options, known_title=_one_line(options.known_title))
    normalized = normalize_text(body)
    cleaned = strip_boilerplate(normalized) if chrome else Cleaned(normalized)
    title = resolve_title(cleaned.text, hints=hints, options=options)
    text = remove_title(cleaned.text, title)
    if not text:
        return _rejected(ExtractionStatus.EMPTY, "no text left after removing the page chrome", decoded)
    raw = "\n".join(part for part in (normalize_text(head), normalized) if part)  # normalised once each
    meta = read_metadata(raw, text, title=title, hints=hints, options=options)
    return Extraction(
        status=ExtractionStatus.LOW_CONFIDENCE if doubt else ExtractionStatus.OK,
        reason=doubt[:_REASON_MAX] if doubt else None,
        title=meta.title,
        text=text,
        published_on=meta.published_on,
        signed_on=meta.signed_on,
        issuers=meta.issuers,
        doc_number=meta.doc_number,
        index_number=meta.index_number,
        doc_type=meta.doc_type,
        level=meta.level,
        regions=meta.regions,
        mentioned_regions=meta.mentioned_regions,
        original_source=meta.original_source,
        original_url=cleaned.original_url,
        attachments=attachments,
        encoding=decoded.encoding if decoded else None,
        bad_bytes=decoded.bad_bytes if decoded else 0,
    )


def file_name(url: str | None) -> str | None:
    """The last segment of a URL's path (a file name whose suffix may break a format tie), None without one."""
    name = unquote(urlsplit(url).path.rpartition("/")[2]) if url else ""
    return name or None


def _from_file(data: bytes, fmt: Format, options: ParseOptions) -> Extraction:
    """An attachment file (PDF, Word, WPS, spreadsheet, OFD, RTF, archive): its text read as a document's."""
    read = read_attachment(data, file_name(options.url), sniffed=fmt)
    if read.status is not AttachmentStatus.OK:
        status = _AS_PAGE_STATUS.get(read.status) or ExtractionStatus(read.status.value)
        return _rejected(status, read.reason or f"no text in the {fmt.value.upper()} file")
    if options.known_title:
        return _document(read.text, options, chrome=False)
    title, body = split_title(read.text)
    return _document(body, options, hints=PageHints(title=title), chrome=False)


def _doubt(reason: str) -> str:
    """The one-line reason of a low_confidence document: what the extractor doubted, and what to check."""
    return f"kept as reached from an article link, but {reason}: check the page, or the source's link selector"


def _from_html(markup: str, options: ParseOptions, decoded: Decoded, record: JsonDetail | None = None) -> Extraction:
    # A page reached as an article link, or a detail API's record, is a document even when it reads as none.
    page = read_html(markup, base_url=options.url, lenient=options.article_link or record is not None)
    if page.not_article and not page.text:
        return _rejected(ExtractionStatus.NOT_ARTICLE, page.not_article, decoded)
    hints = _with_record(page.hints, record) if record else page.hints
    doubt = _doubt(page.not_article) if page.not_article else None
    return _document(
        page.text, options, head=page.head_text, hints=hints, attachments=page.attachments, decoded=decoded, doubt=doubt
    )


def _with_record(hints: PageHints, record: JsonDetail) -> PageHints:
    """A page's hints with a JSON record's fields put first: the API states them, the markup only shows them."""
    stated = {
        "doc_number": record.doc_number,
        "index_number": record.index_number,
        "signed_on": record.signed_on,
        "issuers": record.issuer,
        "source": record.source,
    }
    fields = {**dict(hints.fields), **{name: value for name, value in stated.items() if value}}
    return replace(
        hints,
        title=record.title or hints.title,
        published=record.published_on or hints.published,
        source=record.source or hints.source,
        fields=tuple(fields.items()),
    )


def _from_json(decoded: Decoded, options: ParseOptions) -> Extraction | None:
    """A JSON detail record: its body read as a page, its stated fields first; None when it is no JSON."""
    record = read_json_detail(decoded.text, options.detail_json)
    if record is None:
        return None
    if not record.body:
        return _rejected(
            ExtractionStatus.EMPTY, "a JSON record without a body field (see the source's detail_json)", decoded
        )
    if record.body_is_html:
        return _from_html(record.body, options, decoded, record)
    hints = _with_record(PageHints(), record)
    return _document(record.body, options, hints=hints, decoded=decoded)


def _extract(data: bytes, options: ParseOptions) -> Extraction:
    if not data.strip():
        return _rejected(ExtractionStatus.EMPTY, "no bytes" if not data else "only whitespace")
    if len(data) > options.max_bytes:
        return _rejected(ExtractionStatus.TOO_LARGE, f"{len(data)} bytes, over max_bytes={options.max_bytes}")
    if fmt := binary_format(data, file_name(options.url)):  # first bytes only: pages pay next to nothing
        return _from_file(data, fmt, options)
    if looks_binary(data):
        return _rejected(ExtractionStatus.UNDECODABLE, "binary data, not text in any charset")
    decoded = decode_bytes(data, content_type=options.content_type, forced=options.encoding)
    if decoded.bad_bytes * _UNDECODABLE_SHARE > len(data):
        return _rejected(
            ExtractionStatus.UNDECODABLE,
            f"{decoded.bad_bytes} of {len(data)} bytes are not text in {decoded.encoding}, the likeliest charset: "
            "an unknown or mixed charset, or not text (the raw bytes are kept)",
            decoded,
        )
    if "\x00" in decoded.text:  # a stray NUL (looks_binary let a few through) is no character of the page
        decoded = replace(decoded, text=decoded.text.replace("\x00", ""))
    if looks_like_json(decoded.text, options.content_type) and (record := _from_json(decoded, options)):
        return record
    if is_html(decoded.text, options.content_type):
        return _from_html(decoded.text, options, decoded)
    return _document(decoded.text, options, decoded=decoded)


def extract(data: bytes, options: ParseOptions) -> Extraction:
    """Turn page bytes (HTML in any charset, plain text, or an attachment file) into clean text and metadata."""
    try:
        return _extract(data, options)
    except Exception as exc:  # the contract: a bad page is a record with a reason, never an exception
        return _rejected(ExtractionStatus.UNDECODABLE, f"extraction failed: {type(exc).__name__}: {exc}")
