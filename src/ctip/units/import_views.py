"""Importing branches and groups from a file: upload, preview, apply; and the template.

The steps are the pipeline's (``imports.views``): the preview keeps the file on the server
under a signed token, and "Import" queues the import of exactly those bytes as a background job
(checked once more there; nothing is saved if a row has become wrong).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from ctip.accounts.access import requires
from ctip.core.typing import AuthedRequest
from ctip.imports import views as import_views
from ctip.units import branch_import

TEMPLATE_NAME = "mau-nhap-chi-hoi"


def _page(request: HttpRequest, **context: Any) -> TemplateResponse:
    context.setdefault("plan", None)
    context.setdefault("file_error", "")
    context.setdefault("notice", "")
    context.setdefault("token", "")
    context.setdefault("check_token", "")
    context.update({
        "headers": branch_import.TEMPLATE_HEADERS,
        "max_mb": branch_import.MAX_FILE_BYTES // (1024 * 1024),
        "max_rows": branch_import.MAX_ROWS,
    })
    return TemplateResponse(request, "org/branch_import.html", context)


@require_http_methods(["GET", "POST"])
@requires("unit.manage")
def branch_import_page(request: AuthedRequest) -> HttpResponse:
    if request.method == "GET":
        return import_views.shown(_page, request, branch_import.KIND)
    return import_views.steps(_page, request, branch_import.KIND, reverse("org:tree"))


@require_http_methods(["GET"])
@requires("unit.manage")
def branch_import_template(request: AuthedRequest) -> HttpResponse:
    if request.GET.get("format") == "csv":
        response = HttpResponse(branch_import.template_csv(),
                                content_type="text/csv; charset=utf-8")
        filename = f"{TEMPLATE_NAME}.csv"
    else:
        response = HttpResponse(branch_import.template_xlsx(),
                                content_type=branch_import.XLSX_CONTENT_TYPE)
        filename = f"{TEMPLATE_NAME}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
