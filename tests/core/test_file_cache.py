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

from django.core.cache.backends.filebased import FileBasedCache as DjangoFileBasedCache

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

def settle(cache: FileBasedCache, key: str) -> None:
    """As if the entry had been written a minute ago (a file is kept once it is settled)."""
    path = cache._key_to_file(key)
    past = time.time() - 60
    os.utime(path, (past, past))


def test_a_write_by_another_process_is_seen_at_once(tmp_path: Path) -> None:
    ours = FileBasedCache(str(tmp_path), {})
    theirs = FileBasedCache(str(tmp_path), {})  # another process: its own memory
    theirs.set("snapshot", {"roles": ["viewer"]}, 3600)
    settle(ours, "snapshot")
    assert ours.get("snapshot") == {"roles": ["viewer"]}
    assert ours._key_to_file("snapshot") in ours._known  # read from memory from now on
    theirs.set("snapshot", {"roles": []}, 3600)  # a role revoked
    assert ours.get("snapshot") == {"roles": []}
    settle(ours, "snapshot")
    assert ours.get("snapshot") == {"roles": []}
    theirs.delete("snapshot")
    assert ours.get("snapshot", "gone") == "gone"
    theirs.set("other", 1, 3600)
    settle(ours, "other")
    assert ours.get("other") == 1
    theirs.clear()
    assert ours.get("other") is None


def test_an_entry_touched_in_place_is_read_again(tmp_path: Path) -> None:
    ours, theirs = FileBasedCache(str(tmp_path), {}), FileBasedCache(str(tmp_path), {})
    theirs.set("session", {"user": 7}, 3600)
    settle(ours, "session")
    assert ours.get("session") == {"user": 7}
    inode = os.stat(ours._key_to_file("session")).st_ino
    assert theirs.touch("session", -1)  # rewritten in place (the same file): expired now
    assert os.stat(ours._key_to_file("session")).st_ino == inode
    assert ours.get("session") is None


def test_an_entry_kept_in_memory_still_expires(tmp_path: Path) -> None:
    cache = FileBasedCache(str(tmp_path), {})
    cache.set("page", "html", 30)
    settle(cache, "page")
    assert cache.get("page") == "html"
    later = time.time() + 31
    with mock.patch("time.time", return_value=later):
        assert cache.get("page") is None
    assert not Path(cache._key_to_file("page")).exists()  # deleted, as Django does


def test_a_file_changed_within_the_settling_time_is_not_kept(tmp_path: Path) -> None:
    cache = FileBasedCache(str(tmp_path), {})
    cache.set("fresh", [1, 2], 3600)
    assert cache.get("fresh") == [1, 2]
    assert cache._key_to_file("fresh") not in cache._known  # its times may not show a change


def test_each_read_gives_its_own_object_and_what_is_known_is_bounded(tmp_path: Path) -> None:
    cache = FileBasedCache(str(tmp_path), {})
    cache.set("session", {"basket": []}, 3600)
    settle(cache, "session")
    cache.get("session")["basket"].append("changed, not saved")
    assert cache.get("session") == {"basket": []}
    with mock.patch("ctip.core.filecache.KNOWN_ENTRIES", 5):
        for n in range(8):
            cache.set(f"k{n}", n, 3600)
            settle(cache, f"k{n}")
            assert cache.get(f"k{n}") == n
        assert len(cache._known) == 5
