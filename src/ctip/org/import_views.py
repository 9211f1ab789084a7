"""Importing branches and groups from a file: upload, preview, apply; and the template.

Stateless: the preview shows what the file would do; to import, the person chooses the same file
again and presses "Import". The file is checked once more then, and refused if it is not the
file that was previewed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ctip.accounts.access import requires
from ctip.core.errors import ActionError
from ctip.core.typing import AuthedRequest
from ctip.org import branch_import
from ctip.org.branch_import import ImportFailed, ImportPlan

TEMPLATE_NAME = "mau-nhap-chi-hoi"


def _page(request: HttpRequest, **context: Any) -> TemplateResponse:
    context.setdefault("plan", None)
    context.setdefault("file_error", "")
    context.setdefault("notice", "")
    context.update({
        "headers": branch_import.TEMPLATE_HEADERS,
        "max_mb": branch_import.MAX_FILE_BYTES // (1024 * 1024),
        "max_rows": branch_import.MAX_ROWS,
    })
    return TemplateResponse(request, "org/branch_import.html", context)


def _failed_plan(plan: ImportPlan, exc: ImportFailed) -> ImportPlan:
    plan.errors = exc.errors
    error_rows = set(plan.error_rows)
    for row in plan.rows:
        row.has_error = row.row in error_rows
    return plan


@require_http_methods(["GET", "POST"])
@requires("unit.manage")
def branch_import_page(request: AuthedRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request)
    upload = request.FILES.get("file")
    if upload is None:
        return _page(request, file_error=_("Choose a file to import."))
    plan = branch_import.plan_import(request.user, upload)
    if "apply" not in request.POST or not plan.ok:
        return _page(request, plan=plan)
    if request.POST.get("digest", "") != plan.digest:
        return _page(request, plan=plan, notice=_(
            "This is not the file you checked. Check this preview, then import again."))
    try:
        result = branch_import.apply_import(request.user, upload)
    except ImportFailed as exc:
        return _page(request, plan=_failed_plan(plan, exc))
    except ActionError as exc:
        return _page(request, plan=plan, file_error=exc.message)
    for line in branch_import.summary(result):
        messages.success(request, line)
    return redirect("org:tree")


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
