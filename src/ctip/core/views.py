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

    notifications = Notification.objects.filter(user=request.user).order_by("-created_at")[:5]
    return TemplateResponse(request, "core/home.html", {
        "overview": home_overview(request.user), "notifications": notifications,
        "tasks": home_tasks(request.user)})


@require_GET
@public
def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
