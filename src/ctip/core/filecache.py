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

An entry read is also **known by its file's stat** afterwards (decision 0090): the cache keeps
what it read (the value's pickled bytes, already decompressed, and the expiry) under the file's
inode, size, modification and change times, and a later read that finds the same four values
takes the bytes from memory instead of opening, reading and decompressing the file again. Every
signed-in request reads four entries (her session, her snapshot, its version and the tree).
The four values tell a changed file: Django writes an entry into a new file renamed over the
old one (new times, and mostly a new inode), and ``touch`` rewrites it in place (new times). A
file changed within ``SETTLED`` seconds of the read is not kept (as git does for its index): a
write in the same tick of the file system's clock could leave its times unchanged. A kept entry
is used for ``REUSE_SECONDS`` at most, and all are forgotten when the clock goes back. The value
is unpickled on every read, so no caller shares an object with another. At most
``KNOWN_BYTES`` per cache instance (Django gives each thread its own), the oldest dropped first;
an entry above ``KNOWN_ENTRY_BYTES`` is not kept. The directory must be on a local file system
(as Django's file cache itself): a network file system's ``stat`` can answer from its own cache.
"""

from __future__ import annotations

import os
import pickle
import time
import zlib
from dataclasses import dataclass
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache as DjangoFileBasedCache

#: seconds since its last change (of content or of metadata) after which a file read is kept
SETTLED = 2.0
#: seconds a kept entry is used before its file is read again, whatever its stat says: bounds
#: what a change its times could not show (a clock set back on a coarse file system) leaves
REUSE_SECONDS = 30.0
#: bytes kept at most per cache instance (Django gives each thread its own), and per entry
KNOWN_BYTES = 8 * 1024 * 1024
KNOWN_ENTRY_BYTES = 256 * 1024
#: keys whose file name a cache instance remembers, at most, and the longest remembered (a
#: session's key holds the cookie a request sent: 4,096 of 250 characters are about 1 MB)
NAMES = 4096
NAME_KEY_LENGTH = 250


def _signature(stat: os.stat_result) -> tuple[int, int, int, int]:
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


@dataclass(frozen=True)
class _Known:
    signature: tuple[int, int, int, int]
    expiry: float | None
    data: bytes  # the value pickled, decompressed
    until: float  # used until then at most


class FileBasedCache(DjangoFileBasedCache):
    def __init__(self, dir: str, params: dict[str, Any]) -> None:  # noqa: A002  (Django's name)
        super().__init__(dir, params)
        self._count_every = max(1, int(params.get("OPTIONS", {}).get("COUNT_EVERY", 100)))
        self._writes = 0
        self._known: dict[str, _Known] = {}
        self._known_bytes = 0
        self._latest = 0.0  # the latest time seen: the clock going back forgets what is kept
        self._names: dict[tuple[str, int | None], str] = {}  # ``_key_to_file``

    def _key_to_file(self, key: str, version: int | None = None) -> str:
        """Django's file name for ``key`` (its digest, after the key is made and checked),
        worked out once per key: a signed-in request reads the same few keys every time."""
        name = self._names.get((key, version))
        if name is None:
            name = super()._key_to_file(key, version)  # type: ignore[misc]  # private in the stubs
            if len(key) <= NAME_KEY_LENGTH:  # a key of a request's making stays small here
                if len(self._names) >= NAMES:
                    self._names.clear()
                self._names[(key, version)] = name
        return name  # type: ignore[no-any-return]

    def _cull(self) -> None:
        due = self._writes % self._count_every == 0
        self._writes += 1
        if due:
            super()._cull()  # type: ignore[misc]  # private in the stubs

    def _forget(self, fname: str) -> None:
        known = self._known.pop(fname, None)
        if known is not None:
            self._known_bytes -= len(known.data)

    def _forget_all(self) -> None:
        self._known.clear()
        self._known_bytes = 0

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        fname = self._key_to_file(key, version)
        now = time.time()
        if now < self._latest:
            self._forget_all()
        self._latest = now
        known = self._known.get(fname)
        if known is not None:
            try:
                same = _signature(os.stat(fname)) == known.signature
            except FileNotFoundError:
                same = False
            if same and now < known.until and (known.expiry is None or known.expiry >= now):
                return pickle.loads(known.data)  # noqa: S301  (this cache's own file, as Django)
            self._forget(fname)
        try:
            with open(fname, "rb") as f:
                stat = os.fstat(f.fileno())
                expiry = pickle.load(f)  # noqa: S301  (as Django's own read)
                if expiry is not None and expiry < time.time():
                    return super().get(key, default, version)  # Django deletes it
                data = zlib.decompress(f.read())
        except FileNotFoundError:
            return default
        except EOFError:  # an empty file: Django deletes it and answers the default
            return super().get(key, default, version)
        if now - max(stat.st_mtime, stat.st_ctime) > SETTLED and len(data) <= KNOWN_ENTRY_BYTES:
            while self._known and self._known_bytes + len(data) > KNOWN_BYTES:
                self._forget(next(iter(self._known)))
            self._known[fname] = _Known(_signature(stat), expiry, data, now + REUSE_SECONDS)
            self._known_bytes += len(data)
        return pickle.loads(data)  # noqa: S301  (as Django's own read)

    def set(self, key: str, value: Any, timeout: float | None = DEFAULT_TIMEOUT,
            version: int | None = None) -> None:
        self._forget(self._key_to_file(key, version))
        super().set(key, value, timeout, version)

    def delete(self, key: str, version: int | None = None) -> bool:
        self._forget(self._key_to_file(key, version))
        return super().delete(key, version)

    def clear(self) -> None:
        self._forget_all()
        super().clear()
