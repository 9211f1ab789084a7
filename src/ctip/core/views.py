from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from ctip.accounts.access import public, signed_in
from ctip.core.errors import NotInScope
from ctip.core.typing import AuthedRequest


@require_GET
@public
def healthz(request: HttpRequest) -> HttpResponse:
    """For monitoring, public: the database answers, the worker's last heartbeat and the age
    of the oldest queued task (seconds), nothing else. 503 when the worker has been silent
    longer than ``CTIP_HEALTH_WORKER_SECONDS`` or a task has waited longer than
    ``CTIP_HEALTH_QUEUE_SECONDS``."""
    from ctip.core.health import health

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    state = health()
    response = JsonResponse({
        "status": "ok" if state.ok else "unhealthy",
        "worker_heartbeat_age": state.worker_age,
        "oldest_queued_task_age": state.queue_age,
    }, status=200 if state.ok else 503)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@signed_in
def import_job(request: AuthedRequest, pk: int) -> HttpResponse:
    """An import running in the background: its progress while it runs (the page reloads
    itself every few seconds, without JavaScript), then how it ended. The person's own jobs
    only; 404 for anyone else's, recorded as a refusal."""
    from ctip.core.imports import kind
    from ctip.core.models import ImportJob

    job = get_object_or_404(ImportJob, pk=pk)
    if job.owner_id != request.user.pk:
        raise NotInScope("another person's import")
    try:
        page = kind(job.kind).page
    except KeyError:
        page = ""
    if job.status == job.Status.PREVIEWED and page:  # the check is ready: show it
        return redirect(f"{reverse(page)}?job={job.pk}")
    response = TemplateResponse(request, "core/import_job.html", {
        "job": job, "page": page, "refresh": IMPORT_REFRESH_SECONDS})
    response["Cache-Control"] = "no-store"
    return response


IMPORT_REFRESH_SECONDS = 3
