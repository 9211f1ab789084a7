"""The staff home page: the viewer's work list (``home.worklist``) and her latest
notifications, each with a link to act. The page is rendered once per set of the values it
shows and kept (``accounts.kept``, decision 0092)."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ctip.accounts.access import signed_in
from ctip.accounts.kept import render_kept
from ctip.accounts.policy import grants_of
from ctip.cases.models import Notification
from ctip.core.prepared import PreparedQuery
from ctip.core.typing import AuthedRequest
from ctip.home import worklist

#: her five newest notifications, by a query compiled once per process (decision 0071)
latest_notifications = PreparedQuery(lambda user_id: Notification.objects.filter(
    user_id=user_id).only("pk", "title", "body", "url", "created_at").order_by(
    "-created_at", "-pk")[:5])


@require_GET
@signed_in
def home(request: AuthedRequest) -> HttpResponse:
    now = timezone.now()
    return render_kept(request, "home/home.html", {
        "work": worklist.values(request.user, now), "today": timezone.localdate(now),
        "notifications": latest_notifications.rows(request.user.pk),
        "has_roles": bool(grants_of(request.user))})
