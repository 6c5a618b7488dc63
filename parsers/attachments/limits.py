"""Size limits of attachment reading, and zip members read in chunks under them (a bomb stops at the cap)."""

from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass
from io import BytesIO
from typing import IO

from parsers.errors import AttachmentEncryptedError, AttachmentError, AttachmentTooLargeError

MB = 1 << 20
_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_EOCD_SEARCH = _EOCD_SIZE + 0xFFFF  # the record, after at most a 64 KB archive comment
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """How much one attachment may make us read: inflated bytes, directory entries, streams, text."""

    file_bytes: int = 64 * MB  # the file itself (a scanned PDF can be large; text files are not)
    member_bytes: int = 64 * MB  # one zip member, inflated (readers stream it: memory stays far below)
    total_bytes: int = 160 * MB  # all zip members read from one file together
    members: int = 20_000  # entries in a zip's directory (each costs a Python object to list)
    stream_bytes: int = 64 * MB  # one OLE stream
    pages: int = 3_000  # PDF and OFD pages
    text_chars: int = 8_000_000  # text kept from one file (16 MB as a str of CJK, and its lines as much)


DEFAULT_LIMITS = Limits()


def describe_size(size: int) -> str:
    """A size as a reason gives it: in MB from 1 MB up, else in bytes."""
    return f"{size / MB:g} MB" if size >= MB else f"{size} bytes"


def directory_entries(data: bytes) -> int | None:
    """How many entries a zip's end-of-central-directory record declares; None without one (truncated)."""
    at = data.rfind(_EOCD, max(0, len(data) - _EOCD_SEARCH))
    if at < 0 or len(data) - at < _EOCD_SIZE:
        return None
    return int(struct.unpack_from("<H", data, at + 10)[0])


class BoundedReader:
    """A zip member read in chunks that stops with a too_large error past its cap or the file's budget."""

    def __init__(self, stream: IO[bytes], name: str, cap: int, budget: Budget) -> None:
        self._stream, self._name, self._cap, self._budget = stream, name, cap, budget
        self._read = 0

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes (all that is left when negative), counted against the caps."""
        if size < 0:
            return b"".join(iter(lambda: self.read(_CHUNK), b""))
        try:
            chunk = self._stream.read(min(size, _CHUNK))
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            # zipfile stops a member at its declared size and then finds the CRC wrong: a forged header.
            raise AttachmentError(f"zip member {self._name} is corrupt or lies about its size: {exc}") from exc
        self._read += len(chunk)
        if self._read > self._cap:
            raise AttachmentTooLargeError(f"zip member {self._name} inflates past {describe_size(self._cap)}")
        self._budget.spend(len(chunk))
        return chunk


class Budget:
    """The inflated bytes one file may still make us read, over all its members."""

    def __init__(self, total: int) -> None:
        self.total, self.left = total, total

    def spend(self, size: int) -> None:
        """Count `size` bytes read; too_large once the file's total is used up."""
        self.left -= size
        if self.left < 0:
            raise AttachmentTooLargeError(f"zip members inflate past {describe_size(self.total)} in all")


class Zip:
    """A zip archive whose directory was checked against the limits, its members read bounded."""

    def __init__(self, data: bytes, limits: Limits = DEFAULT_LIMITS) -> None:
        entries = directory_entries(data)
        if entries is None:
            raise AttachmentError("truncated or corrupt zip: no central directory")
        if entries > limits.members:
            raise AttachmentTooLargeError(f"zip directory of {entries} entries, over {limits.members}")
        try:
            self.file = zipfile.ZipFile(BytesIO(data))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, struct.error) as exc:
            raise AttachmentError(f"corrupt zip: {exc}") from exc
        self.limits = limits
        self.budget = Budget(limits.total_bytes)
        # Lower-cased names: writers differ in case (OFD.xml, ofd.xml) and some use backslashes.
        self._names = {info.filename.replace("\\", "/").lower(): info for info in self.file.infolist()}

    def find(self, name: str) -> zipfile.ZipInfo | None:
        """The member of that name (any case, leading slash ignored)."""
        return self._names.get(name.lstrip("/").lower())

    def has(self, name: str) -> bool:
        """True when the archive holds a member of that name."""
        return self.find(name) is not None

    def open(self, name: str) -> BoundedReader:
        """A member as a file to read in chunks, its declared and its inflated size both capped."""
        info = self.find(name)
        if info is None:
            raise AttachmentError(f"zip member {name} is missing")
        if info.file_size > self.limits.member_bytes:
            cap = describe_size(self.limits.member_bytes)
            raise AttachmentTooLargeError(f"zip member {info.filename} declares {info.file_size} bytes, over {cap}")
        if info.flag_bits & 0x1:
            raise AttachmentEncryptedError(f"zip member {info.filename} is encrypted")
        try:
            stream = self.file.open(info)
        except (NotImplementedError, zipfile.BadZipFile) as exc:
            raise AttachmentError(f"zip member {info.filename}: {exc}") from exc
        return BoundedReader(stream, info.filename, self.limits.member_bytes, self.budget)

    def read(self, name: str) -> bytes:
        """A whole member (small ones: relationships, the OFD entry), bounded like `open`."""
        return self.open(name).read()
