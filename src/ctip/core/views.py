from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from ctip.accounts.access import public, signed_in
from ctip.accounts.selectors import home_overview
from ctip.core.typing import AuthedRequest


@require_GET
@signed_in
def home(request: AuthedRequest) -> HttpResponse:
    from ctip.cases.models import Notification
    from ctip.cases.policy import home_tasks
    from ctip.portal.selectors import cms_work

    notifications = Notification.objects.filter(user=request.user).order_by("-created_at")[:5]
    return TemplateResponse(request, "core/home.html", {
        "overview": home_overview(request.user), "notifications": notifications,
        "tasks": home_tasks(request.user), "cms": cms_work(request.user)})


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
