from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ctip.accounts.access import requires, signed_in
from ctip.accounts.policy import NotInScope, has_capability
from ctip.core.errors import ActionError, add_to_form
from ctip.core.health import worker_running
from ctip.core.htmx import render_page, unchanged
from ctip.core.idempotency import announce, submit_form_once
from ctip.core.typing import AuthedRequest
from ctip.org.models import Unit
from ctip.org.rules import closed_message
from ctip.units import actions, jobs
from ctip.units.forms import MergeForm, MoveForm, SplitForm, UnitForm
from ctip.units.models import Restructuring
from ctip.units.selectors import (
    ancestors_of,
    areas_of,
    children_of,
    get_unit_for,
    restructuring_size,
    role_holders_at,
    scope_roots,
    search_units,
    what_goes_with,
)


@require_GET
@requires("unit.view")
def tree(request: AuthedRequest) -> HttpResponse:
    # A name is short: a longer query is cut (SQLite refuses a LIKE pattern beyond its limit).
    query = request.GET.get("q", "").strip()[:100]
    context = {
        "query": query,
        "results": search_units(request.user, query) if query else None,
        "roots": scope_roots(request.user) if not query else [],
        "can_import": has_capability(request.user, "unit.manage"),
    }
    return render_page(request, "org/tree.html", context, partial="results")


@require_GET
@requires("unit.view")
def children(request: AuthedRequest, pk: int) -> HttpResponse:
    unit = get_unit_for(request.user, pk)
    return TemplateResponse(request, "org/tree.html#branch",
                            {"node": unit, "nodes": children_of(unit)})


@require_GET
@requires("unit.view")
def unit_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    unit = get_unit_for(request.user, pk)
    ancestors = ancestors_of(unit)
    manages = has_capability(request.user, "unit.manage", unit)
    restructurings = jobs.shown_at(unit, request.user) if manages else []
    return TemplateResponse(request, "org/unit_detail.html", {
        "unit": unit,
        "ancestors": ancestors,
        "areas": areas_of(unit, ancestors),
        "children": children_of(unit, include_closed=True),
        "successors": unit.successors.all(),
        "predecessors": unit.predecessors.all(),
        "holders": role_holders_at(unit) if has_capability(request.user, "user.view", unit)
        else None,
        "can_manage": manages and unit.is_open,
        "restructurings": restructurings,
        # another waits until it has finished: its buttons are not offered meanwhile
        "restructuring_pending": any(r.status in Restructuring.PENDING
                                     for r in restructurings),
    })


def _form_page(request: HttpRequest, unit: Unit, form: object, title: str,
               submit: str, restructuring: str = "") -> HttpResponse:
    """A unit's form; for a restructuring (``"move"``, ``"merge"``, ``"split"``) with what
    goes along, read before she confirms (``what_goes_with``)."""
    goes = what_goes_with(unit) if restructuring else None
    return TemplateResponse(request, "org/unit_form.html",
                            {"unit": unit, "form": form, "title": title, "submit": submit,
                             "restructuring": restructuring, "goes": goes})


def _in_background(request: AuthedRequest, form: Any, unit: Unit, kind: str,
                   params: dict[str, Any]) -> HttpResponse | None:
    """Queue a restructuring that takes many records along (``units.jobs``, decision 0103)
    and answer with its page; ``None`` when it runs here (a small one, or one refused: the
    reason is on the form). One already waiting for the unit is not overtaken."""
    if (jobs.pending_for(unit) is None
            and restructuring_size(unit) <= jobs.in_request_limit()):
        return None
    try:
        job = jobs.start(kind, request.user, unit, params)
    except ActionError as exc:
        add_to_form(form, exc)
        return None
    return redirect("org:restructuring", pk=job.pk)


@require_http_methods(["GET", "POST"])
@requires("unit.manage")
def unit_create(request: AuthedRequest, pk: int) -> HttpResponse:
    parent = get_unit_for(request.user, pk, "unit.manage")
    if not parent.is_open:
        messages.error(request, closed_message(parent))
        return redirect("org:unit_detail", pk=parent.pk)
    form = UnitForm(request.POST or None, given={"parent": parent})
    if request.method == "POST" and form.is_valid():
        try:
            done = submit_form_once(form, actor=request.user, scope="org.unit",
                                    create=lambda: actions.create_unit(
                                        actor=request.user, parent=parent, **form.cleaned_data))
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            announce(request, done, _("The unit has been created."))
            return redirect("org:unit_detail", pk=done.obj.pk)
    return _form_page(request, parent, form,
                      _("New unit under %(name)s") % {"name": parent.name}, _("Create"))


@require_http_methods(["GET", "POST"])
@requires("unit.manage")
def unit_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    unit = get_unit_for(request.user, pk, "unit.manage")
    if not unit.is_open:
        messages.error(request, closed_message(unit))
        return redirect("org:unit_detail", pk=unit.pk)
    initial = {f: getattr(unit, f) for f in actions.UNIT_FIELDS}
    form = UnitForm(request.POST or None, initial=initial, given={"current": unit})
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_unit(actor=request.user, unit=unit, **form.cleaned_data)
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The unit has been saved."))
            return redirect("org:unit_detail", pk=unit.pk)
    return _form_page(request, unit, form, _("Edit %(name)s") % {"name": unit.name}, _("Save"))


@require_http_methods(["GET", "POST"])
@requires("unit.manage")
def unit_move(request: AuthedRequest, pk: int) -> HttpResponse:
    unit = get_unit_for(request.user, pk, "unit.manage")
    form = MoveForm(request.POST or None, viewer=request.user, unit=unit)
    if request.method == "POST" and form.is_valid():
        new_parent = form.cleaned_data["new_parent"]
        queued = _in_background(request, form, unit, Restructuring.Kind.MOVE,
                                jobs.params_of_move(new_parent))
        if queued is not None:
            return queued
        if not form.errors:
            try:
                actions.move_subtree(actor=request.user, unit=unit, new_parent=new_parent)
            except ActionError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request,
                                 _("The unit and everything under it have been moved."))
                return redirect("org:unit_detail", pk=unit.pk)
    return _form_page(request, unit, form, _("Move %(name)s") % {"name": unit.name},
                      _("Move"), restructuring="move")


@require_http_methods(["GET", "POST"])
@requires("unit.manage")
def unit_merge(request: AuthedRequest, pk: int) -> HttpResponse:
    unit = get_unit_for(request.user, pk, "unit.manage")
    form = MergeForm(request.POST or None, viewer=request.user, unit=unit)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        queued = _in_background(request, form, unit, Restructuring.Kind.MERGE,
                                jobs.params_of_merge(data["into"], data["effective_on"],
                                                     data["reason"]))
        if queued is not None:
            return queued
        if not form.errors:
            try:
                into = actions.merge_units(actor=request.user, sources=[unit],
                                           into=data["into"], effective_on=data["effective_on"],
                                           reason=data["reason"])
            except ActionError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, _("The unit has been merged."))
                return redirect("org:unit_detail", pk=into.pk)
    return _form_page(request, unit, form, _("Merge %(name)s into another unit")
                      % {"name": unit.name}, _("Merge"), restructuring="merge")


@require_http_methods(["GET", "POST"])
@requires("unit.manage")
def unit_split(request: AuthedRequest, pk: int) -> HttpResponse:
    unit = get_unit_for(request.user, pk, "unit.manage")
    form = SplitForm(request.POST or None, unit=unit)
    if request.method == "POST" and form.is_valid():
        names = form.cleaned_data["names"]
        by_number = form.assignments()
        if max(by_number, default=0) > len(names):
            form.add_error(None, _("There are only %(n)d new units.") % {"n": len(names)})
        elif form.cleaned_data["records_to"] > len(names):
            form.add_error("records_to", _("There are only %(n)d new units.")
                           % {"n": len(names)})
        else:
            parts = [actions.SplitPart(name=name, children=by_number.get(i + 1, []))
                     for i, name in enumerate(names)]
            data = form.cleaned_data
            queued = _in_background(request, form, unit, Restructuring.Kind.SPLIT,
                                    jobs.params_of_split(parts, data["effective_on"],
                                                         data["reason"], data["records_to"] - 1))
            if queued is not None:
                return queued
            if not form.errors:
                try:
                    new_units = actions.split_unit(
                        actor=request.user, unit=unit, parts=parts,
                        effective_on=data["effective_on"], reason=data["reason"],
                        records_to=data["records_to"] - 1)
                except ActionError as exc:
                    add_to_form(form, exc)
                else:
                    messages.success(request, _("The unit has been split."))
                    return redirect("org:unit_detail", pk=new_units[0].pk)
    return _form_page(request, unit, form, _("Split %(name)s") % {"name": unit.name},
                      _("Split"), restructuring="split")


@require_GET
@signed_in
def restructuring(request: AuthedRequest, pk: int) -> HttpResponse:
    """A restructuring running in the background: that it waits or runs (asked for again
    every few seconds by htmx, ``?poll=1``; without JavaScript, a link), then how it ended.
    Her own only, even once her roles no longer let her restructure (the page says why it
    failed); 404 for anyone else's, recorded as a refusal."""
    job = get_object_or_404(Restructuring.objects.select_related("result_unit"), pk=pk)
    if job.owner_id != request.user.pk:
        raise NotInScope("another person's restructuring")
    worker = job.finished or worker_running()
    state = f"{job.status}-{int(worker)}"
    response = (HttpResponse(status=204) if unchanged(request, state) else render_page(
        request, "org/restructuring.html", {"job": job, "refresh": RESTRUCTURING_REFRESH_SECONDS,
                                            "worker": worker, "state": state},
        partial="progress"))
    response["Cache-Control"] = "no-store"
    return response


RESTRUCTURING_REFRESH_SECONDS = 3
