"""The file cache of a single server (``CACHES["default"]`` without ``CTIP_CACHE_URL``),
counting its entries every ``COUNT_EVERY`` writes of a process instead of before every write
(decision 0066).

Django's ``FileBasedCache`` lists every file of its directory before each write to decide
whether to cull (drop a third of the entries once ``MAX_ENTRIES`` is reached). With thousands
of entries that listing was a quarter of the processor time of an article rendered afresh, and
a part of every signed-in request that writes its session. Here a process counts at its first
write and then every ``COUNT_EVERY`` writes (default 100), culling as Django does; between two
counts each process adds at most ``COUNT_EVERY`` entries, so the directory holds at most
``MAX_ENTRIES`` plus that many per process. Reads, expiry and the file format are Django's.

An entry read is also **known by its file's stat** afterwards (decision 0090): a process keeps
what it read (the value's pickled bytes, already decompressed, and the expiry) under the file's
inode, size, modification and change times, and a later read that finds the same four values
takes the bytes from memory instead of opening, reading and decompressing the file again. Every
signed-in request reads four entries (her session, her snapshot, its version and the tree).
The four values tell a changed file: Django writes an entry into a new file renamed over the
old one (a new inode), and ``touch`` rewrites it in place (a new modification time). A file
modified within ``SETTLED`` seconds of the read is not kept (as git does for its index): a
write in the same tick of the file system's clock could leave its times unchanged. The value
is unpickled on every read, so no caller shares an object with another. At most
``KNOWN_ENTRIES`` per process, the oldest dropped first.
"""

from __future__ import annotations

import os
import pickle
import time
import zlib
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache as DjangoFileBasedCache

#: seconds since its last change after which a file read is kept in memory
SETTLED = 2.0
#: entries known by their stat per process
KNOWN_ENTRIES = 1024


def _signature(stat: os.stat_result) -> tuple[int, int, int, int]:
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


class FileBasedCache(DjangoFileBasedCache):
    def __init__(self, dir: str, params: dict[str, Any]) -> None:  # noqa: A002  (Django's name)
        super().__init__(dir, params)
        self._count_every = max(1, int(params.get("OPTIONS", {}).get("COUNT_EVERY", 100)))
        self._writes = 0
        self._known: dict[str, tuple[tuple[int, int, int, int], float | None, bytes]] = {}

    def _cull(self) -> None:
        due = self._writes % self._count_every == 0
        self._writes += 1
        if due:
            super()._cull()  # type: ignore[misc]  # private in the stubs

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        fname = self._key_to_file(key, version)  # type: ignore[attr-defined]  # private in the stubs
        known = self._known.get(fname)
        if known is not None:
            try:
                same = _signature(os.stat(fname)) == known[0]
            except FileNotFoundError:
                same = False
            if same and (known[1] is None or known[1] >= time.time()):
                return pickle.loads(known[2])  # noqa: S301  (this cache's own file, as Django)
            self._known.pop(fname, None)
        try:
            with open(fname, "rb") as f:
                stat = os.fstat(f.fileno())
                expiry = pickle.load(f)  # noqa: S301  (as Django's own read)
                if expiry is not None and expiry < time.time():
                    return super().get(key, default, version)  # Django deletes it
                data = zlib.decompress(f.read())
        except FileNotFoundError:
            return default
        if time.time() - stat.st_mtime > SETTLED:
            if len(self._known) >= KNOWN_ENTRIES:
                try:  # another thread may have dropped it first
                    del self._known[next(iter(self._known))]
                except (KeyError, RuntimeError, StopIteration):
                    pass
            self._known[fname] = (_signature(stat), expiry, data)
        return pickle.loads(data)  # noqa: S301  (as Django's own read)

    def set(self, key: str, value: Any, timeout: float | None = DEFAULT_TIMEOUT,
            version: int | None = None) -> None:
        self._known.pop(self._key_to_file(key, version), None)  # type: ignore[attr-defined]
        super().set(key, value, timeout, version)

    def delete(self, key: str, version: int | None = None) -> bool:
        self._known.pop(self._key_to_file(key, version), None)  # type: ignore[attr-defined]
        return super().delete(key, version)

    def clear(self) -> None:
        self._known.clear()
        super().clear()
