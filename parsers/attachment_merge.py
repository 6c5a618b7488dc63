"""What a document's attachments change about it: decided here, from records, without I/O (issue 19).

A notice often carries its substance in a file: "现将《…行动计划》印发给你们，请认真贯彻执行" and the plan as
a PDF or DOCX. The nightly run fetches and reads those files (flows/tasks/attachments.py); this module
decides what follows from their text:

- `read_file`: a file's bytes as the warehouse keeps them (format, status, normalised text, fingerprint);
- `refusal`: why a link is not fetched at all (another host than its source's, not http);
- `merge`: the document's classification over its page and its attachments' text: every topic the page
  earns stays, the attachments add theirs, and an evidence term only an attachment holds is marked
  `附件:合成生物`; `relevant` follows; the summary comes from the main attachment when the page is only a
  cover ("现将…印发给你们");
- `same_document` / `attached_to`: an attachment whose text is a document loaded on its own (the plan
  published as a page's attachment and elsewhere as its own file) is linked to it, both ways round.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from parsers import summary
from parsers.attachments import read_attachment
from parsers.attachments.title import split_title
from parsers.classify import Taxonomy, classify
from parsers.dedup import DedupIndex, Match, MatchKind
from parsers.fingerprint import estimate_jaccard, fingerprint
from parsers.normalize import normalize_text
from parsers.records import AttachmentFormat, AttachmentStatus, Classification, TopicLabel
from parsers.urls import origin

__all__ = [
    "ATTACHMENT_MARK",
    "AttachedText",
    "AttachmentPrint",
    "FileText",
    "LinkStatus",
    "Merged",
    "attached_to",
    "linkable",
    "merge",
    "read_file",
    "refusal",
    "same_document",
    "substance_in_attachment",
]

# Prefix of an evidence term that only an attachment holds: analysts see where a topic came from.
ATTACHMENT_MARK = "附件:"


_HTML_FOR_A_FILE = "the link gave an HTML page, not a file (an error or login page?)"


class LinkStatus(StrEnum):
    """Why an attachment has no bytes to read (the reader's AttachmentStatus says why read bytes gave no text)."""

    OFF_HOST = "off_host"  # on a host its source does not name: never fetched, like a page's off-site link
    ROBOTS = "robots"  # robots.txt disallows it
    FAILED = "failed"  # the fetch failed: an HTTP error (404), a timeout, a reset, an HTML page for a file
    TOO_LARGE = "too_large"  # larger than POLICYWATCH_MAX_ATTACHMENT_BYTES: cut, never read
    SKIPPED = "skipped"  # beyond the files followed on one page (a page listing a whole folder)


# A page that only hands its attachment over ("现将…印发给你们"): the same rules say a transmittal is no summary.
TRANSMITTAL = summary.TRANSMITTAL
# A page this short beside a much longer attachment is a cover page, formula or not (请各单位按附件格式报送).
# A short opinion with its own numbered items runs to ~300 characters: it stays a page with substance.
COVER_PAGE_CHARS = 200
WRAPPER_MAX_CHARS = 1_500  # a page longer than this has substance of its own, whatever formula it uses
SUBSTANCE_RATIO = 2  # the attachment must say at least this many times what the page says
SUBSTANCE_MIN_CHARS = 200  # and at least this much: a form's few lines are no document's substance
# Shorter attachment texts (a 报名表, a contact sheet) are never linked as the same text as a document.
DEDUP_MIN_CHARS = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class FileText:
    """An attachment's bytes as the warehouse keeps them: what they are, their text and its fingerprint."""

    format: str
    media_type: str
    status: str  # an AttachmentStatus value
    reason: str | None = None
    text: str | None = None  # normalised like a page's text; None when none was read
    text_hash: str | None = None
    minhash: tuple[int, ...] = ()
    pages: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AttachedText:
    """The text of one attachment of a document, as merging takes it."""

    url: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Merged:
    """A document's classification over its page and its attachments."""

    classification: Classification
    summary_from: str | None = None  # URL of the attachment the summary was taken from; None: the page's


@dataclass(frozen=True, slots=True, kw_only=True)
class AttachmentPrint:
    """What an attachment's text is recognised by: the document it belongs to, its URL and fingerprint."""

    doc_id: str
    url: str
    text_hash: str
    minhash: Sequence[int]


def read_file(data: bytes, name: str | None = None) -> FileText:
    """Read an attachment's bytes (any format part A reads) into the record the warehouse keeps; never raises."""
    read = read_attachment(data, name)
    text = normalize_text(read.text) if read.ok else ""
    status, reason = read.status.value, read.reason
    if read.format is AttachmentFormat.HTML:
        # A link to a file answered with a web page is a site's error, login or "file moved" page: its text
        # is not the document's, and counting it would put that page's words into search and topics.
        text, status, reason = "", LinkStatus.FAILED.value, _HTML_FOR_A_FILE
    elif read.ok and not text:
        status, reason = AttachmentStatus.EMPTY.value, "no text left after normalising"
    text_hash, signature = fingerprint(text) if text else (None, ())
    return FileText(
        format=read.format.value,
        media_type=read.media_type,
        status=status,
        reason=reason,
        text=text or None,
        text_hash=text_hash,
        minhash=signature,
        pages=read.pages,
    )


def refusal(url: str, origins: Collection[str]) -> str | None:
    """Why a link is not fetched (not http, or on an origin its page's source does not name); None to fetch it.

    `origins` as `parsers.urls.named_origins` spells them (`Source.scope`): another port is another server.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return f"not an http(s) link: {url[:80]}"
    named = origin(url)
    if named not in origins:
        named_ones = ", ".join(sorted(origins)) or "none"
        return f"{named or parts.netloc or '?'} is not one of its source's origins ({named_ones})"
    return None


def substance_in_attachment(page_text: str, attachment_text: str) -> bool:
    """True when the page is only a cover (short, or a transmittal formula) for a much longer attachment."""
    page, attached = len(page_text.strip()), len(attachment_text.strip())
    if page > WRAPPER_MAX_CHARS or attached < max(SUBSTANCE_RATIO * page, SUBSTANCE_MIN_CHARS):
        return False
    return page <= COVER_PAGE_CHARS or any(rule.search(page_text) for rule in TRANSMITTAL)


def merge(taxonomy: Taxonomy, *, title: str, page_text: str, attached: Sequence[AttachedText]) -> Merged:
    """Classify a document over its page and its attachments' text; evidence only an attachment gives is marked."""
    page = classify(taxonomy, title=title, text=page_text)
    texts = [a for a in attached if a.text.strip()]
    if not texts:
        return Merged(classification=page)
    combined = classify(taxonomy, title=title, text="\n".join([page_text, *(a.text for a in texts)]))
    seen = f"{title}\n{page_text}".lower()
    topics = _union(page.topics, combined.topics, seen)
    main = max(texts, key=lambda a: len(a.text))
    cover = substance_in_attachment(page_text, main.text)
    classification = Classification(
        topics=topics,
        instruments=_union(page.instruments, combined.instruments, seen),
        relevant=page.relevant or any(t.score >= taxonomy.scoring.relevance_threshold for t in topics),
        keywords=combined.keywords,
        summary=_attachment_summary(title, main.text) if cover else page.summary,
        taxonomy_version=combined.taxonomy_version,
    )
    return Merged(classification=classification, summary_from=main.url if cover else None)


def _union(page: Iterable[TopicLabel], combined: Iterable[TopicLabel], seen: str) -> tuple[TopicLabel, ...]:
    """Per topic the stronger label of the page alone and of page + attachments: attachments only add."""
    best: dict[str, TopicLabel] = {}
    for label in (*page, *combined):
        if label.topic_id not in best or label.score > best[label.topic_id].score:
            best[label.topic_id] = label
    marked = (_marked(label, seen) for label in best.values())
    return tuple(sorted(marked, key=lambda label: (-label.score, label.topic_id)))


def _marked(label: TopicLabel, seen: str) -> TopicLabel:
    evidence = tuple(term if term.lower() in seen else ATTACHMENT_MARK + term for term in label.evidence)
    return TopicLabel(
        topic=label.topic, topic_id=label.topic_id, score=label.score, evidence=evidence, facet=label.facet
    )


def _attachment_summary(title: str, text: str) -> str:
    """The summary of an attachment's text, its own title lines left out (they would echo the title)."""
    _, body = split_title(text)
    return summary.summarize(title, body or text)


def linkable(file: FileText) -> bool:
    """True when a file's text is long enough to be recognised as a document of its own (both ways)."""
    return file.text is not None and len(file.text) >= DEDUP_MIN_CHARS and bool(file.minhash)


def same_document(index: DedupIndex, *, text_hash: str, minhash: Sequence[int], owner: str) -> Match | None:
    """The known document holding an attachment's text (same text, else near), never the attachment's own document."""
    exact = index.by_hash.get(text_hash)
    if exact is not None and exact != owner:
        return Match(MatchKind.EXACT, exact, 1.0)
    doc_id, similarity = index.nearest(minhash, exclude=(owner,))
    if doc_id is not None and similarity >= index.threshold:
        return Match(MatchKind.NEAR, doc_id, similarity)
    return None


def attached_to(
    *, doc_id: str, content_hash: str, minhash: Sequence[int], prints: Iterable[AttachmentPrint], threshold: float
) -> list[AttachmentPrint]:
    """The attachments (of other documents) whose text is this document's: same text, or near enough."""
    return [
        p
        for p in prints
        if p.doc_id != doc_id
        and (
            p.text_hash == content_hash
            or (len(p.minhash) == len(minhash) > 0 and estimate_jaccard(p.minhash, minhash) >= threshold)
        )
    ]
