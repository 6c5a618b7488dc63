"""Handing freed memory back to the operating system between the stages of a large run."""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from functools import cache


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
        return trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
        return None


def release_freed_memory() -> None:
    """Return the C heap's free pages to the OS (glibc keeps them otherwise: DuckDB's and Arrow's
    freed buffers kept a backfill's flow process ~50 MB larger); a no-op where there is no malloc_trim."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
