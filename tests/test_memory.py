"""Freed C heap is handed back to the OS between the stages of a run."""

from __future__ import annotations

import ctypes
from pathlib import Path

from flows.adapters.memory import release_freed_memory


def test_release_freed_memory_gives_the_heap_back() -> None:
    def rss_kib() -> int:
        return next(
            int(line.split()[1])
            for line in Path("/proc/self/status").read_text().splitlines()
            if line.startswith("VmRSS")
        )

    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    blocks = [libc.malloc(4096) for _ in range(20_000)]  # ~80 MB of small blocks: below mmap, kept by free()
    sentinel = libc.malloc(64)  # above them: free() alone cannot shrink the heap
    for block in blocks:
        libc.memset(ctypes.c_void_p(block), 1, 4096)
    held = rss_kib()
    for block in blocks:
        libc.free(block)
    release_freed_memory()
    assert held - rss_kib() > 40_000
    libc.free(sentinel)


def test_the_flow_process_does_not_load_what_only_parse_workers_need() -> None:
    import subprocess
    import sys

    # jieba-rs (~60 MB with its dictionary) and pypdf (~20 MB) are imported where text is segmented or a PDF read.
    probe = "import sys, flows.ingest, flows.cli; print(sorted({'jieba', 'rjieba', 'pypdf'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.strip() == "[]"
