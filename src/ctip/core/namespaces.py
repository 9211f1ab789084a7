"""The URL namespaces of the staff application (``ctip/urls.py``): the pages an officer works
in, as against the public bulletin's. Its 404s skip the bulletin's redirects (decision 0083)
and are answered in the staff frame (decision 0086)."""

from __future__ import annotations

STAFF_NAMESPACES = frozenset({"core", "accounts", "api_tokens", "org", "audit", "outreach",
                              "community", "cases", "reports", "api"})
