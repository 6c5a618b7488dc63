"""Compression bombs built in milliseconds: a few KB to MB of bytes that inflate to gigabytes.

Compressing gigabytes of zeros would take seconds; a compressed block of zeros repeated costs nothing.
Deflate: after a full flush the compressor starts afresh, so every further megabyte of zeros compresses
to the same bytes, which are repeated (the trailer is left out: a bounded reader stops long before it).
Zstd: one frame of zeros repeated (a zstd body may hold many frames).
"""

from __future__ import annotations

import zlib
from functools import cache

import zstandard

MIB = 1 << 20


@cache
def deflate_bomb(mib: int, *, gzip: bool) -> bytes:
    """`mib` MiB of zeros as one gzip member (gzip=True) or one zlib stream, without its trailer."""
    zeros = bytes(MIB)
    encoder = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | (16 if gzip else 0))
    first = encoder.compress(zeros) + encoder.flush(zlib.Z_FULL_FLUSH)  # with the header
    block = encoder.compress(zeros) + encoder.flush(zlib.Z_FULL_FLUSH)
    return first + block * (mib - 1)


@cache
def zstd_bomb(mib: int) -> bytes:
    """`mib` MiB of zeros as zstd frames of 64 MiB each."""
    frame = zstandard.ZstdCompressor(level=3).compress(bytes(64 * MIB))
    return frame * max(1, mib // 64)


@cache
def double_gzip_bomb(mib: int) -> bytes:
    """A gzip bomb gzipped again: served as `Content-Encoding: gzip, gzip`."""
    return zlib.compress(deflate_bomb(mib, gzip=True), 9, wbits=zlib.MAX_WBITS | 16)
