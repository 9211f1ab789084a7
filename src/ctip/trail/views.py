from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from ctip.accounts.access import requires
from ctip.core.htmx import render_page
from ctip.core.typing import AuthedRequest
from ctip.trail.forms import EventFilterForm
from ctip.trail.selectors import events_visible_to, filter_events


@require_GET
@requires("audit.view")
def event_list(request: AuthedRequest) -> HttpResponse:
    form = EventFilterForm(request.GET or None, viewer=request.user)
    events = events_visible_to(request.user)
    if form.is_bound and form.is_valid():
        events = filter_events(events, **form.cleaned_data)
    page = Paginator(events.order_by("-id"), 50).get_page(request.GET.get("page"))
    return render_page(request, "audit/event_list.html", {"form": form, "page": page},
                       partial="table")
