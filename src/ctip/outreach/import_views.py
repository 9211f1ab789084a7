"""Importing activities from a file: upload and check, then import; and the template.

The pipeline is ``imports.pipeline``: the check (preview) keeps the file on the server under a
signed token (``imports.stash``), and "Import" queues the import of exactly those bytes as a
background job (``imports.start_job``), whose page shows its progress and its end. The preview
offers the candidates of a value that names several units (a commune divided in 2025); the
officer's choices are sent back with the next check and with the import, and hold for every
row with the same value.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from ctip.accounts.access import requires
from ctip.accounts.policy import NotInScope
from ctip.audit.models import AuditEvent
from ctip.core.errors import ActionError
from ctip.core.typing import AuthedRequest
from ctip.imports import views as import_views
from ctip.outreach import activity_import as importer
from ctip.outreach.actions import undo_activity_import
from ctip.outreach.activity_import import ImportPlan

TEMPLATE_NAME = "mau-nhap-hoat-dong"
RECENT_IMPORTS = 5  # the person's own imports offered for undoing
PREVIEW_OK_ROWS = 200  # rows without remarks shown on the check page; every problem is shown


# --- Pages ----------------------------------------------------------------------------------


def _shown_rows(plan: ImportPlan) -> tuple[list[Any], int]:
    """Every row with an error, a duplicate or a remark, and the first plain rows."""
    shown, hidden, plain = [], 0, 0
    for row in plan.rows:
        if row.status != importer.OK or row.remarks:
            shown.append(row)
        elif plain < PREVIEW_OK_ROWS:
            shown.append(row)
            plain += 1
        else:
            hidden += 1
    return shown, hidden


def _page(request: HttpRequest, **context: Any) -> TemplateResponse:
    context.setdefault("plan", None)
    context.setdefault("token", "")
    context.setdefault("check_token", "")
    context.setdefault("file_error", "")
    context.setdefault("notice", "")
    plan = context["plan"]
    context["rows"], context["hidden_rows"] = _shown_rows(plan) if plan else ([], 0)
    recent = import_views.with_count(list(
        AuditEvent.objects.filter(action="activity.imported", actor_id=request.user.pk)
        .order_by("-occurred_at", "-pk")[:RECENT_IMPORTS]))
    undone = set(AuditEvent.objects.filter(
        action="activity.import_undone", changes__event__in=[e.pk for e in recent])
        .values_list("changes__event", flat=True)) if recent else set()
    context.update({
        "recent_imports": recent,
        "undone": undone,
        "headers": importer.TEMPLATE_HEADERS,
        "max_mb": importer.MAX_FILE_BYTES // (1024 * 1024),
        "max_rows": importer.MAX_ROWS,
    })
    return TemplateResponse(request, "outreach/activity_import.html", context)


def _undo(request: HttpRequest) -> HttpResponse:
    try:
        event_id = int(request.POST.get("event", ""))
    except ValueError:
        raise Http404 from None
    try:
        deleted = undo_activity_import(actor=request.user, event_id=event_id)
    except NotInScope:
        raise Http404 from None
    except ActionError as exc:
        return _page(request, file_error=exc.message)
    messages.success(request, ngettext(
        "Import undone: %(n)d activity deleted.", "Import undone: %(n)d activities deleted.",
        deleted) % {"n": deleted})
    return redirect("outreach:activity_import")


@require_http_methods(["GET", "POST"])
@requires("activity.manage")
def activity_import(request: AuthedRequest) -> HttpResponse:
    if request.method == "GET":
        return import_views.shown(_page, request, importer.KIND)
    if "undo" in request.POST:
        return _undo(request)
    return import_views.steps(_page, request, importer.KIND,
                              reverse("outreach:activity_list"))


@require_http_methods(["GET"])
@requires("activity.manage")
def activity_import_template(request: AuthedRequest) -> HttpResponse:
    response = HttpResponse(importer.template_xlsx(request.user),
                            content_type=importer.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{TEMPLATE_NAME}.xlsx"'
    return response
