"""The NinjaAPI at ``/api/v1/``: one instance, routers added by the apps.

Another app adds its routes with ``api.add_router("/public", router)`` (before the URLs are
built, i.e. in ``ctip/api/main.py`` below). Every operation declares its access with
``auth=needs(...)`` (``api.auth``), or ``auth=None`` plus ``public_operation`` for an operation
open to anyone; ``api.urls`` then stamps each URL with the access the URL walker test reads.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from ninja import NinjaAPI
from ninja.openapi.docs import DocsBase

from ctip.accounts.access import public
from ctip.api import activities, campaigns, catalogues, errors, org, reports, situations
from ctip.offers import api as offers_api

DESCRIPTION = """The machine interface of ctip for partner systems and the field app.

Authenticate with a personal access token (`Authorization: Bearer ctip_…`, created on the
profile page or with `ctip tokens create`), or with the site's session and the `X-CSRFToken`
header. Errors are `application/problem+json` with a Vietnamese message. Creates carry a
client-made `uuid`: sending it again answers with the first record. Updates and deletes need
`If-Match` with the record's `ETag`; a stale one answers 409 with the current record.
See docs/api.md."""


class CtipApi(NinjaAPI):
    """The main API; its schema also lists the operations of the small APIs mounted beside it
    (the public offer check at ``/api/v1/public/``, which keeps its own address and answers)."""

    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict[str, Any] | None = None) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        beside = offers_api.offer_api().get_openapi_schema(path_prefix=offers_api.PREFIX)
        for path, operations in beside["paths"].items():
            if path in schema["paths"]:  # pragma: no cover - a clash is a programming error
                raise ValueError(f"{path} is served twice")
            schema["paths"][path] = operations
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, definition in beside.get("components", {}).get("schemas", {}).items():
            if components.get(name, definition) != definition:  # pragma: no cover
                raise ValueError(f"two different schemas are named {name}")
            components[name] = definition
        return schema


class LocalDocs(DocsBase):
    """Swagger UI from the files shipped with django-ninja (served by our static files, no CDN),
    under the strict CSP: no inline script, the settings read from a JSON block."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        settings = {"url": self.get_openapi_url(api, kwargs), "layout": "BaseLayout",
                    "deepLinking": True}
        return TemplateResponse(request, "api/docs.html",
                                {"api": api, "swagger_settings": json.dumps(settings)})


api = CtipApi(
    title="ctip API", version="1", description=DESCRIPTION, urls_namespace="api",
    docs=LocalDocs(), docs_url="/docs", openapi_url="/openapi.json", docs_decorator=public,
)
errors.install(api)
api.add_router("", org.router)
api.add_router("", catalogues.router)
api.add_router("", activities.router)
api.add_router("", campaigns.router)
api.add_router("", situations.router)
api.add_router("", reports.router)
