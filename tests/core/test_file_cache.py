"""The file cache of a single server (no ``CTIP_CACHE_URL``) counts its entries now and then,
not on every write (decision 0066): Django's counts every file of the directory before each
write, which was a quarter of the processor time of an article not yet cached. The directory
still stays within ``MAX_ENTRIES`` plus ``COUNT_EVERY`` writes per process."""

from __future__ import annotations

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
