"""A run's page records on disk: fetched pages wait there for the parse stage, not in the flow's memory.

A backfill of 100 000 pages held a few KB of Python objects per page for the whole run (its parse
options, headers and frontier rows), and Prefect walked all of them whenever they passed between
tasks. Here each record is pickled to an unlinked temporary file as it arrives, and a list keeps its
8-byte offset only. The file disappears with the process, however it ends; nothing is lost with it,
since every body is already in the archive and the frontier refetches what no run loaded.
"""

from __future__ import annotations

import errno
import pickle
import tempfile
import threading
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, SupportsIndex, TypeVar, overload

T = TypeVar("T")
_LENGTH = 4  # bytes of the length prefix of each record


class Spool:
    """Records appended to a temporary file and read back by offset; safe to share between threads."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        # Unbuffered: a full disk fails the write of the record that does not fit, not a later flush.
        self._file = tempfile.TemporaryFile(dir=folder, prefix="pw-spool-", buffering=0)  # noqa: SIM115  # close()
        self._end = 0
        self._held: list[object] = []  # records the disk refused
        self._lock = threading.Lock()

    def put(self, record: object) -> int:
        """Append a record; its offset (negative: the disk refused it, and it is held in memory instead)."""
        return self.put_pickled(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL), record)

    def put_pickled(self, data: bytes, record: object = None) -> int:
        """Append a record pickled already (by another process, say); `record` is it unpickled, if at hand."""
        with self._lock:
            offset = self._end
            try:
                self._file.seek(offset)
                blob = len(data).to_bytes(_LENGTH, "little") + data
                if self._file.write(blob) != len(blob):
                    raise OSError(errno.ENOSPC, "short write")
            except OSError:  # a full disk costs memory, never a page: the next record overwrites this one
                self._held.append(pickle.loads(data) if record is None else record)
                return -len(self._held)
            self._end += _LENGTH + len(data)
        return offset

    def get(self, offset: int) -> Any:
        """The record at an offset."""
        if offset < 0:
            return self._held[-offset - 1]
        return pickle.loads(self.get_pickled(offset))

    def get_pickled(self, offset: int) -> bytes:
        """The record at an offset, pickled: for another process to read."""
        if offset < 0:
            return pickle.dumps(self._held[-offset - 1], protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self._file.seek(offset)
            size = int.from_bytes(self._file.read(_LENGTH), "little")
            return self._file.read(size)

    @property
    def size(self) -> int:
        """Bytes spooled so far."""
        return self._end

    def close(self) -> None:
        """Close and so delete the file."""
        self._file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class SpooledList(Sequence[T], Generic[T]):
    """A list whose items live in a spool: append, index and iterate as a list; memory holds offsets only.

    Not a `list`, on purpose: Prefect walks lists and dataclasses passed between tasks, never this.
    """

    def __init__(self, spool: Spool, offsets: Iterable[int] = ()) -> None:
        self.spool = spool
        self._offsets = array("q", offsets)

    def append(self, item: T) -> int:
        """Spool an item at the end; its offset in the spool."""
        offset = self.spool.put(item)
        self._offsets.append(offset)
        return offset

    def extend(self, items: Iterable[T]) -> None:
        """Spool items at the end."""
        for item in items:
            self.append(item)

    @property
    def offsets(self) -> Sequence[int]:
        """Where the items are in the spool, in order."""
        return self._offsets

    def __len__(self) -> int:
        return len(self._offsets)

    @overload
    def __getitem__(self, index: SupportsIndex) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> SpooledList[T]: ...
    def __getitem__(self, index: SupportsIndex | slice) -> T | SpooledList[T]:
        if isinstance(index, slice):
            return SpooledList(self.spool, self._offsets[index])
        item: T = self.spool.get(self._offsets[index])
        return item

    def __iter__(self) -> Iterator[T]:
        for offset in self._offsets:
            yield self.spool.get(offset)

    def __repr__(self) -> str:
        return f"SpooledList({len(self)} items)"


def sorted_spooled(lists: Iterable[SpooledList[T]], key: Callable[[T], Any], spool: Spool) -> SpooledList[T]:
    """The items of several lists of one spool, sorted by key: each is read once, and only keys are held."""
    keyed: list[tuple[Any, int]] = []
    for items in lists:
        if items.spool is not spool:
            raise ValueError("sorted_spooled: every list must live in the given spool")
        keyed += [(key(item), offset) for item, offset in zip(items, items._offsets, strict=True)]
    keyed.sort(key=lambda pair: pair[0])
    return SpooledList(spool, (offset for _, offset in keyed))
