"""What a file is, from its magic bytes: never from its name, which only breaks a tie between equals."""

from __future__ import annotations

import codecs
from pathlib import PurePosixPath

from parsers.attachments.limits import DEFAULT_LIMITS, Zip
from parsers.decode import looks_binary
from parsers.errors import AttachmentError
from parsers.records import AttachmentFormat

Format = AttachmentFormat

# Leading bytes of each container, first match wins. OLE2 and zip are containers: what they hold is told
# by their stream or member names (below).
MAGIC: tuple[tuple[bytes, Format], ...] = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", Format.OLE),
    (b"PK\x03\x04", Format.ZIP),
    (b"PK\x05\x06", Format.ZIP),  # an empty zip: its end record alone
    (b"Rar!\x1a\x07", Format.RAR),  # RAR 4 and 5
    (b"7z\xbc\xaf\x27\x1c", Format.SEVEN_ZIP),
    (b"{\\rtf", Format.RTF),
)
# Servers and converters put a few bytes before the header (a BOM, a line of junk): readers allow 1 KB.
_PDF_MAGIC, _PDF_WINDOW = b"%PDF-", 1024
# The stream that makes an OLE2 file what it is, first match wins: Word 97+ (and WPS, which writes
# Word-compatible files), Excel 97+ (`Workbook`) and Excel 5/95 (`Book`).
OLE_STREAMS: tuple[tuple[str, Format], ...] = (
    ("worddocument", Format.DOC),
    ("workbook", Format.XLS),
    ("book", Format.XLS),
)
# The member that makes a zip what it is, first match wins.
ZIP_MEMBERS: tuple[tuple[str, Format], ...] = (
    ("word/document.xml", Format.DOCX),
    ("xl/workbook.xml", Format.XLSX),
    ("ofd.xml", Format.OFD),
)
# File name suffixes, used only to choose among the formats the bytes allow.
SUFFIXES: dict[str, Format] = {
    ".doc": Format.DOC,
    ".dot": Format.DOC,
    ".wps": Format.WPS,
    ".wpt": Format.WPS,
    ".xls": Format.XLS,
    ".et": Format.XLS,
    ".docx": Format.DOCX,
    ".xlsx": Format.XLSX,
    ".ofd": Format.OFD,
}
# What a bare OLE2 file or zip may turn out to be when it cannot be opened to look inside.
_OLE_KINDS = frozenset({Format.DOC, Format.WPS, Format.XLS, Format.DOCX, Format.XLSX})
_ZIP_KINDS = frozenset({Format.DOCX, Format.XLSX, Format.OFD})
MEDIA_TYPES: dict[Format, str] = {
    Format.PDF: "application/pdf",
    Format.DOC: "application/msword",
    Format.WPS: "application/vnd.ms-works",  # what servers send for .wps; Kingsoft registered none
    Format.XLS: "application/vnd.ms-excel",
    Format.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Format.OFD: "application/ofd",
    Format.OLE: "application/x-ole-storage",
    Format.ZIP: "application/zip",
    Format.RAR: "application/vnd.rar",
    Format.SEVEN_ZIP: "application/x-7z-compressed",
    Format.RTF: "application/rtf",
    Format.HTML: "text/html",
    Format.TEXT: "text/plain",
    Format.EMPTY: "application/x-empty",
    Format.UNKNOWN: "application/octet-stream",
}
_HTML_STARTS = ("<!doctype html", "<html", "<head", "<meta", "<body")
_HEAD = 512


def _suffix(name: str | None) -> Format | None:
    return SUFFIXES.get(PurePosixPath(name.lower()).suffix) if name else None


def _tie(candidates: frozenset[Format], name: str | None, default: Format) -> Format:
    """The format the name gives when the bytes allow it, else the default."""
    by_name = _suffix(name)
    return by_name if by_name in candidates else default


def _ole_format(data: bytes, name: str | None) -> Format:
    import olefile  # imported here: only OLE2 files need it

    try:
        with olefile.OleFileIO(data) as ole:
            streams = {entry[-1].lower() for entry in ole.listdir(streams=True, storages=False)}
    except Exception:  # olefile raises OSError and its own types on a broken file: the reader says why
        return _tie(_OLE_KINDS, name, Format.OLE)
    if "encryptedpackage" in streams:  # an OOXML file locked with a password is wrapped in OLE2
        return _tie(frozenset({Format.DOCX, Format.XLSX}), name, Format.OLE)
    found = next((fmt for stream, fmt in OLE_STREAMS if stream in streams), Format.OLE)
    return _tie(frozenset({Format.WPS}), name, found) if found is Format.DOC else found


def _zip_format(data: bytes, name: str | None) -> Format:
    try:
        archive = Zip(data, DEFAULT_LIMITS)
    except AttachmentError:
        return _tie(_ZIP_KINDS, name, Format.ZIP)
    return next((fmt for member, fmt in ZIP_MEMBERS if archive.has(member)), Format.ZIP)


def _head_text(data: bytes) -> str:
    head = data[:_HEAD]
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            return head[len(bom) :].decode(codec, "ignore")
    return head.decode("latin-1")


def binary_format(data: bytes, name: str | None = None) -> Format | None:
    """The format of a file whose magic bytes name one (PDF, OLE2, zip, RAR, 7z, RTF); None for any other.

    Cheap for pages: it looks at the first bytes only (and at a zip's member names, an OLE2 file's streams).
    """
    if data.find(_PDF_MAGIC, 0, _PDF_WINDOW) >= 0:
        return Format.PDF
    found = next((fmt for magic, fmt in MAGIC if data.startswith(magic)), None)
    if found is Format.OLE:
        return _ole_format(data, name)
    if found is Format.ZIP:
        return _zip_format(data, name)
    return found


def sniff(data: bytes, name: str | None = None) -> Format:
    """The format of a file from its first bytes (and, for OLE2 and zip, their stream or member names)."""
    if not data:
        return Format.EMPTY
    found = binary_format(data, name)
    if found is not None:
        return found
    head = _head_text(data).lstrip("\ufeff\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(_HTML_STARTS) or (head.startswith("<!--") and "<html" in head):
        return Format.HTML
    return Format.UNKNOWN if looks_binary(data) else Format.TEXT


def media_type(fmt: Format) -> str:
    """The IANA media type of a format (application/octet-stream when it has none)."""
    return MEDIA_TYPES.get(fmt, "application/octet-stream")
