"""Sessions read from the shared cache, written to the database and the cache (decision 0060).

Reading the session row cost every signed-in request a query. This store keeps each session in
the cache that every ``ctip serve`` process shares (``CACHES["default"]``: the file cache of
one server, or Redis for several), together with the instant it expires, so a request reads
it without a query and an idle session ends at the same minute it would in the database. Every
save (a sign-in, the renewal once a minute, a sign-out) still writes the row first, then the
cache; a sign-out deletes both. The database stays the record: a session missing from the
cache (evicted, a cache restarted empty) is read from its row and put back. A cache that does
not answer is passed over when reading (the row decides); a write that it refuses deletes the
cached copy instead (or leaves the copy before the save, which allows no more than the row);
a sign-out it refuses fails, so that a signed-out session is never left in the cache (the
anonymous session a sign-in replaces is not a sign-out: the sign-in goes on, decision 0069).
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.core.cache import cache
from django.utils import timezone

log = logging.getLogger(__name__)

KEY_PREFIX = "ctip.session."


class SessionStore(DatabaseStore):
    @property
    def cache_key(self) -> str:
        return KEY_PREFIX + self._get_or_create_session_key()  # type: ignore[attr-defined]

    def _cache_get(self) -> Any:
        try:
            return cache.get(self.cache_key)
        except Exception:  # noqa: BLE001  (the row decides when the cache does not answer)
            log.warning("session cache not answering; reading the database", exc_info=True)
            return None

    def _cache_put(self, data: dict[str, Any], until: Any) -> None:
        age = int((until - timezone.now()).total_seconds())
        try:
            if age > 0:
                cache.set(self.cache_key, (data, until), age)
            else:
                cache.delete(self.cache_key)
            return
        except Exception:  # noqa: BLE001  (then no copy at all: the row decides)
            log.warning("session cache refused a write; dropping its copy", exc_info=True)
        try:
            cache.delete(self.cache_key)
        except Exception:  # noqa: BLE001
            # What may be left is the copy before this save: the same sign-in with an earlier
            # expiry or without the second step just passed, never more than the row allows.
            log.error("session cache not answering; its copy may be older than the row",
                      exc_info=True)

    def load(self) -> dict[str, Any]:
        if self.session_key is None:
            return {}
        entry = self._cache_get()
        if entry is not None:
            data, until = entry
            if until > timezone.now():
                return data  # type: ignore[no-any-return]
            self._session_key = None  # ended: as the database would answer
            return {}
        row = self._get_session_from_db()  # type: ignore[attr-defined]
        if row is None:
            return {}
        data = self.decode(row.session_data)
        self._cache_put(data, row.expire_date)
        return data

    def exists(self, session_key: str | None) -> bool:
        if session_key is None:
            return False
        try:
            if cache.get(KEY_PREFIX + session_key) is not None:
                return True
        except Exception:  # noqa: BLE001
            log.warning("session cache not answering; reading the database", exc_info=True)
        return super().exists(session_key)

    def save(self, must_create: bool = False) -> None:
        super().save(must_create=must_create)
        self._cache_put(self._session, self._saved_until)  # type: ignore[attr-defined]

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        row = super().create_model_instance(data)
        self._saved_until = row.expire_date  # what the row says, to the microsecond
        return row

    def delete(self, session_key: str | None = None, *, signed_in: bool = True) -> None:
        key = session_key if session_key is not None else self.session_key
        super().delete(session_key)
        if key is None:
            return
        try:
            cache.delete(KEY_PREFIX + key)
        except Exception:
            if signed_in:
                raise  # a sign-out the cache refuses fails, loudly
            # a copy of a session without anyone signed in opens nothing (decision 0069)
            log.warning("session cache not answering; an anonymous copy is left to expire",
                        exc_info=True)

    def cycle_key(self) -> None:
        """Django's: the data kept under a new key (at sign-in), the old key deleted. When no
        one was signed in under the old key, a cache that refuses to forget it does not stop
        the sign-in: its copy signs no one in, whoever holds the old key."""
        data = self._session  # type: ignore[attr-defined]
        key = self.session_key
        self.create()
        self._session_cache = data
        if key:
            self.delete(key, signed_in=SESSION_KEY in data)
