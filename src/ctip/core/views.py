from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.views import defaults
from django.views.decorators.http import require_GET

from ctip.core.access import public
from ctip.core.health import health
from ctip.core.namespaces import STAFF_NAMESPACES


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


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A page that is not there. A signed-in officer asking the staff application (a record
    that does not exist, or is outside her units: the same answer for both) stays in its frame,
    with her menu and a way back to her work; everyone else, and every other address, gets
    the bulletin's page. The JSON API answers its own 404s."""
    match = getattr(request, "resolver_match", None)
    staff = (match is not None and "api" not in match.namespaces
             and not STAFF_NAMESPACES.isdisjoint(match.namespaces))
    # the namespace first: a bulletin reader's 404 never loads a session to find its user
    user = getattr(request, "user", None) if staff else None
    if user is not None and user.is_authenticated:
        response = TemplateResponse(request, "core/404.html", status=404)
        response.render()
        return response
    return defaults.page_not_found(request, exception)
