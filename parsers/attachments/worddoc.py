"""Word 97-2003 binary files (.doc, and WPS's Word-compatible .wps): the main text through the piece table.

[MS-DOC]: the FIB at the start of the WordDocument stream gives the text's length (ccpText), the table
stream (0Table or 1Table) and, in it, the Clx whose PlcPcd maps character positions to pieces of the
WordDocument stream, each UTF-16LE or "compressed" (one cp1252 byte a character). Field codes are
dropped and their results kept; the paragraph property runs (PlcBtePapx) tell which cell marks end a row.
"""

from __future__ import annotations

import re
import struct
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from parsers.attachments.limits import DEFAULT_LIMITS, Limits
from parsers.errors import AttachmentEncryptedError, AttachmentError, AttachmentTooLargeError

if TYPE_CHECKING:
    import olefile

_WORD_IDENT = 0xA5EC
_NFIB_WORD97 = 0xC1  # Word 97 and later (and WPS); Word 6/95 files keep their text another way
_F_ENCRYPTED, _F_WHICH_TABLE = 0x0100, 0x0200
_CCP_TEXT = 3  # index of ccpText in FibRgLw97
_PLCF_BTE_PAPX, _CLX = 13, 33  # indexes of (fc, lcb) pairs in FibRgFcLcb97
_COMPRESSED = 0x40000000
_FKP = 512
# Paragraph properties that end a table row: sprmPFTtp, and sprmPFInnerTtp for a table in a cell.
_ROW_END_SPRMS = frozenset({0x2417, 0x244C})
_IN_TABLE = 0x2416  # sprmPFInTable
_SPRM_OPERAND = {0: 1, 1: 1, 2: 2, 3: 4, 4: 2, 5: 2, 7: 3}  # operand size by spra (the opcode's top 3 bits)
_SPRM_TDEFTABLE = 0xD608  # a variable operand with a two-byte size
_FIELD_MARK = re.compile("[\x13\x14\x15]")
_CELL = "\x07"
# Special characters of the text: paragraph and line ends, page and section breaks, hyphens; the rest of
# the control characters (pictures, footnote and comment anchors) print nothing.
_SPECIAL = {0x0D: "\n", 0x0B: "\n", 0x0C: "\n", 0x0E: "\n", 0x1E: "-", 0x1F: "", 0x07: "\t"}
_PRINTS = str.maketrans({**{code: "" for code in range(0x20) if code not in (0x09, 0x0A)}, **_SPECIAL})


@dataclass(frozen=True, slots=True)
class _Piece:
    cp: int  # first character position
    length: int  # characters
    offset: int  # byte offset in the WordDocument stream
    width: int  # bytes a character: 2 (UTF-16LE) or 1 (cp1252)


def _stream(ole: olefile.OleFileIO, name: str, limits: Limits, size: int) -> bytes:
    if not ole.exists(name):
        raise AttachmentError(f"Word file without a {name} stream")
    declared = ole.get_size(name)
    if declared > limits.stream_bytes or declared > size:
        raise AttachmentTooLargeError(f"OLE stream {name} declares {declared} bytes, over the file or the cap")
    return bytes(ole.openstream(name).read())


def _fib(word: bytes) -> tuple[int, int, list[int], list[tuple[int, int]]]:
    """(nFib, flags, FibRgLw, FibRgFcLcb pairs) of the FIB at the start of the WordDocument stream."""
    ident, nfib = struct.unpack_from("<HH", word, 0)
    if ident != _WORD_IDENT:
        raise AttachmentError(f"WordDocument stream without a Word FIB (ident {ident:#06x})")
    flags = struct.unpack_from("<H", word, 0x0A)[0]
    csw = struct.unpack_from("<H", word, 0x20)[0]
    at = 0x22 + csw * 2
    cslw = struct.unpack_from("<H", word, at)[0]
    longs = list(struct.unpack_from(f"<{cslw}i", word, at + 2))
    at += 2 + cslw * 4
    pairs = struct.unpack_from("<H", word, at)[0]
    blob = struct.unpack_from(f"<{pairs * 2}I", word, at + 2)
    return nfib, flags, longs, list(zip(blob[::2], blob[1::2], strict=True))


def _pieces(clx: bytes) -> list[_Piece]:
    """The PlcPcd of a Clx: skip its Prc entries (property modifiers), read the piece descriptors."""
    at = 0
    while at < len(clx) and clx[at] == 0x01:
        at += 3 + struct.unpack_from("<h", clx, at + 1)[0]
    if at >= len(clx) or clx[at] != 0x02:
        raise AttachmentError("Word file with a damaged piece table (no Pcdt in the Clx)")
    size = struct.unpack_from("<I", clx, at + 1)[0]
    count = (size - 4) // 12
    plc = clx[at + 5 : at + 5 + size]
    cps = struct.unpack_from(f"<{count + 1}I", plc, 0)
    pieces = []
    for index in range(count):
        fc = struct.unpack_from("<I", plc, (count + 1) * 4 + index * 8 + 2)[0]
        compressed = bool(fc & _COMPRESSED)
        offset = (fc & ~_COMPRESSED) // 2 if compressed else fc
        pieces.append(_Piece(cps[index], cps[index + 1] - cps[index], offset, 1 if compressed else 2))
    return pieces


def _piece_text(word: bytes, piece: _Piece) -> str:
    raw = word[piece.offset : piece.offset + piece.length * piece.width]
    if len(raw) < piece.length * piece.width:
        raise AttachmentError("truncated Word file: a piece of text lies past the end of its stream")
    return raw.decode("utf-16-le" if piece.width == 2 else "cp1252", "replace")


def _sprms(grpprl: bytes) -> Iterator[tuple[int, bytes]]:
    """(opcode, operand) of each property modifier in a grpprl."""
    at = 0
    while at + 2 <= len(grpprl):
        opcode = struct.unpack_from("<H", grpprl, at)[0]
        at += 2
        size = _SPRM_OPERAND.get(opcode >> 13)
        if size is None:  # variable: a size byte (two bytes, minus one, for sprmTDefTable)
            if opcode == _SPRM_TDEFTABLE and at + 2 <= len(grpprl):
                size, at = struct.unpack_from("<H", grpprl, at)[0] - 1, at + 2
            else:
                size, at = (grpprl[at] if at < len(grpprl) else 0), at + 1
        yield opcode, grpprl[at : at + size]
        at += size


def _paragraph_ends(word: bytes, table: bytes, fc: int, lcb: int) -> dict[int, str]:
    """What the mark of a table's paragraphs prints, by the stream offset just after it (from the FKPs).

    A row's last cell mark ends a line; a paragraph mark inside a cell joins the cell's paragraphs with a space.
    """
    count = (lcb - 4) // 8 if lcb >= 12 else 0
    pns = struct.unpack_from(f"<{count}I", table, fc + (count + 1) * 4) if count else ()
    ends: dict[int, str] = {}
    for pn in pns:
        page = word[(pn & 0x3FFFFF) * _FKP : (pn & 0x3FFFFF) * _FKP + _FKP]
        if len(page) < _FKP:
            continue
        runs = page[_FKP - 1]
        fcs = struct.unpack_from(f"<{runs + 1}I", page, 0)
        for index in range(runs):
            offset = page[(runs + 1) * 4 + index * 13] * 2
            mark = _table_mark(page, offset) if offset else None
            if mark:
                ends[fcs[index + 1]] = mark
    return ends


def _table_mark(page: bytes, offset: int) -> str | None:
    """What a paragraph's mark becomes: a row end "\n", a paragraph in a cell " ", elsewhere None (as read)."""
    size = page[offset]
    start, length = (offset + 2, page[offset + 1] * 2) if size == 0 else (offset + 1, size * 2 - 1)
    grpprl = page[start + 2 : start + length]  # after the istd (style index)
    flags = {op for op, arg in _sprms(grpprl) if arg[:1] == b"\x01"}
    return "\n" if flags & _ROW_END_SPRMS else " " if _IN_TABLE in flags else None


def _mark_table(chars: list[str], pieces: list[_Piece], ends: dict[int, str]) -> None:
    """Turn the cell mark ending each table row into a line end, the paragraph marks inside cells into spaces."""
    offsets = sorted(ends)
    for piece in pieces:
        end = piece.offset + piece.length * piece.width
        for fc in offsets[bisect_right(offsets, piece.offset) : bisect_right(offsets, end)]:
            cp = piece.cp + (fc - piece.offset) // piece.width - 1
            mark = ends[fc]
            if 0 <= cp < len(chars) and chars[cp] == (_CELL if mark == "\n" else "\r"):
                chars[cp] = mark


def strip_fields(text: str) -> str:
    """Field codes out (0x13 instruction 0x14 result 0x15: the result is kept), nested fields too."""
    if "\x13" not in text:
        return text
    kept: list[str] = []
    in_code: list[bool] = []  # for each open field: is its instruction still being read
    pos = 0
    for mark in _FIELD_MARK.finditer(text):
        if not any(in_code):
            kept.append(text[pos : mark.start()])
        char = mark.group()
        if char == "\x13":
            in_code.append(True)
        elif in_code and char == "\x14":
            in_code[-1] = False
        elif in_code:
            in_code.pop()
        pos = mark.end()
    kept.append(text[pos:] if not any(in_code) else "")
    return "".join(kept)


def _clean(text: str) -> str:
    lines = (line.rstrip("\t ") for line in strip_fields(text).translate(_PRINTS).split("\n"))
    return "\n".join(line for line in lines if line.strip())


def word_text(data: bytes, limits: Limits = DEFAULT_LIMITS) -> str:
    """The main text of a Word 97-2003 (or WPS) file; raises an AttachmentError saying why it cannot."""
    import olefile  # imported here: only OLE2 files need it

    try:
        ole = olefile.OleFileIO(data)
    except OSError as exc:
        raise AttachmentError(f"corrupt or truncated OLE2 file: {exc}") from exc
    with ole:
        word = _stream(ole, "WordDocument", limits, len(data))
        nfib, flags, longs, pairs = _fib(word)
        if flags & _F_ENCRYPTED:
            raise AttachmentEncryptedError("Word file encrypted with a password")
        if nfib < _NFIB_WORD97:
            raise AttachmentError(f"Word 6/95 file (nFib {nfib:#x}): not read")
        table = _stream(ole, "1Table" if flags & _F_WHICH_TABLE else "0Table", limits, len(data))
    fc_clx, lcb_clx = pairs[_CLX]
    pieces = _pieces(table[fc_clx : fc_clx + lcb_clx])
    text_end = longs[_CCP_TEXT]
    if text_end > limits.text_chars:
        raise AttachmentTooLargeError(f"more than {limits.text_chars} characters of text")
    chars = list("".join(_piece_text(word, piece) for piece in pieces if piece.cp < text_end)[:text_end])
    _mark_table(chars, pieces, _paragraph_ends(word, table, *pairs[_PLCF_BTE_PAPX]))
    return _clean("".join(chars))
