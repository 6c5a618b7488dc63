"""The run spool: pages wait on disk, in order, and vanish with the run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from flows.tasks.spool import Spool, SpooledList, sorted_spooled


@dataclass(frozen=True)
class Item:
    url: str
    rank: int


def test_a_spooled_list_reads_back_what_was_appended_in_order(tmp_path: Path) -> None:
    with Spool(tmp_path) as spool:
        items: SpooledList[Item] = SpooledList(spool)
        items.extend(Item(f"https://a.gov.cn/{i}", i % 3) for i in range(1000))
        assert len(items) == 1000 and bool(items)
        assert list(items)[:2] == [Item("https://a.gov.cn/0", 0), Item("https://a.gov.cn/1", 1)]
        assert items[-1] == Item("https://a.gov.cn/999", 0)
        assert [i.url for i in items[10:12]] == ["https://a.gov.cn/10", "https://a.gov.cn/11"]
        assert spool.size > 1000 * 20  # the items are in the file, not only in memory


def test_an_empty_spooled_list_is_falsy(tmp_path: Path) -> None:
    with Spool(tmp_path) as spool:
        assert not SpooledList(spool) and list(SpooledList(spool)) == []


def test_sorted_spooled_merges_lists_by_key_keeping_ties_in_arrival_order(tmp_path: Path) -> None:
    with Spool(tmp_path) as spool:
        first: SpooledList[Item] = SpooledList(spool)
        second: SpooledList[Item] = SpooledList(spool)
        first.extend([Item("b", 1), Item("a", 0), Item("c", 1)])
        second.extend([Item("d", 0), Item("e", 2)])
        merged = sorted_spooled([first, second], lambda i: i.rank, spool)
        assert [i.url for i in merged] == ["a", "d", "b", "c", "e"]
        assert [i.url for i in first] == ["b", "a", "c"]  # the inputs are untouched


def test_sorted_spooled_refuses_a_list_of_another_spool(tmp_path: Path) -> None:
    with Spool(tmp_path) as spool, Spool(tmp_path) as other:
        stray: SpooledList[Item] = SpooledList(other)
        stray.append(Item("x", 0))
        with pytest.raises(ValueError, match="spool"):
            sorted_spooled([stray], lambda i: i.rank, spool)


def test_the_spool_file_leaves_nothing_behind(tmp_path: Path) -> None:
    folder = tmp_path / "home"
    with Spool(folder) as spool:
        SpooledList(spool).append(Item("x", 0))
    assert list(folder.iterdir()) == []


class FullDisk:
    """A file on a disk with no space left (the fault: we cannot fill a real disk in a test)."""

    def __init__(self, file: object) -> None:
        self.file = file

    def write(self, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    def __getattr__(self, name: str) -> object:
        return getattr(self.file, name)


def test_records_the_disk_refuses_are_held_in_memory_and_none_is_lost(tmp_path: Path) -> None:
    with Spool(tmp_path) as spool:
        items: SpooledList[Item] = SpooledList(spool)
        items.append(Item("on-disk", 0))
        real = spool._file
        spool._file = FullDisk(real)  # type: ignore[assignment]
        items.extend([Item("held-1", 1), Item("held-2", 2)])
        spool._file = real
        items.append(Item("on-disk-again", 3))
        assert [i.url for i in items] == ["on-disk", "held-1", "held-2", "on-disk-again"]
        assert [i.url for i in sorted_spooled([items], lambda i: -i.rank, spool)] == [
            "on-disk-again",
            "held-2",
            "held-1",
            "on-disk",
        ]


def test_records_pickled_elsewhere_go_in_and_out_as_bytes_even_when_the_disk_refuses_them(tmp_path: Path) -> None:
    import pickle

    with Spool(tmp_path) as spool:
        offset = spool.put_pickled(pickle.dumps(Item("from-a-worker", 1)))
        assert spool.get(offset) == Item("from-a-worker", 1)
        assert pickle.loads(spool.get_pickled(offset)) == Item("from-a-worker", 1)
        real = spool._file
        spool._file = FullDisk(real)  # type: ignore[assignment]
        held = spool.put_pickled(pickle.dumps(Item("held", 2)))
        spool._file = real
        assert held < 0 and spool.get(held) == Item("held", 2)
        assert pickle.loads(spool.get_pickled(held)) == Item("held", 2)
