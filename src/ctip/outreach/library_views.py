"""Pages of the topic and material library, the topic coverage table and the speakers roster.

The library is shared by the whole programme: whoever may see outreach work (``activity.view``)
may find and download its materials; those who keep the catalogues (``catalogue.manage``) add
topics and materials and archive them. Speakers belong to a unit and are scoped like any fact.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ctip.accounts.access import requires
from ctip.accounts.policy import has_capability, scope_paths
from ctip.core.errors import ActionError, add_to_form
from ctip.core.htmx import render_page
from ctip.core.idempotency import announce, submit_form_once
from ctip.core.typing import AuthedRequest
from ctip.org.models import Unit
from ctip.outreach import actions, policy
from ctip.outreach.campaign_views import (
    attachment_response,
    confirm_delete_page,
)
from ctip.outreach.library_forms import (
    CoverageForm,
    MaterialForm,
    SpeakerFilterForm,
    SpeakerForm,
    TopicFilterForm,
    TopicForm,
)
from ctip.outreach.selectors import (
    get_material_for,
    get_speaker_for,
    get_topic_for,
    materials_of,
    speaker_roster,
    talks_of,
    topic_coverage,
    topics_for,
)
from ctip.units.selectors import get_unit_for

PAGE_SIZE = 50
TALKS_PAGE_SIZE = 20
# Past this many units the coverage table turns: units become rows, topics columns.
COVERAGE_MAX_COLUMNS = 10


# --- Topics and materials -----------------------------------------------------------------------

@require_GET
@requires("activity.view")
def topic_list(request: AuthedRequest) -> HttpResponse:
    can_manage = policy.can_keep_library(request.user)
    form = TopicFilterForm(request.GET)
    form.is_valid()
    query = form.cleaned_data.get("q", "")
    kind = form.cleaned_data.get("kind", "")
    archived = can_manage and request.GET.get("archived") == "1"
    topics = topics_for(request.user, query=query, kind=kind, archived=archived)
    page = Paginator(topics, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(request, "outreach/topic_list.html", {
        "form": form, "page": page, "query": query, "archived": archived,
        "can_manage": can_manage,
    }, partial="results")


@require_http_methods(["GET", "POST"])
@requires("catalogue.manage")
def topic_create(request: AuthedRequest) -> HttpResponse:
    form = TopicForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            done = submit_form_once(form, actor=request.user, scope="outreach.topic",
                                    create=lambda: actions.create_topic(
                                        actor=request.user, **form.cleaned_data))
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            announce(request, done, _("The topic has been added. Now add its materials."))
            return redirect("outreach:topic_detail", pk=done.obj.pk)
    return TemplateResponse(request, "outreach/topic_form.html", {"form": form})


@require_GET
@requires("activity.view")
def topic_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    topic = get_topic_for(request.user, pk)
    can_manage = policy.can_keep_library(request.user)
    return TemplateResponse(request, "outreach/topic_detail.html", {
        "topic": topic, "can_manage": can_manage,
        "materials": materials_of(request.user, topic, include_archived=can_manage),
    })


@require_POST
@requires("catalogue.manage")
def topic_archive(request: AuthedRequest, pk: int) -> HttpResponse:
    topic = get_topic_for(request.user, pk)
    archived = request.POST.get("archived", "1") == "1"
    actions.set_archived(actor=request.user, obj=topic, archived=archived)
    messages.success(request, _("“%(name)s” has been archived.") % {"name": topic.name}
                     if archived else
                     _("“%(name)s” has been restored.") % {"name": topic.name})
    return redirect("outreach:topic_detail", pk=topic.pk)


@require_http_methods(["GET", "POST"])
@requires("catalogue.manage")
def topic_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    topic = get_topic_for(request.user, pk)
    error = ""
    if request.method == "POST":
        try:
            actions.delete_or_refuse(actor=request.user, obj=topic)
        except ActionError as exc:
            error = exc.message
        else:
            messages.success(request, _("The topic has been deleted."))
            return redirect("outreach:topic_list")
    return confirm_delete_page(
        request, obj=topic, what=_("topic"), error=error,
        delete_url=reverse("outreach:topic_delete", args=[topic.pk]),
        archive_url=reverse("outreach:topic_archive", args=[topic.pk]),
        cancel_url=reverse("outreach:topic_detail", args=[topic.pk]))


@require_http_methods(["GET", "POST"])
@requires("catalogue.manage")
def material_create(request: AuthedRequest, pk: int) -> HttpResponse:
    topic = get_topic_for(request.user, pk)
    form = MaterialForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            done = submit_form_once(form, actor=request.user, scope="outreach.material",
                                    create=lambda: actions.add_material(
                                        actor=request.user, topic=topic,
                                        title=form.cleaned_data["title"],
                                        upload=form.cleaned_data["file"]))
        except ActionError as exc:
            add_to_form(form, exc, default="file")
        else:
            announce(request, done, _("The material has been added."))
            return redirect("outreach:topic_detail", pk=topic.pk)
    return TemplateResponse(request, "outreach/material_form.html",
                            {"form": form, "topic": topic})


@require_GET
@requires("activity.view")
def material_download(request: AuthedRequest, pk: int) -> FileResponse:
    return attachment_response(get_material_for(request.user, pk).file)


@require_POST
@requires("catalogue.manage")
def material_archive(request: AuthedRequest, pk: int) -> HttpResponse:
    material = get_material_for(request.user, pk)
    archived = request.POST.get("archived", "1") == "1"
    actions.set_archived(actor=request.user, obj=material, archived=archived)
    messages.success(request, _("“%(name)s” has been archived.") % {"name": material.title}
                     if archived else
                     _("“%(name)s” has been restored.") % {"name": material.title})
    return redirect("outreach:topic_detail", pk=material.topic_id)


# --- Coverage -----------------------------------------------------------------------------------

def _coverage_defaults(request: HttpRequest) -> dict[str, Any]:
    today = timezone.localdate()
    data: dict[str, Any] = {"start": today.replace(month=1, day=1).strftime("%d/%m/%Y"),
                            "end": today.strftime("%d/%m/%Y")}
    roots = scope_paths(request.user, "activity.view")
    root = Unit.objects.filter(path__in=roots).order_by("path").first()
    if root is not None:
        data["unit"] = str(root.pk)
    return data


@require_GET
@requires("activity.view")
def coverage(request: AuthedRequest) -> HttpResponse:
    """Which topics reached which units in a period: topics × units one level down."""
    data = _coverage_defaults(request)
    data.update({k: v for k, v in request.GET.items() if k in ("start", "end", "unit") and v})
    if data.get("unit", "").isdigit():
        get_unit_for(request.user, int(data["unit"]), "activity.view")  # 404 out of scope
    form = CoverageForm(data, viewer=request.user)
    table = None
    if form.is_valid():
        table = _coverage_table(request.user, form.cleaned_data["unit"],
                                form.cleaned_data["start"], form.cleaned_data["end"])
    return render_page(request, "outreach/coverage.html", {"form": form, "table": table},
                       partial="table")


def _coverage_table(viewer: Any, unit: Unit, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The grid as plain rows for the template, topics down the side unless the units are too
    many for the width of a phone."""
    cov = topic_coverage(viewer, unit, start, end)
    period: dict[str, str | int] = {"start": f"{start:%d/%m/%Y}", "end": f"{end:%d/%m/%Y}"}

    def drill(child: Unit) -> str:
        return f"{reverse('outreach:coverage')}?{urlencode({**period, 'unit': child.pk})}"

    units: list[dict[str, Any]] = [{"name": c.name, "url": drill(c), "unit": c}
                                   for c in cov.children]
    if cov.has_own:
        units.append({"name": _("%(unit)s itself") % {"unit": unit.name}, "url": "",
                      "unit": None})
    transposed = len(units) > COVERAGE_MAX_COLUMNS
    if not transposed:
        rows = [{"topic": t, "cells": [cov.count(t, u["unit"]) for u in units],
                 "total": cov.topic_total(t)} for t in cov.topics]
    else:
        rows = [{"unit": u, "cells": [cov.count(t, u["unit"]) for t in cov.topics]}
                for u in units]
    up = unit.parent if unit.parent_id else None
    if up is not None and not has_capability(viewer, "activity.view", up):
        up = None
    return {"coverage": cov, "units": units, "topics": cov.topics, "rows": rows,
            "up": up, "up_url": drill(up) if up is not None else "",
            "transposed": transposed,
            "totals": [cov.topic_total(t) for t in cov.topics],
            "reached": sum(1 for t in cov.topics if cov.topic_total(t))}


# --- Speakers -----------------------------------------------------------------------------------

@require_GET
@requires("activity.view")
def speaker_list(request: AuthedRequest) -> HttpResponse:
    form = SpeakerFilterForm(request.GET, viewer=request.user)
    filters: dict[str, Any] = {}
    if form.is_valid():
        active = form.cleaned_data["active"]
        filters = {"unit": form.cleaned_data["unit"], "query": form.cleaned_data["q"],
                   "active": None if active == "" else active == "1"}
    speakers = speaker_roster(request.user, **filters)
    page = Paginator(speakers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(request, "outreach/speaker_list.html", {
        "form": form, "page": page,
        "can_create": policy.manages_somewhere(request.user),
    }, partial="table")


@require_GET
@requires("activity.view")
def speaker_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    speaker = get_speaker_for(request.user, pk)
    talks = Paginator(talks_of(request.user, speaker), TALKS_PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render_page(request, "outreach/speaker_detail.html", {
        "speaker": speaker, "page": talks,
        "can_manage": policy.can_manage_speaker(request.user, speaker),
    }, partial="talks")


@require_http_methods(["GET", "POST"])
@requires("activity.manage")
def speaker_create(request: AuthedRequest) -> HttpResponse:
    form = SpeakerForm(request.POST or None, viewer=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            done = submit_form_once(form, actor=request.user, scope="outreach.speaker",
                                    create=lambda: actions.create_speaker(
                                        actor=request.user, **form.cleaned_data))
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            announce(request, done, _("The speaker has been added to the roster."))
            return redirect("outreach:speaker_detail", pk=done.obj.pk)
    return TemplateResponse(request, "outreach/speaker_form.html", {
        "form": form, "speaker": None, "title": _("New speaker"), "submit": _("Add"),
    })


@require_http_methods(["GET", "POST"])
@requires("activity.manage")
def speaker_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    speaker = get_speaker_for(request.user, pk, "activity.manage")
    initial = {f: getattr(speaker, f) for f in ("unit", "full_name", "kind", "user", "phone",
                                                 "training", "trained_on", "active")}
    form = SpeakerForm(request.POST or None, viewer=request.user, editing=True,
                       initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_speaker(actor=request.user, speaker=speaker, **form.cleaned_data)
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The speaker has been saved."))
            return redirect("outreach:speaker_detail", pk=speaker.pk)
    return TemplateResponse(request, "outreach/speaker_form.html", {
        "form": form, "speaker": speaker,
        "title": _("Edit %(name)s") % {"name": speaker.full_name}, "submit": _("Save"),
    })
