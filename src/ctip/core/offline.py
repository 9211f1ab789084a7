"""The staff site as an installable web app that keeps working without a connection
(decision record 0035).

- ``service_worker`` answers ``/sw.js`` from the site root, so that the worker's scope is the
  whole site. The script is a static file (``ctip/js/sw.js``); this view only serves it from the
  root with ``Service-Worker-Allowed: /`` and ``no-cache`` (a new version is picked up at once).
- ``manifest`` answers ``/manifest.webmanifest``. Both are public: the browser fetches them
  without the session cookie.

What is kept on the device and what never is: see ``ctip/js/sw.js`` (the pages and answers it
caches, an allow-list) and ``ctip/js/offline.js`` (the queue of activities, which hold no
person's identity).
"""

from __future__ import annotations

import json

from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ctip.core.access import public

SW_STATIC = "ctip/js/sw.js"


@require_GET
@public
def service_worker(request: HttpRequest) -> HttpResponse:
    found = finders.find(SW_STATIC)
    if not found:  # pragma: no cover - a broken installation
        raise Http404
    path = found if isinstance(found, str) else found[0]
    with open(path, encoding="utf-8") as script:
        body = script.read()
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
@public
def manifest(request: HttpRequest) -> HttpResponse:
    data = {
        "name": _("Anti-trafficking programme"),
        "short_name": _("CTIP"),
        "lang": getattr(request, "LANGUAGE_CODE", "vi"),
        "start_url": reverse("outreach:activity_create"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#8a1538",
        "icons": [
            {"src": static(f"ctip/icons/icon-{size}.png"), "sizes": f"{size}x{size}",
             "type": "image/png", "purpose": "any maskable"}
            for size in (192, 512)
        ],
    }
    response = HttpResponse(json.dumps(data, ensure_ascii=False),
                            content_type="application/manifest+json; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
