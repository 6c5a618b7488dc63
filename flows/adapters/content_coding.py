"""Bounded decoding of a response body's Content-Encoding: a compression bomb is cut, never inflated whole.

httpx decodes each network read in one call before any size check can run: a 61 KB zstd body or a
1.8 KB `gzip, gzip` body grew to gigabytes. Here the raw bytes are decoded by us, the output bounded
at every step: zlib's `max_length` with its `unconsumed_tail` for gzip and deflate, zstandard's stream
reader, which returns at most what is asked, for zstd. Brotli is not asked for: no bounded decoder of it
is installed. One coding at most: stacked codings (`gzip, gzip`) and unknown ones are refused.
"""

from __future__ import annotations

import io
import zlib

import zstandard

# What we tell servers we read; a server sending anything else (or more than one) is refused.
ACCEPT_ENCODING = "gzip, deflate, zstd"
_ALIASES = {"x-gzip": "gzip"}
_CODINGS = frozenset({"gzip", "deflate", "zstd"})
_ZSTD_READ = 1 << 16  # bytes asked of the zstd stream reader per step


class ContentCodingError(Exception):
    """A body whose Content-Encoding we refuse or cannot decode; the message is the page's reason."""


def coding_of(header: str | None) -> str | None:
    """The one coding to undo (None: the body is as sent), or ContentCodingError for stacked or unknown ones."""
    names = [_ALIASES.get(n, n) for n in (p.strip().lower() for p in (header or "").split(",")) if n]
    names = [n for n in names if n != "identity"]
    if len(names) > 1:
        raise ContentCodingError(f"stacked content codings ({', '.join(names)}): refused, one at most is decoded")
    if names and names[0] not in _CODINGS:
        raise ContentCodingError(f"content coding {names[0]!r} refused: we ask for {ACCEPT_ENCODING} only")
    return names[0] if names else None


class BoundedDecoder:
    """Raw bytes in, at most `limit` decoded bytes kept; `enough` once no more raw bytes are wanted."""

    def __init__(self, coding: str | None, limit: int) -> None:
        self.coding = coding
        self.limit = limit
        self.full = False
        self._out = bytearray()
        self._raw = bytearray()  # zstd: the compressed body, decoded at the end through a bounded reader
        self._raw_over = False  # zstd: compressed beyond the cap, decoded it is larger still
        self._zlib = _zlib_decoder(coding)
        self._deflate_raw = False  # deflate sent without its zlib header (some servers do)

    @property
    def enough(self) -> bool:
        """True once the body is known to pass the limit: read no more of it."""
        return self.full or self._raw_over

    def feed(self, data: bytes) -> None:
        """Take the next raw bytes (ignored once `enough`)."""
        if self.enough or not data:
            return
        if self.coding is None:
            self._keep(data)
        elif self.coding == "zstd":
            self._raw += data
            self._raw_over = len(self._raw) > self.limit
        else:
            self._inflate(data)

    def result(self) -> tuple[bytes, bool]:
        """The decoded body (at most `limit` bytes) and whether it was cut."""
        if self.coding == "zstd":
            self._unzstd()
        elif self._zlib is not None and not self.full:
            self._keep(self._zlib.flush(self._room()))
        return bytes(self._out[: self.limit]), self.full

    def _inflate(self, data: bytes) -> None:
        assert self._zlib is not None
        try:
            while data and not self.full and not self._zlib.eof:
                self._keep(self._zlib.decompress(data, self._room()))
                data = self._zlib.unconsumed_tail
        except zlib.error as exc:
            if self.coding == "deflate" and not self._deflate_raw and not self._out:
                self._deflate_raw, self._zlib = True, zlib.decompressobj(-zlib.MAX_WBITS)
                return self._inflate(data)
            raise ContentCodingError(f"corrupt {self.coding} body: {exc}") from exc
        return None

    def _unzstd(self) -> None:
        reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(bytes(self._raw)), read_across_frames=True)
        cut = self._raw_over
        try:
            while not self.full and (chunk := reader.read(min(_ZSTD_READ, self._room()))):
                self._keep(chunk)
        except zstandard.ZstdError as exc:
            if not cut:  # a body cut on its compressed size ends mid-frame: what came before stands
                raise ContentCodingError(f"corrupt zstd body: {exc}") from exc
        self.full = self.full or cut
        self._raw.clear()

    def _room(self) -> int:
        """Bytes still wanted, plus one to see the limit passed (never 0: zlib reads 0 as unbounded)."""
        return max(1, self.limit - len(self._out) + 1)

    def _keep(self, chunk: bytes) -> None:
        self._out += chunk[: self._room()]
        self.full = self.full or len(self._out) > self.limit


def _zlib_decoder(coding: str | None) -> zlib._Decompress | None:
    if coding == "gzip":
        return zlib.decompressobj(zlib.MAX_WBITS | 16)
    if coding == "deflate":
        return zlib.decompressobj()
    return None
