"""The bulletin's redirects, looked up only for the bulletin's addresses (decision 0083).

Wagtail's ``RedirectMiddleware`` looks every 404 up in the publishers' redirects: it finds the
request's site, then queries the redirects, once for the path and again without its query
string. A 404 of the staff application (a record outside the officer's units, a page that does
not exist under ``/cases/``) is not a bulletin address that moved, and no redirect the
publishers keep applies to it. These answers are the most frequent 404s of the system, and
they skip the lookup.

Every other 404 is looked up as before: a bulletin page, a removed document, an address that
no pattern matches (``/index.php?id=5``).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponseBase
from wagtail.contrib.redirects.middleware import RedirectMiddleware

from ctip.core.namespaces import STAFF_NAMESPACES


class BulletinRedirectMiddleware(RedirectMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> Any:
        if response.status_code == 404:
            match = getattr(request, "resolver_match", None)
            if match is not None and STAFF_NAMESPACES.intersection(match.namespaces):
                return response
        return super().process_response(request, response)
