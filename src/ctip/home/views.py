"""The staff home page: the viewer's work list (``home.worklist``) and her latest
notifications, each with a link to act."""

from __future__ import annotations

from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ctip.accounts.access import signed_in
from ctip.accounts.policy import grants_of
from ctip.cases.models import Notification
from ctip.core.prepared import PreparedQuery
from ctip.core.typing import AuthedRequest
from ctip.home.worklist import work_list

#: her five newest notifications, by a query compiled once per process (decision 0071)
latest_notifications = PreparedQuery(lambda user_id: Notification.objects.filter(
    user_id=user_id).only("pk", "title", "body", "url", "created_at").order_by(
    "-created_at", "-pk")[:5])


@require_GET
@signed_in
def home(request: AuthedRequest) -> HttpResponse:
    now = timezone.now()
    return TemplateResponse(request, "home/home.html", {
        "work": work_list(request.user, now), "today": timezone.localdate(now),
        "notifications": latest_notifications(request.user.pk),
        "has_roles": bool(grants_of(request.user))})
