"""Values kept in the shared cache under a key that names everything they were made from,
remembered by the process too (decision 0101).

The staff home's cards are kept in the shared cache under their inputs: the viewer's roles,
the data versions of her units, the date, the language, the shape of the values (decisions
0092, 0094). A key made of all its inputs always gives the same value; a write anywhere they
come from gives a new version and so a new key. What a process read under such a key it may
therefore use again without asking the shared cache: that read, the file's ``stat``, the
unpickling of the cards and the digest of the key were a sixth of the processor time of the
home page.

Two things still end an entry, and bound how long a process remembers one
(``SECONDS``): the shared cache's own lifetime for the value (the cards' ``CARDS_TIMEOUT``,
after which a write that no trigger marked is shown: remembered at most ``SECONDS`` more), and
a cache emptied by ``ctip caches empty`` or a restore (the servers are stopped for a restore;
a process that was not forgets within ``SECONDS``). At most ``SIZE`` entries per table, the
oldest dropped first. The values are shared by the requests of the process, and so by every
viewer the same key serves: they must never be changed in place (the cards are ``shell.Frozen``,
made once and only read; a page that wants to change one makes its own copy).
"""

from __future__ import annotations

import hashlib
import threading
import time
import weakref
from collections.abc import Hashable
from typing import Any

from django.core.cache import cache

#: seconds a process uses what it remembered, at most
SECONDS = 10.0
#: entries remembered per table, at most
SIZE = 1024

_tables: weakref.WeakSet[Remembered] = weakref.WeakSet()
_clock = time.monotonic  # the tables' own, so that a test moves theirs alone


def forget_all() -> None:
    """Forget what every table of this process remembers (the shared cache was emptied)."""
    for table in list(_tables):
        table.forget()


class Remembered:
    """One process's table of values read from the shared cache under a full key.

    ``read`` and ``store`` go through the shared cache: the value is kept there under
    ``prefix`` and the digest of its inputs, and remembered here under the inputs themselves
    (the digest is worked out only when the shared cache is asked). ``get`` and ``keep`` are
    the table alone."""

    def __init__(self, prefix: str = "", seconds: float = SECONDS, size: int = SIZE) -> None:
        self.prefix = prefix
        self.seconds = seconds
        self.size = size
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        _tables.add(self)

    def get(self, key: Hashable) -> Any | None:
        """The value remembered under ``key``, or ``None``."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        until, value = entry
        if _clock() < until:
            return value
        with self._lock:
            if self._entries.get(key) is entry:
                del self._entries[key]
        return None

    def keep(self, key: Hashable, value: Any) -> None:
        """Remember ``value`` (as read from, or written to, the shared cache) under ``key``."""
        with self._lock:
            self._entries.pop(key, None)
            while len(self._entries) >= self.size:
                del self._entries[next(iter(self._entries))]
            self._entries[key] = (_clock() + self.seconds, value)

    def key(self, inputs: Hashable) -> str:
        """The shared cache's key for a value made from ``inputs``."""
        return self.prefix + hashlib.sha256(repr(inputs).encode()).hexdigest()

    def read(self, inputs: Hashable) -> Any | None:
        """The value made from ``inputs``: remembered, else the shared cache's (remembered
        from then on), else ``None``."""
        value = self.get(inputs)
        if value is None:
            value = cache.get(self.key(inputs))
            if value is not None:
                self.keep(inputs, value)
        return value

    def store(self, inputs: Hashable, value: Any, timeout: float | None) -> None:
        """Keep ``value``, made from ``inputs``, in the shared cache for ``timeout`` seconds
        and remember it."""
        cache.set(self.key(inputs), value, timeout)
        self.keep(inputs, value)

    def forget(self) -> None:
        with self._lock:
            self._entries.clear()
