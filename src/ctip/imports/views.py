"""The pages of the import pipeline (``imports.pipeline``): the steps every kind shares, and a
page for the kinds without one of their own (club member lists).

A preview keeps its file under a signed token; the choices made among candidates come back as
pairs of fields ``value-N`` / ``choice-N``; "Import" queues the job and shows its page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from ctip.accounts.access import requires, signed_in
from ctip.accounts.policy import NotInScope
from ctip.core.errors import ActionError
from ctip.core.htmx import render_page, unchanged
from ctip.core.models import ImportJob
from ctip.core.spreadsheets import FileError, read_upload
from ctip.core.typing import AuthedRequest
from ctip.imports import pipeline as imports

MAX_CHOICES = 500  # values with candidates a form may carry
Page = Callable[..., HttpResponse]


def choices_from(request: HttpRequest) -> imports.Choices:
    """The candidates chosen in the preview."""
    chosen = {}
    for n in range(MAX_CHOICES):
        value = request.POST.get(f"value-{n}")
        if value is None:
            break
        choice = request.POST.get(f"choice-{n}", "")
        if value and choice.isdigit():
            chosen[value[:300]] = choice
    return imports.Choices(chosen)


def _ready(plan: Any) -> bool:
    return bool(plan.ok and getattr(plan, "to_import", len(plan.rows)))


def checked(page: Page, request: HttpRequest, plan: Any, token: str) -> HttpResponse:
    """The preview: the import offered only when every row is good; the token kept while
    candidates remain to be chosen (the next check needs no new upload)."""
    return page(request, plan=plan, token=token if _ready(plan) else "",
                check_token=token if plan.ambiguities else "")


def previewed(page: Page, request: HttpRequest, job: Any) -> HttpResponse:
    """Where a check's job leads: its plan on the import page once the worker is done, the
    job's page (its progress) while it runs, the reason when it failed."""
    if job.status == job.Status.PREVIEWED:
        plan = imports.preview_of(job)
        if plan is None:
            return expired(page, request)
        return checked(page, request, plan, str(job.result.get("token", "")))
    if job.status == job.Status.FAILED:
        return page(request, file_error=job.message)
    if job.status == job.Status.PREVIEWING:
        return redirect("core:import_job", pk=job.pk)
    return expired(page, request)  # imported, or being imported: not a check any more


def check(page: Page, request: HttpRequest, kind: imports.ImportKind) -> HttpResponse:
    """The uploaded file, previewed (in the background)."""
    upload = request.FILES.get("file")
    if upload is None:
        return page(request, file_error=_("Choose a file to import."))
    try:
        name, data = read_upload(upload, kind.max_bytes)
    except FileError as exc:
        return page(request, file_error=exc.message)
    job = imports.start_preview(kind, request.user, name=name, data=data)
    if job is None:
        return expired(page, request)
    return previewed(page, request, job)


def expired(page: Page, request: HttpRequest) -> HttpResponse:
    return page(request, file_error=_(
        "This check has expired or the file is no longer there. Choose the file and check "
        "it again."))


def recheck(page: Page, request: HttpRequest, kind: imports.ImportKind) -> HttpResponse:
    """The same file checked again with the candidates chosen."""
    job = imports.start_preview(kind, request.user, token=request.POST.get("token", ""),
                                choices=choices_from(request))
    if job is None:
        return expired(page, request)
    return previewed(page, request, job)


def shown(page: Page, request: HttpRequest, kind: imports.ImportKind) -> HttpResponse:
    """The GET of an import page: empty, or the check of the person's job ``?job=N`` (where
    the job's page leads when the worker is done); 404 for anyone else's job."""
    wanted = request.GET.get("job", "")
    if not wanted:
        return page(request)
    if not wanted.isdigit():
        raise Http404
    job = ImportJob.objects.filter(pk=int(wanted), owner_id=request.user.pk,
                                   kind=kind.name).first()
    if job is None:
        raise Http404
    return previewed(page, request, job)


def confirm(page: Page, request: HttpRequest, kind: imports.ImportKind,
            done_url: str) -> HttpResponse:
    """Queue the import; a job already finished (a small file, an immediate backend) goes
    straight to ``done_url`` with its summary, otherwise to the job's page."""
    job = imports.start_job(kind, request.user, request.POST.get("token", ""),
                            choices_from(request))
    if job is None:
        return expired(page, request)
    if job.status == job.Status.DONE:
        for line in job.result.get("lines", []):
            messages.success(request, line)
        return redirect(done_url)
    return redirect("core:import_job", pk=job.pk)


def steps(page: Page, request: HttpRequest, kind: imports.ImportKind,
          done_url: str) -> HttpResponse:
    """The POST of an import page: check a file (one is uploaded), import (a preview's
    token), or check again with choices."""
    if "apply" in request.POST and "file" not in request.FILES:
        return confirm(page, request, kind, done_url)
    if "recheck" in request.POST:
        return recheck(page, request, kind)
    return check(page, request, kind)


RECENT_IMPORTS = 5  # the person's own imports offered for undoing


def with_count(events: list[Any]) -> list[Any]:
    """Each import event with ``added``, the number of records it wrote, read from its changes
    (``added`` for the declared kinds, ``imported`` for activities; 0 when neither is there)."""
    for event in events:
        changes = event.changes if isinstance(event.changes, dict) else {}
        count = changes.get("added", changes.get("imported", 0))
        event.added = count if isinstance(count, int) else 0
    return events


def recent_imports(kind: imports.ImportKind, user: Any) -> tuple[list[Any], set[int]]:
    """The person's last imports of a kind that can be undone, and those already undone."""
    events = apps.get_model("audit", "AuditEvent").objects
    if kind.undo is None or not kind.imported_action:
        return [], set()
    recent = with_count(list(events.filter(action=kind.imported_action, actor_id=user.pk)
                             .order_by("-occurred_at", "-pk")[:RECENT_IMPORTS]))
    undone_action = kind.imported_action.replace(".imported", ".import_undone")
    undone = set(events.filter(
        action=undone_action, changes__event__in=[e.pk for e in recent])
        .values_list("changes__event", flat=True)) if recent else set()
    return recent, undone


def undo(page: Page, request: HttpRequest, kind: imports.ImportKind) -> HttpResponse:
    """Undo one of the person's imports as a whole (404 outside her scope)."""
    if kind.undo is None:
        raise Http404
    try:
        event_id = int(request.POST.get("event", ""))
    except ValueError:
        raise Http404 from None
    try:
        deleted = kind.undo(actor=request.user, event_id=event_id)
    except NotInScope:
        raise Http404 from None
    except ActionError as exc:
        return page(request, file_error=exc.message)
    messages.success(request, ngettext("Import undone: %(n)d record deleted.",
                                       "Import undone: %(n)d records deleted.", deleted)
                     % {"n": deleted})
    return redirect(request.path)


def kind_page(kind_name: str) -> Callable[..., HttpResponseBase]:
    """The import page of a kind without a page of its own (club member lists, situation
    registers, commendations): mount it in the kind's app; it requires the kind's
    capability, and offers to undo the person's recent imports when the kind can."""
    kind = imports.kind(kind_name)

    def page(request: HttpRequest, **context: Any) -> TemplateResponse:
        for key in ("plan", "token", "check_token", "file_error"):
            context.setdefault(key, "" if key != "plan" else None)
        context["recent_imports"], context["undone"] = recent_imports(kind, request.user)
        context.update({"kind": kind, "headers": list(kind.headers.values()),
                        "required": [kind.headers[f] for f in kind.required],
                        "max_mb": kind.max_bytes // (1024 * 1024), "max_rows": kind.max_rows})
        return TemplateResponse(request, "core/import_page.html", context)

    @require_http_methods(["GET", "POST"])
    @requires(kind.capability)
    def view(request: AuthedRequest) -> HttpResponse:
        if request.method == "GET":
            return shown(page, request, kind)
        if "undo" in request.POST:
            return undo(page, request, kind)
        return steps(page, request, kind, request.path)

    view.__name__ = f"{kind_name}_import"
    return view


@require_GET
@signed_in
def import_job(request: AuthedRequest, pk: int) -> HttpResponse:
    """An import running in the background: its progress while it runs (asked for again
    every few seconds by htmx, ``?poll=1``; without JavaScript, a link), then how it ended.
    The person's own jobs only; 404 for anyone else's, recorded as a refusal."""
    job = get_object_or_404(ImportJob, pk=pk)
    if job.owner_id != request.user.pk:
        raise NotInScope("another person's import")
    try:
        page = imports.kind(job.kind).page
    except KeyError:
        page = ""
    if job.status == job.Status.PREVIEWED and page:  # the check is ready: show it
        target = f"{reverse(page)}?job={job.pk}"
        if getattr(request, "htmx", False):  # the page asking for its progress: go there
            return HttpResponseClientRedirect(target)
        return redirect(target)
    state = f"{job.status}-{job.progress}"
    response = (HttpResponse(status=204) if unchanged(request, state) else render_page(
        request, "core/import_job.html", {"job": job, "page": page, "state": state,
                                          "refresh": IMPORT_REFRESH_SECONDS},
        partial="progress"))
    response["Cache-Control"] = "no-store"
    return response


IMPORT_REFRESH_SECONDS = 3
