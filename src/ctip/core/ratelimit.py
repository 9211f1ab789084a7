"""Per-address limits for public forms and endpoints (the report form, the offer check).

The address is ``ctip.core.client.client_ip`` (behind the proxy, the real one), kept in the
cache only as a hash. A limit counts what the caller says counts (``count``): the report form
counts only reports that were stored, the offer check every check made.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest

from ctip.core.client import client_ip


@dataclass(frozen=True)
class Limit:
    prefix: str
    allowed: int
    window: int  # seconds

    def key(self, request: HttpRequest) -> str:
        address = client_ip(request) or "unknown"
        return f"{self.prefix}:" + hashlib.sha256(address.encode()).hexdigest()[:32]

    def exceeded(self, request: HttpRequest) -> bool:
        """Whether the client used up what the window allows."""
        return int(cache.get(self.key(request), 0)) >= self.allowed

    def count(self, request: HttpRequest) -> None:
        key = self.key(request)
        cache.add(key, 0, self.window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, self.window)
