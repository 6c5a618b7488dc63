"""The frozen records that flow out of `parsers/`: options in, documents out."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class ExtractionStatus(StrEnum):
    """Why a page did or did not yield a document."""

    OK = "ok"
    EMPTY = "empty"
    NOT_ARTICLE = "not_article"
    TOO_LARGE = "too_large"
    UNDECODABLE = "undecodable"
    # A page reached as an article link that the extractor would have rejected (a list-like or short page):
    # kept as a document with its best text, and a reason a person can check.
    LOW_CONFIDENCE = "low_confidence"


# Statuses that make a document: the page's text is loaded, whatever the extractor thought of it.
DOCUMENT_STATUSES = frozenset({ExtractionStatus.OK, ExtractionStatus.LOW_CONFIDENCE})


@dataclass(frozen=True, slots=True, kw_only=True)
class ParseOptions:
    """What the caller knows about a page that its bytes may not say."""

    url: str | None = None
    source_name: str | None = None
    content_type: str | None = None  # the HTTP Content-Type header, if fetched
    encoding: str | None = None  # force a charset (a source whose server lies)
    default_issuer: str | None = None  # the source's issuer, used when the page names none
    default_region: str | None = None
    reference_date: date | None = None  # fetch date: gives the year to "6月19日电" when the text does not
    max_bytes: int = 20_000_000
    # Facts known from outside the text (seeds/manifest.yaml); they win over extraction.
    known_title: str | None = None
    known_published_on: date | None = None
    known_issuers: tuple[str, ...] = ()
    known_doc_number: str | None = None
    # The page was reached as an article link of a source (a list item, a feed entry, a file of a `files`
    # source): it is meant to be a document, so a page the extractor doubts is kept, low_confidence.
    article_link: bool = False
    # A JSON detail API's fields as (field, dotted path) pairs, e.g. ("html", "data.docClob"): see
    # parsers.jsondetail.FIELDS. Empty: a JSON body is read by the generic guess.
    detail_json: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    """A file linked from a page (name as shown, absolute URL)."""

    name: str
    url: str


class AttachmentFormat(StrEnum):
    """What an attachment's bytes are, told by their magic bytes (the file name only breaks a tie)."""

    PDF = "pdf"
    DOC = "doc"  # OLE2 Word 97-2003 binary
    WPS = "wps"  # Kingsoft WPS: a Word-compatible OLE2 file, told from a .doc only by its name
    XLS = "xls"
    DOCX = "docx"
    XLSX = "xlsx"
    OFD = "ofd"  # GB/T 33190 fixed-layout document: a zip of XML
    OLE = "ole"  # another OLE2 file: an encrypted Office file, a PowerPoint, a mail…
    ZIP = "zip"
    RAR = "rar"
    SEVEN_ZIP = "7z"
    RTF = "rtf"
    HTML = "html"
    TEXT = "text"
    EMPTY = "empty"
    UNKNOWN = "unknown"


class AttachmentStatus(StrEnum):
    """Whether an attachment's text was read; the values shared with ExtractionStatus mean the same."""

    OK = "ok"
    EMPTY = "empty"  # no bytes, or a file without text (a scanned PDF)
    TOO_LARGE = "too_large"  # a size limit was reached (a zip bomb, a huge stream)
    UNDECODABLE = "undecodable"  # corrupt or truncated, or a format read by no reader
    ENCRYPTED = "encrypted"  # locked with a password we do not have
    ARCHIVE = "archive"  # a ZIP, RAR or 7z: listed, not opened


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchiveMember:
    """A file inside an archive, as its directory states it (never inflated)."""

    name: str
    size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AttachmentText:
    """The text of one attachment file, or the reason there is none."""

    format: AttachmentFormat
    media_type: str
    status: AttachmentStatus
    text: str = ""
    reason: str | None = None  # why the status is not ok, in one line
    pages: int | None = None  # when the format knows pages (PDF, OFD)
    members: tuple[ArchiveMember, ...] = ()  # of an archive

    @property
    def ok(self) -> bool:
        """True when text was read."""
        return self.status is AttachmentStatus.OK


@dataclass(frozen=True, slots=True, kw_only=True)
class Extraction:
    """Clean text and metadata of one page, before classification."""

    status: ExtractionStatus
    reason: str | None = None  # why the status is not ok, in one line
    title: str | None = None
    text: str = ""
    published_on: date | None = None
    signed_on: date | None = None  # 成文日期
    issuers: tuple[str, ...] = ()
    doc_number: str | None = None  # 发文字号
    index_number: str | None = None  # 索引号
    doc_type: str | None = None
    level: str | None = None  # central / provincial / municipal
    regions: tuple[str, ...] = ()  # issuing or target regions (parsers.metadata)
    mentioned_regions: tuple[str, ...] = ()  # the other regions the text names, in order of first mention
    original_source: str | None = None  # 来源: of a repost
    original_url: str | None = None  # 原文链接
    attachments: tuple[Attachment, ...] = ()
    encoding: str | None = None
    bad_bytes: int = 0  # bytes that could not be decoded and were replaced


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicLabel:
    """One label of the taxonomy given to a document, with the terms that earned it."""

    topic: str  # the taxonomy's Chinese name, e.g. 生物医药
    topic_id: str  # its stable id, e.g. biomedicine
    score: float
    evidence: tuple[str, ...] = ()
    facet: str = "industry"  # industry | instrument


@dataclass(frozen=True, slots=True, kw_only=True)
class Classification:
    """What the classifier says of a document."""

    topics: tuple[TopicLabel, ...] = ()
    instruments: tuple[TopicLabel, ...] = ()
    relevant: bool = False
    keywords: tuple[str, ...] = ()
    summary: str = ""
    taxonomy_version: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedDocument:
    """A page turned into a classified, fingerprinted document record."""

    url: str | None
    source_name: str | None
    extraction: Extraction
    classification: Classification = field(default_factory=Classification)
    content_hash: str = ""  # of the normalised text; equal for a traditional and a simplified copy
    minhash: tuple[int, ...] = ()  # near-duplicate signature
    cited_titles: tuple[str, ...] = ()  # keys of the 《titles》 the text names (parsers.links)
    cited_numbers: tuple[str, ...] = ()  # keys of the 发文字号 the text names (parsers.links)

    @property
    def ok(self) -> bool:
        """True when the page yielded a document (also a low-confidence one)."""
        return self.extraction.status in DOCUMENT_STATUSES

    def to_json(self) -> dict[str, Any]:
        """The `parse --json` record: the contract's fields first, then the extras."""
        ex, cl = self.extraction, self.classification
        return {
            "url": self.url,
            "title": ex.title,
            "published_on": ex.published_on.isoformat() if ex.published_on else None,
            "issuers": list(ex.issuers),
            "source_name": self.source_name,
            "doc_number": ex.doc_number,
            "regions": list(ex.regions),
            "doc_type": ex.doc_type,
            "text": ex.text,
            "topics": [_label_json(t) for t in cl.topics],
            "relevant": cl.relevant,
            "signed_on": ex.signed_on.isoformat() if ex.signed_on else None,
            "index_number": ex.index_number,
            "level": ex.level,
            "mentioned_regions": list(ex.mentioned_regions),
            "original_source": ex.original_source,
            "original_url": ex.original_url,
            "attachments": [asdict(a) for a in ex.attachments],
            "instruments": [_label_json(t) for t in cl.instruments],
            "keywords": list(cl.keywords),
            "summary": cl.summary,
            "extraction_status": ex.status.value,
            "reason": ex.reason,
            "encoding": ex.encoding,
            "bad_bytes": ex.bad_bytes,
            "content_hash": self.content_hash,
        }


def _label_json(label: TopicLabel) -> dict[str, Any]:
    return {
        "topic": label.topic,
        "topic_id": label.topic_id,
        "score": round(label.score, 4),
        "evidence": list(label.evidence),
    }
