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
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.filebased import FileBasedCache as DjangoFileBasedCache


class FileBasedCache(DjangoFileBasedCache):
    def __init__(self, dir: str, params: dict[str, Any]) -> None:  # noqa: A002  (Django's name)
        super().__init__(dir, params)
        self._count_every = max(1, int(params.get("OPTIONS", {}).get("COUNT_EVERY", 100)))
        self._writes = 0

    def _cull(self) -> None:
        due = self._writes % self._count_every == 0
        self._writes += 1
        if due:
            super()._cull()  # type: ignore[misc]  # private in the stubs
