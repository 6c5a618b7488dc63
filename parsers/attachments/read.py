"""One entry for attachment files: sniff the bytes, run the format's reader, never raise on bad bytes."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from parsers.attachments.limits import DEFAULT_LIMITS, Limits, describe_size
from parsers.attachments.sniff import Format, media_type, sniff
from parsers.errors import AttachmentEncryptedError, AttachmentError
from parsers.records import ArchiveMember, AttachmentStatus, AttachmentText

_REASON_MAX = 300
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_LISTED = 10  # members named in an archive's reason


class _Read(NamedTuple):
    text: str
    pages: int | None = None


def _pdf(data: bytes, limits: Limits) -> _Read:
    from parsers.pdftext import pdf_pages

    return _Read(*pdf_pages(data, max_pages=limits.pages))


def _word(data: bytes, limits: Limits) -> _Read:
    from parsers.attachments.worddoc import word_text

    return _Read(word_text(data, limits))


def _docx(data: bytes, limits: Limits) -> _Read:
    from parsers.attachments.docx import docx_text

    return _Read(docx_text(data, limits))


def _xlsx(data: bytes, limits: Limits) -> _Read:
    from parsers.attachments.sheets import xlsx_text

    return _Read(xlsx_text(data, limits))


def _xls(data: bytes, limits: Limits) -> _Read:
    from parsers.attachments.sheets import xls_text

    return _Read(xls_text(data, limits))


def _ofd(data: bytes, limits: Limits) -> _Read:
    from parsers.attachments.ofd import ofd_pages

    return _Read(*ofd_pages(data, limits))


def _rtf(data: bytes, _limits: Limits) -> _Read:
    from parsers.attachments.rtf import rtf_text

    return _Read(rtf_text(data))


def _html(data: bytes, _limits: Limits) -> _Read:
    from parsers.decode import decode_bytes
    from parsers.htmlpage import read_html

    return _Read(read_html(decode_bytes(data).text, lenient=True).text)


def _text(data: bytes, _limits: Limits) -> _Read:
    from parsers.decode import decode_bytes

    return _Read(decode_bytes(data).text.strip())


def _other_ole(data: bytes, _limits: Limits) -> _Read:
    """An OLE2 file of no format we read: an encrypted Office file says so, anything else names its streams."""
    import olefile

    try:
        with olefile.OleFileIO(data) as ole:
            streams = sorted("/".join(entry) for entry in ole.listdir(streams=True, storages=False))
    except OSError as exc:
        raise AttachmentError(f"corrupt or truncated OLE2 file: {exc}") from exc
    if "EncryptedPackage" in streams:
        raise AttachmentEncryptedError("Office file encrypted with a password (an OLE2 EncryptedPackage)")
    raise AttachmentError(f"OLE2 file holding neither a Word document nor a workbook (streams: {', '.join(streams)})")


def _unknown(_data: bytes, _limits: Limits) -> _Read:
    raise AttachmentError("binary data of no format we read")


READERS: dict[Format, Callable[[bytes, Limits], _Read]] = {
    Format.PDF: _pdf,
    Format.DOC: _word,
    Format.WPS: _word,  # WPS writes Word-compatible OLE2 files
    Format.DOCX: _docx,
    Format.XLSX: _xlsx,
    Format.XLS: _xls,
    Format.OFD: _ofd,
    Format.RTF: _rtf,
    Format.HTML: _html,
    Format.TEXT: _text,
    Format.OLE: _other_ole,
    Format.UNKNOWN: _unknown,
}
ARCHIVES = frozenset({Format.ZIP, Format.RAR, Format.SEVEN_ZIP})
# What an empty text means, by format: a PDF of scanned pages is the common case.
_NO_TEXT = {Format.PDF: "PDF without a text layer (scanned?)"}


def _result(
    fmt: Format,
    status: AttachmentStatus,
    reason: str | None = None,
    *,
    text: str = "",
    pages: int | None = None,
    members: tuple[ArchiveMember, ...] = (),
) -> AttachmentText:
    return AttachmentText(
        format=fmt,
        media_type=media_type(fmt),
        status=status,
        reason=reason and reason[:_REASON_MAX],
        text=text,
        pages=pages,
        members=members,
    )


def _archive(data: bytes, fmt: Format, limits: Limits) -> AttachmentText:
    """An archive listed, not opened: nested files are fetched and read on their own or not at all."""
    if fmt is not Format.ZIP:
        return _result(fmt, AttachmentStatus.ARCHIVE, f"{fmt.value.upper()} archive, not opened")
    from parsers.attachments.archives import zip_members

    members: tuple[ArchiveMember, ...] = zip_members(data, limits)
    names = ", ".join(member.name for member in members[:_LISTED]) + (", …" if len(members) > _LISTED else "")
    files = f"{len(members)} file" + ("" if len(members) == 1 else "s")
    reason = f"ZIP archive of {files}, not opened: {names}"
    return _result(fmt, AttachmentStatus.ARCHIVE, reason, members=members)


def _reader(data: bytes, fmt: Format) -> Callable[[bytes, Limits], _Read]:
    if fmt in (Format.DOCX, Format.XLSX) and data.startswith(_OLE_MAGIC):
        return _other_ole  # named .docx or .xlsx, but an OLE2 wrapper: an encrypted package
    return READERS[fmt]


def _read(data: bytes, fmt: Format, limits: Limits) -> AttachmentText:
    if fmt is Format.EMPTY:
        return _result(fmt, AttachmentStatus.EMPTY, "no bytes")
    if len(data) > limits.file_bytes:
        return _result(fmt, AttachmentStatus.TOO_LARGE, f"{len(data)} bytes, over {describe_size(limits.file_bytes)}")
    if fmt in ARCHIVES:
        return _archive(data, fmt, limits)
    read = _reader(data, fmt)(data, limits)
    if not read.text.strip():
        reason = _NO_TEXT.get(fmt, f"{fmt.value.upper()} file without text")
        return _result(fmt, AttachmentStatus.EMPTY, reason, pages=read.pages)
    return _result(fmt, AttachmentStatus.OK, text=read.text, pages=read.pages)


def read_attachment(
    data: bytes, name: str | None = None, *, limits: Limits = DEFAULT_LIMITS, sniffed: Format | None = None
) -> AttachmentText:
    """The text of an attachment file of any format we know (or why there is none); never raises on bad bytes.

    `name` (the file name or URL) only breaks a tie the bytes leave; `sniffed` is the format when the caller
    has already sniffed it.
    """
    fmt = sniffed or sniff(data, name)
    try:
        return _read(data, fmt, limits)
    except AttachmentError as exc:
        return _result(fmt, AttachmentStatus(exc.status), str(exc))
    except Exception as exc:  # a reader's library raises many types on broken files: all mean "undecodable"
        reason = f"unreadable {fmt.value.upper()}: {type(exc).__name__}: {exc}"
        return _result(fmt, AttachmentStatus.UNDECODABLE, reason)
