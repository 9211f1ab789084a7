from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from ctip.core.access import public
from ctip.core.health import health


@require_GET
@public
def healthz(request: HttpRequest) -> HttpResponse:
    """For monitoring, public: the database answers, the worker's last heartbeat and the age
    of the oldest queued task (seconds), nothing else. 503 when the worker has been silent
    longer than ``CTIP_HEALTH_WORKER_SECONDS`` or a task has waited longer than
    ``CTIP_HEALTH_QUEUE_SECONDS``."""
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
