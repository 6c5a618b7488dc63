"""Bytes to text: pick the charset the way browsers do, never raise on bad bytes."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes

# Chinese sites declare the old subsets; gb18030 is their superset and decodes what they really send.
_ALIASES: dict[str, str] = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "hz-gb-2312": "gb18030",
    "utf8": "utf-8",
    "unicode": "utf-8",
}

# Byte order marks, longest first so that UTF-32 LE is not taken for UTF-16 LE.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
# <meta charset="gbk"> and <meta http-equiv="Content-Type" content="text/html; charset=gb2312">.
_META_CHARSET = re.compile(rb"<meta[^>]{0,300}?charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
_META_WINDOW = 4096
_BINARY_WINDOW = 8192
# Control bytes that never occur in text (tab, newline, form feed, carriage return and ESC excluded).
_CONTROL = frozenset(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D, 0x1B}
_NOT_CONTROL = bytes(byte for byte in range(256) if byte not in _CONTROL)
_FALLBACK = "gb18030"
# A noncharacter no page contains: marks each undecodable byte so that it can be counted.
_MARK = "\U0010fffe"


def _mark_bad(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return _MARK * (error.end - error.start), error.end


codecs.register_error("policywatch.mark", _mark_bad)


@dataclass(frozen=True, slots=True)
class Decoded:
    """Text decoded from bytes, the charset used, and how many bytes had to be replaced."""

    text: str
    encoding: str
    bad_bytes: int = 0


def canonical_encoding(name: str | None) -> str | None:
    """The codec name to decode a declared charset with (gbk/gb2312 → gb18030), None if unknown."""
    if not name:
        return None
    cleaned = name.strip().strip("\"'").lower()
    cleaned = _ALIASES.get(cleaned, cleaned)
    try:
        return codecs.lookup(cleaned).name
    except LookupError:
        return None


def looks_binary(data: bytes) -> bool:
    """True for data that is not text in any charset: more than a stray NUL byte, or mostly control bytes."""
    head = data[:_BINARY_WINDOW]
    if not head or any(head.startswith(bom) for bom, _ in _BOMS):
        return False
    # Binary formats are full of NULs (a PNG or zip header alone has several in 16 bytes); a page with a
    # stray NUL or two (a CMS bug) is still text: over 1 % of NULs is binary, fewer are dropped on decoding.
    if head.count(0) * 100 > len(head):
        return True
    controls = len(head.translate(None, _NOT_CONTROL))  # counted in C: the bytes left are the control bytes
    return controls / len(head) > 0.1


def _bom_encoding(data: bytes) -> str | None:
    return next((name for bom, name in _BOMS if data.startswith(bom)), None)


def _meta_encoding(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:_META_WINDOW])
    if not match:
        return None
    declared = match.group(1).decode("ascii", "ignore")
    # A page whose <meta> could be read as ASCII is not UTF-16/32 whatever it says (WHATWG rule).
    return "utf-8" if declared.lower().startswith(("utf-16", "utf-32")) else declared


def _header_encoding(content_type: str | None) -> str | None:
    match = _HEADER_CHARSET.search(content_type or "")
    return match.group(1) if match else None


def _detected_encoding(data: bytes) -> str:
    best = from_bytes(data[:65536]).best()
    return best.encoding if best is not None else _FALLBACK


def _decode_with(data: bytes, encoding: str, utf8: str | None = None) -> Decoded:
    """The bytes decoded with an encoding, bad bytes counted; `utf8`, the strict UTF-8 decoding if any, is reused."""
    if encoding == "utf-8" and utf8 is not None and _MARK not in utf8:
        return Decoded(utf8, encoding, 0)
    text = data.decode(encoding, errors="policywatch.mark")
    bad = text.count(_MARK)
    return Decoded(text.replace(_MARK, "\ufffd") if bad else text, encoding, bad)


def _as_utf8(data: bytes) -> str | None:
    """The bytes decoded as strict UTF-8, None when they are not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def decode_bytes(data: bytes, *, content_type: str | None = None, forced: str | None = None) -> Decoded:
    """Decode page bytes: forced, BOM, HTTP header, <meta>, strict UTF-8, then detection."""
    certain = canonical_encoding(forced) or _bom_encoding(data)
    if certain:
        return _decode_with(data, certain)
    declared = [
        name
        for name in (canonical_encoding(_header_encoding(content_type)), canonical_encoding(_meta_encoding(data)))
        if name
    ]
    utf8 = _as_utf8(data)  # decoded once: most pages are UTF-8, and say so
    # Header and <meta> lie after CMS migrations (gb2312 declared, UTF-8 sent); non-ASCII bytes
    # that are valid UTF-8 are practically never GBK text, so UTF-8 wins over such a declaration.
    if utf8 is not None and (not declared or declared[0] != "utf-8") and not data.isascii():
        return Decoded(utf8, "utf-8", 0)
    # A declaration the bytes contradict gives way to the next one (a header saying utf-8 over GBK bytes).
    tried = [_decode_with(data, name, utf8) for name in dict.fromkeys(declared)]
    clean = next((decoded for decoded in tried if not decoded.bad_bytes), None)
    if clean:
        return clean
    if utf8 is not None:
        return Decoded(utf8, "utf-8", 0)
    detected = _decode_with(data, canonical_encoding(_detected_encoding(data)) or _FALLBACK)
    return min([*tried, detected], key=lambda decoded: decoded.bad_bytes)
