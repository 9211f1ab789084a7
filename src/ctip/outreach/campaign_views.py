"""Pages of campaigns (plans and peak periods) with their targets and progress, the catalogue of
movements, and commendations.

Thin views: a form for input, an action in ``outreach.actions`` for every write, a selector in
``outreach.selectors`` for every read. Objects out of the viewer's scope answer 404.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ctip.accounts.access import requires
from ctip.accounts.policy import NotInScope
from ctip.core.errors import ActionError, add_to_form
from ctip.core.htmx import render_page
from ctip.core.idempotency import announce, submit_form_once
from ctip.core.numbers import grouped_writer
from ctip.core.typing import AuthedRequest
from ctip.org.models import Unit
from ctip.org.paths import is_within
from ctip.outreach import actions, policy
from ctip.outreach.campaign_forms import (
    CampaignForm,
    CommendationFilterForm,
    CommendationForm,
    MovementForm,
    TargetsForm,
    year_start,
)
from ctip.outreach.models import Commendation
from ctip.outreach.selectors import (
    ProgressLine,
    campaign_progress_for,
    campaign_targets_under,
    campaigns_listed,
    commendations_in,
    get_campaign_for,
    get_movement_for,
    movements_for,
)
from ctip.units.selectors import ancestors_of

PAGE_SIZE = 50

LEVEL_LABELS = {
    "done": gettext_lazy("Target reached"),
    "on-track": gettext_lazy("Halfway or more"),
    "behind": gettext_lazy("Behind"),
    "none": gettext_lazy("No target"),
}


def _shown_line(line: ProgressLine, write: Callable[[int], str]) -> dict[str, Any]:
    """A line of the progress table as the page writes it: its numbers grouped and its
    statuses named once here, in plain dictionaries and strings, which the template reads
    directly (an object's attribute costs the template a failed key look-up first, and a
    number it writes a look-up of the language's format: the province's table has a
    hundred lines of three cells)."""
    cells = []
    for cell in line.cells:
        level = cell.level
        label = str(LEVEL_LABELS[level])
        percent = cell.percent
        actual = write(cell.actual)
        cells.append({
            "level": level, "actual": actual,
            "done_of": f"{actual} / {write(cell.target) if cell.target else '—'}",
            "status": label if percent is None else f"{percent}% · {label}"})
    level = line.level
    return {"key": str(line.unit.pk) if line.unit else "", "name": line.unit.name if line.unit
            else "", "has_children": line.has_children, "level": level,
            "label": str(LEVEL_LABELS[level]), "cells": cells}


def _int_param(value: str | None) -> int | None:
    """A positive id from the query string; anything else is an unknown object (404)."""
    if value in (None, ""):
        return None
    if not value.isdigit():
        raise Http404
    return int(value)


def attachment_response(field_file: Any) -> FileResponse:
    """A stored file, sent for download under its own name."""
    try:
        handle = field_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=PurePath(field_file.name).name)


def confirm_delete_page(request: HttpRequest, *, obj: Any, what: str, delete_url: str,
                        archive_url: str, cancel_url: str, error: str = "",
                        can_archive: bool = True) -> TemplateResponse:
    """The one confirmation page of deletions; when the deletion was refused it says why and
    offers to archive instead."""
    return TemplateResponse(request, "outreach/campaign_confirm_delete.html", {
        "obj": obj, "what": what, "delete_url": delete_url, "archive_url": archive_url,
        "cancel_url": cancel_url, "error": error,
        "can_archive": can_archive and not getattr(obj, "archived", False),
    })


# --- Campaigns --------------------------------------------------------------------------------

@require_GET
@requires("activity.view")
def campaign_list(request: AuthedRequest) -> HttpResponse:
    archived = request.GET.get("archived") == "1"
    campaigns = campaigns_listed(request.user, archived=archived, today=timezone.localdate())
    page = Paginator(campaigns, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(request, "outreach/campaign_list.html", {
        "page": page, "archived": archived,
        "can_create": policy.manages_somewhere(request.user),
    }, partial="table")


@require_http_methods(["GET", "POST"])
@requires("activity.manage")
def campaign_create(request: AuthedRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None, request.FILES or None, viewer=request.user)
    if not form.is_bound:
        home = getattr(request.user, "home_unit", None)
        if home is not None and form.fields["unit"].queryset.filter(pk=home.pk).exists():  # type: ignore[attr-defined]
            form.initial["unit"] = home.pk
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            done = submit_form_once(form, actor=request.user, scope="outreach.campaign",
                                    create=lambda: actions.create_campaign(
                                        actor=request.user, unit=data["unit"], name=data["name"],
                                        starts_on=data["starts_on"], ends_on=data["ends_on"],
                                        description=data["description"],
                                        plan_document=data["plan_document"]))
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            announce(request, done, _("The campaign has been created. Now set the targets "
                                      "of the units taking part."))
            return redirect("outreach:campaign_targets", pk=done.obj.pk)
    return TemplateResponse(request, "outreach/campaign_form.html", {
        "form": form, "campaign": None, "title": _("New campaign"), "submit": _("Create"),
    })


@require_http_methods(["GET", "POST"])
@requires("activity.manage")
def campaign_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for(request.user, pk)
    policy.require_campaign_manager(request.user, campaign)
    initial = {f: getattr(campaign, f) for f in ("name", "starts_on", "ends_on", "description")}
    form = CampaignForm(request.POST or None, request.FILES or None, viewer=request.user,
                        editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.update_campaign(
                actor=request.user, campaign=campaign, name=data["name"],
                starts_on=data["starts_on"], ends_on=data["ends_on"],
                description=data["description"], plan_document=data["plan_document"])
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The campaign has been saved."))
            return redirect("outreach:campaign_detail", pk=campaign.pk)
    return TemplateResponse(request, "outreach/campaign_form.html", {
        "form": form, "campaign": campaign,
        "title": _("Edit %(name)s") % {"name": campaign.name}, "submit": _("Save"),
    })


@require_GET
@requires("activity.view")
def campaign_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """The progress page: each unit one level down, targets against actuals."""
    campaign = get_campaign_for(request.user, pk)
    progress = campaign_progress_for(request.user, campaign,
                                     _int_param(request.GET.get("unit")))
    write = grouped_writer()
    can_manage = policy.can_manage_campaign(request.user, campaign)
    today = timezone.localdate()
    return render_page(request, "outreach/campaign_detail.html", {
        "campaign": campaign, "progress": progress, "can_manage": can_manage,
        "rows": [_shown_line(line, write) for line in progress.lines],
        "own": _shown_line(progress.own, write), "total": _shown_line(progress.total, write),
        "levels": list(LEVEL_LABELS.items()),
        "running": campaign.starts_on <= today <= campaign.ends_on,
    }, partial="progress")


@require_GET
@requires("activity.view")
def campaign_plan(request: AuthedRequest, pk: int) -> FileResponse:
    campaign = get_campaign_for(request.user, pk)
    if not campaign.plan_document:
        raise Http404
    return attachment_response(campaign.plan_document)


@require_http_methods(["GET", "POST"])
@requires("activity.manage")
def campaign_targets(request: AuthedRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for(request.user, pk)
    policy.require_campaign_manager(request.user, campaign)
    unit_id = _int_param(request.GET.get("unit"))
    parent = campaign.unit
    if unit_id is not None and unit_id != parent.pk:
        chosen = Unit.objects.filter(pk=unit_id, path__subtree=campaign.unit_path).first()
        if chosen is None:
            raise NotInScope("activity.manage")
        parent = chosen
    units, targets = campaign_targets_under(campaign, parent)
    form = TargetsForm(request.POST or None, units=units, targets=targets)
    if request.method == "POST" and form.is_valid():
        try:
            actions.set_targets(actor=request.user, campaign=campaign,
                                targets=form.cleaned_targets())
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The targets have been saved."))
            return redirect(f"{reverse('outreach:campaign_detail', args=[campaign.pk])}"
                            f"?unit={parent.pk}")
    trail = [u for u in ancestors_of(parent) if is_within(u.path, campaign.unit_path)]
    return TemplateResponse(request, "outreach/campaign_targets.html", {
        "campaign": campaign, "parent": parent, "trail": trail, "form": form,
        "rows": form.rows(), "units": units,
    })


@require_POST
@requires("activity.manage")
def campaign_archive(request: AuthedRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for(request.user, pk)
    policy.require_campaign_manager(request.user, campaign)
    archived = request.POST.get("archived", "1") == "1"
    actions.set_archived(actor=request.user, obj=campaign, archived=archived)
    messages.success(request, _("The campaign has been archived.") if archived
                     else _("The campaign has been restored."))
    return redirect("outreach:campaign_detail", pk=campaign.pk)


@require_http_methods(["GET", "POST"])
@requires("activity.manage")
def campaign_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for(request.user, pk)
    policy.require_campaign_manager(request.user, campaign)
    error = ""
    if request.method == "POST":
        try:
            actions.delete_or_refuse(actor=request.user, obj=campaign)
        except ActionError as exc:
            error = exc.message
        else:
            messages.success(request, _("The campaign has been deleted."))
            return redirect("outreach:campaign_list")
    return confirm_delete_page(
        request, obj=campaign, what=_("campaign"), error=error,
        delete_url=reverse("outreach:campaign_delete", args=[campaign.pk]),
        archive_url=reverse("outreach:campaign_archive", args=[campaign.pk]),
        cancel_url=reverse("outreach:campaign_detail", args=[campaign.pk]))


# --- Movements ----------------------------------------------------------------------------------

@require_GET
@requires("activity.view")
def movement_list(request: AuthedRequest) -> HttpResponse:
    can_manage = policy.can_keep_library(request.user)
    archived = request.GET.get("archived") == "1"
    return TemplateResponse(request, "outreach/movement_list.html", {
        "movements": movements_for(request.user, archived=archived),
        "archived": archived, "can_manage": can_manage,
    })


@require_http_methods(["GET", "POST"])
@requires("catalogue.manage")
def movement_create(request: AuthedRequest) -> HttpResponse:
    form = MovementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            done = submit_form_once(form, actor=request.user, scope="outreach.movement",
                                    create=lambda: actions.create_movement(
                                        actor=request.user, **form.cleaned_data))
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            announce(request, done, _("The movement has been added to the catalogue."))
            return redirect("outreach:movement_list")
    return TemplateResponse(request, "outreach/movement_form.html", {"form": form})


@require_POST
@requires("catalogue.manage")
def movement_archive(request: AuthedRequest, pk: int) -> HttpResponse:
    movement = get_movement_for(request.user, pk)
    archived = request.POST.get("archived", "1") == "1"
    try:
        actions.set_archived(actor=request.user, obj=movement, archived=archived)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("“%(name)s” has been archived.") % {"name": movement.name}
                         if archived else
                         _("“%(name)s” has been restored.") % {"name": movement.name})
    return redirect("outreach:movement_list")


@require_http_methods(["GET", "POST"])
@requires("catalogue.manage")
def movement_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    movement = get_movement_for(request.user, pk)
    error = ""
    if request.method == "POST":
        try:
            actions.delete_or_refuse(actor=request.user, obj=movement)
        except ActionError as exc:
            error = exc.message
        else:
            messages.success(request, _("The movement has been deleted."))
            return redirect("outreach:movement_list")
    return confirm_delete_page(
        request, obj=movement, what=_("movement"), error=error,
        delete_url=reverse("outreach:movement_delete", args=[movement.pk]),
        archive_url=reverse("outreach:movement_archive", args=[movement.pk]),
        cancel_url=reverse("outreach:movement_list"))


# --- Commendations ------------------------------------------------------------------------------

@require_GET
@requires("activity.view")
def commendation_list(request: AuthedRequest) -> HttpResponse:
    data = request.GET.copy()
    if "start" not in data and "end" not in data:
        today = timezone.localdate()
        data["start"] = year_start(today).strftime("%d/%m/%Y")
        data["end"] = today.replace(month=12, day=31).strftime("%d/%m/%Y")
    form = CommendationFilterForm(data, viewer=request.user)
    commendations = commendations_in(request.user, **form.cleaned_data) if form.is_valid() \
        else Commendation.objects.none()
    page = Paginator(commendations, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(request, "outreach/commendation_list.html", {
        "form": form, "page": page,
        "can_create": policy.manages_somewhere(request.user),
    }, partial="table")


@require_http_methods(["GET", "POST"])
@requires("activity.manage")
def commendation_create(request: AuthedRequest) -> HttpResponse:
    form = CommendationForm(request.POST or None, viewer=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        kind = data["recipient_kind"]
        try:
            done = submit_form_once(form, actor=request.user, scope="outreach.commendation",
                                    create=lambda: actions.create_commendation(
                actor=request.user, unit=data["unit"], recipient_kind=kind,
                reason=data["reason"], level=data["level"], decided_on=data["decided_on"],
                decision_number=data["decision_number"],
                club=data["club"] if kind == Commendation.RecipientKind.CLUB else None,
                person_name=data["person_name"] if kind == Commendation.RecipientKind.PERSON
                else "",
                activity=data.get("activity")))
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            announce(request, done, _("The commendation has been recorded."))
            day = f"{done.obj.decided_on:%d/%m/%Y}"
            return redirect(f"{reverse('outreach:commendation_list')}?"
                            f"{urlencode({'start': day, 'end': day})}")
    return TemplateResponse(request, "outreach/commendation_form.html", {"form": form})
