"""Archives are listed, never opened: their members' names and sizes as the zip directory states them."""

from __future__ import annotations

from parsers.attachments.limits import DEFAULT_LIMITS, Limits, Zip
from parsers.records import ArchiveMember


def zip_members(data: bytes, limits: Limits = DEFAULT_LIMITS) -> tuple[ArchiveMember, ...]:
    """The files of a zip from its central directory (nothing is inflated); AttachmentError when it has none."""
    archive = Zip(data, limits)
    return tuple(
        ArchiveMember(name=_name(info.filename, info.flag_bits), size=info.file_size)
        for info in archive.file.infolist()
        if not info.is_dir()
    )


def _name(raw: str, flags: int) -> str:
    """A member's name: Chinese archivers write GBK names without the UTF-8 flag (zipfile reads them as cp437)."""
    if flags & 0x800:
        return raw
    try:
        return raw.encode("cp437").decode("gb18030")
    except UnicodeError:
        return raw
