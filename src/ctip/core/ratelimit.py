"""Per-address limits for public forms and endpoints (the report form, the offer check).

The address is ``ctip.core.client.client_ip`` (behind the proxy, the real one), kept in the
cache only as a hash. A limit counts what the caller says counts (``count``): the report form
counts only reports that were stored, the offer check every check made.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest

from ctip.core.client import client_ip

logger = logging.getLogger("ctip.ratelimit")


@dataclass(frozen=True)
class Limit:
    """``allowed`` uses per caller in ``window`` seconds. A form's caller is its address
    (``key``, ``exceeded``, ``count``); the API's is its token (``spend``)."""

    prefix: str
    allowed: int
    window: int  # seconds

    def key_for(self, who: str) -> str:
        return f"{self.prefix}:" + hashlib.sha256(who.encode()).hexdigest()[:32]

    def key(self, request: HttpRequest) -> str:
        return self.key_for(client_ip(request) or "unknown")

    def exceeded(self, request: HttpRequest) -> bool:
        """Whether the client used up what the window allows. A cache that cannot be read
        limits nothing: a public form is never refused for want of its counter."""
        try:
            return int(cache.get(self.key(request), 0)) >= self.allowed
        except Exception:  # noqa: BLE001  (any cache backend's failure)
            logger.warning("limit %s: the counter could not be read", self.prefix,
                           exc_info=True)
            return False

    def count(self, request: HttpRequest) -> None:
        """Count one use. It follows what it counts (a report stored): a counter that cannot
        be written is logged, never turned into an error page for a write that was saved."""
        try:
            _add_one(self.key(request), self.window)
        except Exception:  # noqa: BLE001  (any cache backend's failure)
            logger.warning("limit %s: the use could not be counted", self.prefix,
                           exc_info=True)

    def spend(self, who: str, now: float | None = None) -> int:
        """Count one use by ``who`` in the current window, fixed on the clock (each starts at
        a multiple of ``window`` seconds). Over the limit, the seconds until the window ends
        (for ``Retry-After``); else 0."""
        now = time.time() if now is None else now
        start = int(now // self.window)
        used = _add_one(f"{self.key_for(who)}:{start}", self.window + 10)
        return self.window - int(now) % self.window if used > self.allowed else 0


def _add_one(key: str, timeout: int) -> int:
    """Add one to the counter at ``key`` (created with ``timeout``) and return it."""
    if cache.add(key, 1, timeout):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout)
        return 1
