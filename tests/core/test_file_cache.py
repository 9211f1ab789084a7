"""The file cache of a single server (no ``CTIP_CACHE_URL``) counts its entries now and then,
not on every write (decision 0066): Django's counts every file of the directory before each
write, which was a quarter of the processor time of an article not yet cached. The directory
still stays within ``MAX_ENTRIES`` plus ``COUNT_EVERY`` writes per process. An entry read is
known by its file's stat afterwards, and every change another process makes is still seen at
once (decision 0090)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.cache.backends.base import CacheKeyWarning
from django.core.cache.backends.filebased import FileBasedCache as DjangoFileBasedCache

from ctip.core import filecache
from ctip.core.filecache import FileBasedCache


def entries(directory: Path) -> int:
    return len(list(directory.glob("*.djcache")))


def test_the_directory_is_counted_every_so_many_writes_and_stays_bounded(tmp_path: Path) -> None:
    cache = FileBasedCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 20, "COUNT_EVERY": 5}})
    counted = 0
    real = cache._list_cache_files

    def counting() -> Any:
        nonlocal counted
        counted += 1
        return real()

    with mock.patch.object(cache, "_list_cache_files", counting):
        for n in range(100):
            cache.set(f"page-{n}", "x" * 10)
            assert entries(tmp_path) <= 20 + 5
    assert counted == 20  # the first write, then every fifth
    assert cache.get("page-99") == "x" * 10


def test_a_new_process_counts_at_its_first_write(tmp_path: Path) -> None:
    before = DjangoFileBasedCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 1000}})
    for n in range(30):
        before.set(f"old-{n}", n)
    cache = FileBasedCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 20}})
    cache.set("new", 1)
    assert entries(tmp_path) < 30
    assert cache.get("new") == 1


# --- An entry known by its file's stat (decision 0090) ---------------------------------------

class Clock:
    """The machine's clock, moved by ``offset`` seconds (Django's expiry reads it too)."""

    def __init__(self) -> None:
        self.real = time.time
        self.offset = 0.0

    def __call__(self) -> float:
        return self.real() + self.offset


@pytest.fixture
def clock() -> Any:
    moved = Clock()
    with mock.patch("time.time", moved):
        yield moved


def settle(clock: Clock) -> None:
    """A minute later: every file written so far has settled."""
    clock.offset += 60


def kept(cache: FileBasedCache, key: str) -> Any:
    return cache._known.get(cache._key_to_file(key))


def test_a_write_by_another_process_is_seen_at_once(tmp_path: Path, clock: Clock) -> None:
    ours = FileBasedCache(str(tmp_path), {})
    theirs = FileBasedCache(str(tmp_path), {})  # another process: its own memory
    theirs.set("snapshot", {"roles": ["viewer"]}, 3600)
    settle(clock)
    assert ours.get("snapshot") == {"roles": ["viewer"]}
    assert kept(ours, "snapshot") is not None  # read from memory from now on
    theirs.set("snapshot", {"roles": []}, 3600)  # a role revoked
    assert ours.get("snapshot") == {"roles": []}
    settle(clock)
    assert ours.get("snapshot") == {"roles": []}
    theirs.delete("snapshot")
    assert ours.get("snapshot", "gone") == "gone"
    theirs.set("other", 1, 3600)
    settle(clock)
    assert ours.get("other") == 1
    theirs.clear()
    assert ours.get("other") is None


def test_a_value_of_the_same_size_rewritten_again_and_again_is_seen(tmp_path: Path,
                                                                     clock: Clock) -> None:
    """A version key: the same size every time, and the file system hands the two files'
    inodes back and forth; the times tell each write."""
    ours, theirs = FileBasedCache(str(tmp_path), {}), FileBasedCache(str(tmp_path), {})
    inodes = set()
    for n in range(6):
        theirs.set("version", f"{n:032x}", None)
        inodes.add(os.stat(ours._key_to_file("version")).st_ino)
        assert ours.get("version") == f"{n:032x}"
        settle(clock)
        assert ours.get("version") == f"{n:032x}"
        assert kept(ours, "version") is not None
    assert len(inodes) <= 6


def test_an_entry_touched_in_place_is_read_again(tmp_path: Path, clock: Clock) -> None:
    ours, theirs = FileBasedCache(str(tmp_path), {}), FileBasedCache(str(tmp_path), {})
    theirs.set("session", {"user": 7}, 3600)
    settle(clock)
    assert ours.get("session") == {"user": 7}
    inode = os.stat(ours._key_to_file("session")).st_ino
    assert theirs.touch("session", -1)  # rewritten in place (the same file): expired now
    assert os.stat(ours._key_to_file("session")).st_ino == inode
    assert ours.get("session") is None


def test_an_entry_kept_in_memory_still_expires(tmp_path: Path, clock: Clock) -> None:
    cache = FileBasedCache(str(tmp_path), {})
    cache.set("page", "html", 90)
    settle(clock)
    assert cache.get("page") == "html" and kept(cache, "page") is not None
    clock.offset += 31
    assert cache.get("page") is None
    assert not Path(cache._key_to_file("page")).exists()  # deleted, as Django does


def test_a_file_changed_within_the_settling_time_is_not_kept(tmp_path: Path,
                                                              clock: Clock) -> None:
    cache = FileBasedCache(str(tmp_path), {})
    cache.set("fresh", [1, 2], 3600)
    assert cache.get("fresh") == [1, 2]
    assert kept(cache, "fresh") is None  # its times may not show a change
    path = cache._key_to_file("fresh")
    os.utime(path, (time.time() - 3600, time.time() - 3600))  # old times, a new change time
    assert cache.get("fresh") == [1, 2] and kept(cache, "fresh") is None
    settle(clock)
    assert cache.get("fresh") == [1, 2] and kept(cache, "fresh") is not None


def test_a_kept_entry_is_read_again_after_a_while_and_when_the_clock_goes_back(
        tmp_path: Path, clock: Clock) -> None:
    cache = FileBasedCache(str(tmp_path), {})
    cache.set("tree", "v1", None)
    settle(clock)
    cache.get("tree")
    first = kept(cache, "tree")
    clock.offset += filecache.REUSE_SECONDS / 2
    assert cache.get("tree") == "v1" and kept(cache, "tree") is first  # from memory
    clock.offset += filecache.REUSE_SECONDS
    assert cache.get("tree") == "v1" and kept(cache, "tree") is not first  # read again
    again = kept(cache, "tree")
    clock.offset -= 5  # the clock set back: nothing kept is trusted
    assert cache.get("tree") == "v1" and kept(cache, "tree") is not again


def test_an_empty_file_is_a_miss_as_in_django(tmp_path: Path, clock: Clock) -> None:
    """A file left empty (a crash before the data reached the disk) reads as missing and is
    deleted; the page asking is not an error."""
    cache = FileBasedCache(str(tmp_path), {})
    cache.set("bulletin-version", "v", None)
    path = Path(cache._key_to_file("bulletin-version"))
    path.write_bytes(b"")
    assert cache.get("bulletin-version", "default") == "default"
    assert not path.exists()
    assert cache.get_many(["bulletin-version"]) == {}


def test_each_read_gives_its_own_object_and_what_is_known_is_bounded(tmp_path: Path,
                                                                      clock: Clock) -> None:
    cache = FileBasedCache(str(tmp_path), {})
    cache.set("session", {"basket": []}, 3600)
    settle(clock)
    cache.get("session")["basket"].append("changed, not saved")
    assert cache.get("session") == {"basket": []}
    with mock.patch.multiple(filecache, KNOWN_BYTES=5000, KNOWN_ENTRY_BYTES=2000):
        for n in range(8):
            cache.set(f"k{n}", "x" * 1000, 3600)
        cache.set("big", "y" * 3000, 3600)
        settle(clock)
        for n in range(8):
            assert cache.get(f"k{n}") == "x" * 1000
        assert cache.get("big") == "y" * 3000 and kept(cache, "big") is None
        assert 0 < cache._known_bytes <= 5000
        assert cache._known_bytes == sum(len(k.data) for k in cache._known.values())


def test_a_keys_file_is_djangos_and_worked_out_once(tmp_path: Path) -> None:
    """The file of a key (its digest after the key is made and checked) is remembered per key
    and version: the same file as Django's, the digest made once, the table bounded."""
    ours = FileBasedCache(str(tmp_path), {"KEY_PREFIX": "ctip-x"})
    django = DjangoFileBasedCache(str(tmp_path), {"KEY_PREFIX": "ctip-x"})
    keys = [("phiên", None), ("phiên", 2), ("home:duties:ab", None), ("a" * 200, None)]
    for key, version in keys:
        assert ours._key_to_file(key, version) == django._key_to_file(key, version)
    with mock.patch.object(ours, "make_and_validate_key", wraps=ours.make_and_validate_key) as made:
        for _ in range(3):
            for key, version in keys:
                ours._key_to_file(key, version)
    assert made.call_count == 0
    ours.set("phiên", "giá trị")
    assert django.get("phiên") == "giá trị" and ours.get("phiên") == "giá trị"
    with mock.patch.object(filecache, "NAMES", 3):
        for n in range(10):
            ours._key_to_file(f"k{n}")
        assert len(ours._names) <= 3
    # a long key (a session's, from a cookie a request sent) is not remembered
    ours._names.clear()
    long = "ctip.session." + "x" * 300
    with pytest.warns(CacheKeyWarning):  # Django's check, made on every read of such a key
        assert ours._key_to_file(long) == django._key_to_file(long)
    assert ours._names == {}
