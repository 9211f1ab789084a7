"""Pages of outreach activities: quick entry, detail, edit, delete, list, export, downloads.

Thin views: a form for input, the actions in ``outreach.actions`` for writes, the selectors in
``outreach.selectors`` for reads. Everything out of the viewer's scope answers 404.

Access: the pages declare ``activity.view``, which every role that records activities holds
(commune and province officers, branch heads, speakers). Who may record *where* is narrower and
depends on the unit (``activity.manage`` over the unit, or ``activity.log_own`` for one's own
talks), so the quick-entry page offers only the units where the viewer may record, answers 404
when there are none (a viewer, say), and the action checks again.
"""

from __future__ import annotations

import datetime as dt
from pathlib import PurePath
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ctip.accounts.access import requires
from ctip.accounts.policy import NotInScope
from ctip.core.errors import ActionError, add_to_form
from ctip.core.htmx import render_page
from ctip.core.idempotency import FIELD, already_saved, submit_form_once
from ctip.core.typing import AuthedRequest
from ctip.outreach import actions, exports, policy
from ctip.outreach.activity_forms import (
    ActivityFilterForm,
    ActivityForm,
    activity_initial,
    loggable_units,
)
from ctip.outreach.models import Activity, Speaker
from ctip.outreach.selectors import (
    ActivityFilter,
    activities_visible_to,
    activity_version,
    filter_activities,
    get_activity_for,
    get_attachment_for,
    list_totals,
    running_campaign,
    totals,
)
from ctip.units.selectors import get_unit_for

PAGE_SIZE = 50



# --- Quick entry -----------------------------------------------------------------------------

def _date_param(request: HttpRequest) -> dt.date:
    """``?date=`` (sent when the date changes, to propose the campaign), else today."""
    raw = request.GET.get("date", "")
    try:
        return ActivityForm.base_fields["date"].clean(raw) if raw else timezone.localdate()
    except ValidationError:
        return timezone.localdate()


def _create_initial(request: AuthedRequest, units: Any) -> dict[str, Any]:
    """Today, her unit, the campaign running there, status done; her last format; and, for a
    speaker recording her own talk, herself among the speakers."""
    user = request.user
    date = _date_param(request)
    unit = None
    if request.GET.get("unit"):
        raw = request.GET["unit"]
        unit = units.filter(pk=int(raw)).first() if raw.isdigit() else None
        if unit is None:
            raise NotInScope("activity.log_own")
    else:
        home = getattr(user, "home_unit", None)
        if home is not None and units.filter(pk=home.pk).exists():
            unit = home
        else:
            candidates = list(units[:2])
            unit = candidates[0] if len(candidates) == 1 else None
    last_format = (Activity.objects.filter(created_by=user, format__archived=False)
                   .order_by("-pk").values_list("format_id", flat=True).first())
    initial: dict[str, Any] = {
        "date": date, "status": Activity.Status.DONE, "unit": unit,
        "campaign": running_campaign(unit, date) if unit is not None else None,
        "format": last_format,
    }
    if not policy.manages_somewhere(user):
        initial["speakers"] = list(Speaker.objects.filter(user=user, active=True))
    return initial


@require_http_methods(["GET", "POST"])
@requires("activity.view")
def activity_create(request: AuthedRequest) -> HttpResponse:
    units = loggable_units(request.user)
    if not units.exists():
        raise NotInScope("activity.log_own")
    if request.method == "POST":
        form = ActivityForm(request.POST, request.FILES, viewer=request.user, units=units)
        if form.is_valid():
            uploads = form.cleaned_data["attachments"]
            def create() -> Activity:
                # The activity and its files are recorded together, or not at all.
                activity = actions.create_activity(actor=request.user, **form.action_values())
                for upload in uploads:
                    actions.add_attachment(actor=request.user, activity=activity,
                                           upload=upload)
                return activity

            try:
                done = submit_form_once(form, actor=request.user, scope="outreach.activity",
                                        create=create)
            except ActionError as exc:
                add_to_form(form, exc)
            else:
                if done.obj is None:
                    messages.info(request, already_saved())
                    return redirect("outreach:activity_list")
                if done.replayed:
                    messages.info(request, already_saved())
                else:
                    messages.success(request, _("The activity “%(title)s” has been recorded.")
                                     % {"title": done.obj.title})
                return redirect("outreach:activity_detail", pk=done.obj.pk)
    else:
        form = ActivityForm(initial=_create_initial(request, units), viewer=request.user,
                            units=units)
    return render_page(request, "outreach/activity_form.html", {
        "form": form, "activity": None, "title": _("Record an activity"),
        "submit": _("Save the activity"), "cancel_url": reverse("outreach:activity_list"),
    }, partial="campaign_field" if request.method == "GET" else None)


# --- Detail, edit, delete --------------------------------------------------------------------

@require_http_methods(["GET"])
@requires("activity.view")
def activity_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    activity = get_activity_for(request.user, pk)
    attachments = list(activity.attachments.order_by("pk"))
    for attachment in attachments:
        attachment.filename = PurePath(attachment.file.name or "").name  # type: ignore[attr-defined]
    return TemplateResponse(request, "outreach/activity_detail.html", {
        "activity": activity,
        "topics": activity.topics.all(),
        "audiences": activity.audiences.all(),
        "speakers": activity.speakers.select_related("unit"),
        "attachments": attachments,
        "can_edit": actions.can_edit_activity(request.user, activity),
        "can_log": policy.can_log(request.user),
    })


def _editable(request: HttpRequest, pk: int) -> Activity:
    activity = get_activity_for(request.user, pk)
    if not actions.can_edit_activity(request.user, activity):
        raise NotInScope("activity.manage")
    return activity


def _holds(request: AuthedRequest, activity: Activity) -> bool:
    """Whether ``activity`` as saved now already holds every value the posted edit form
    carries (its key aside, no file added), as the save turns them: a total left blank is the
    women and the men, a count left blank is none."""
    held = activity_initial(activity)
    form = ActivityForm(request.POST, viewer=request.user, activity=activity, initial=held)
    if not form.is_valid():
        return False
    for name in set(form.changed_data) - {FIELD, "attachments"}:
        sent, saved = form.cleaned_data.get(name), held.get(name)
        if isinstance(saved, list):  # topics, audiences, speakers
            same = {o.pk for o in sent or []} == {o.pk for o in saved}
        elif name == "participants_total" and sent is None:
            same = saved == (activity.participants_women or 0) + (activity.participants_men or 0)
        elif sent in (None, ""):
            same = saved in (None, "", 0)
        else:
            same = sent == saved
        if not same:
            return False
    return True


@require_http_methods(["GET", "POST"])
@requires("activity.view")
def activity_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    activity = _editable(request, pk)
    form = ActivityForm(request.POST or None, request.FILES or None, viewer=request.user,
                        activity=activity, initial=activity_initial(activity))
    version = activity_version(activity)
    if request.method == "POST" and form.is_valid():
        values = form.action_values()
        uploads = form.cleaned_data["attachments"]
        try:
            with transaction.atomic():
                locked = Activity.objects.select_for_update().get(pk=activity.pk)
                if (request.POST.get("version", version) != activity_version(locked)
                        and not uploads and _holds(request, locked)):
                    # her own save sent twice (a double press, a page sent again after a lost
                    # answer): what she sent is what is saved, so nothing is in conflict
                    messages.info(request, already_saved())
                    return redirect("outreach:activity_detail", pk=activity.pk)
                if request.POST.get("version", version) != activity_version(locked):
                    # Saved by someone else since this form was opened: never over it unseen.
                    raise ActionError(_(
                        "Someone changed this activity after you opened it. Nothing was "
                        "saved: open it again to see their changes, or save again to replace "
                        "them with what is in this form."))
                actions.update_activity(
                    actor=request.user, activity=activity, topics=values.pop("topics"),
                    audiences=values.pop("audiences"), speakers=values.pop("speakers"),
                    **values)
                for upload in uploads:
                    actions.add_attachment(actor=request.user, activity=activity,
                                           upload=upload)
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The activity has been saved."))
            return redirect("outreach:activity_detail", pk=activity.pk)
    return TemplateResponse(request, "outreach/activity_form.html", {
        "form": form, "activity": activity, "version": version,
        "title": _("Edit “%(title)s”") % {"title": activity.title}, "submit": _("Save"),
        "cancel_url": reverse("outreach:activity_detail", args=[activity.pk]),
    })


@require_http_methods(["GET", "POST"])
@requires("activity.view")
def activity_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    activity = _editable(request, pk)
    if request.method == "POST":
        try:
            actions.delete_activity(actor=request.user, activity=activity)
        except ActionError as exc:
            messages.error(request, exc.message)
            return redirect("outreach:activity_detail", pk=activity.pk)
        messages.success(request, _("The activity “%(title)s” has been deleted.")
                         % {"title": activity.title})
        return redirect("outreach:activity_list")
    return TemplateResponse(request, "outreach/activity_delete.html", {
        "activity": activity, "attachment_count": activity.attachments.count()})


@require_http_methods(["GET"])
@requires("activity.view")
def attachment_download(request: AuthedRequest, pk: int) -> FileResponse:
    attachment = get_attachment_for(request.user, pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True,
                        filename=PurePath(attachment.file.name or "").name)


# --- List and export -------------------------------------------------------------------------

class _CountedPaginator(Paginator):
    """A paginator told its count: the totals query has already counted the rows."""

    def __init__(self, object_list: Any, per_page: int, count: int) -> None:
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count


def _params(request: HttpRequest) -> QueryDict:
    """The filters asked for. A bare address (the menu link) means this year so far: the
    period of the reports, and a bounded read at province level. Sending the form with an
    empty "From" asks for all time."""
    if request.GET:
        return request.GET
    params = QueryDict(mutable=True)
    params["start"] = f"01/01/{timezone.localdate().year}"
    return params


def _query(params: QueryDict) -> str:
    """The filters as a query string, without the page number."""
    query = params.copy()
    query.pop("page", None)
    return query.urlencode()


def _filter_form(request: HttpRequest, params: QueryDict) -> ActivityFilterForm:
    """The filters of the list and the export; a unit out of scope answers 404."""
    selected = None
    raw = params.get("unit", "")
    if raw:
        if not raw.isdigit():
            raise NotInScope("activity.view")
        selected = get_unit_for(request.user, int(raw), "activity.view")
    form = ActivityFilterForm(params, viewer=request.user, selected_unit=selected)
    form.is_valid()
    return form


def _filtered(request: HttpRequest, f: ActivityFilter) -> Any:
    return filter_activities(activities_visible_to(request.user), f)


def _with_query(name: str, query: str) -> str:
    return f"{reverse(name)}?{query}" if query else reverse(name)


@require_http_methods(["GET"])
@requires("activity.view")
def activity_list(request: AuthedRequest) -> HttpResponse:
    params = _params(request)
    form = _filter_form(request, params)
    f = form.activity_filter()
    activities = _filtered(request, f)
    sums = list_totals(activities, f)  # also the count the pagination needs
    rows = (activities.select_related("unit", "format")
            .only("date", "status", "title", "participants_total", "unit", "unit__name",
                  "format", "format__name"))
    page = _CountedPaginator(rows, PAGE_SIZE, sums["sessions"]).get_page(params.get("page"))
    return render_page(request, "outreach/activity_list.html", {
        "form": form, "page": page, "totals": sums,
        "paging_params": params,
        # one reverse() for the 50 links of the page: <prefix><pk>/
        "detail_prefix": reverse("outreach:activity_detail", args=[0]).removesuffix("0/"),
        "export_url": _with_query("outreach:activity_export", _query(params)),
        "export_limit": exports.MAX_ROWS,
        "can_log": policy.can_log(request.user),
    }, partial="results")


@require_http_methods(["GET"])
@requires("activity.view")
def activity_export(request: AuthedRequest) -> HttpResponseBase:
    params = _params(request)
    form = _filter_form(request, params)
    activities = _filtered(request, form.activity_filter())
    sums = totals(activities)
    if sums["sessions"] > exports.MAX_ROWS:
        messages.error(request, _(
            "%(n)d activities match these filters; an export holds at most %(max)d. Narrow "
            "the period or the unit and export again.")
            % {"n": sums["sessions"], "max": exports.MAX_ROWS})
        return redirect(_with_query("outreach:activity_list", _query(params)))
    handle = exports.export_activities(actor=request.user, activities=activities, totals=sums,
                                       filters=form.describe())
    filename = f"activities-{timezone.localdate():%Y-%m-%d}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=filename,
                        content_type=exports.XLSX_CONTENT_TYPE)
