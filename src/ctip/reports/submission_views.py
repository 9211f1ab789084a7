"""Pages of periodic reports: the list, a report (narrative, indicators, review, PDF export),
and completeness and timeliness of the units below.

Thin views: a form, one call of ``actions`` (or ``tasks.request_export``), a page or a
redirect. Reports outside the viewer's scope answer 404 (``NotInScope``), audited.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ctip.accounts.access import requires
from ctip.accounts.policy import NotInScope, has_capability, scope_paths
from ctip.core.errors import ActionError, add_to_form
from ctip.core.health import health
from ctip.core.htmx import render_page, unchanged
from ctip.core.idempotency import already_saved, submit_form_once
from ctip.core.typing import AuthedRequest
from ctip.org.models import Unit
from ctip.reports import actions, policy, prevention, privacy, selectors
from ctip.reports import indicators as ind
from ctip.reports.forms import (
    AttachmentForm,
    NarrativeForm,
    NewReportForm,
    ReturnForm,
    StatusForm,
    UnlockForm,
)
from ctip.reports.models import Export, PeriodLock, Report
from ctip.reports.pdf import indicator_rows, report_keys, report_where
from ctip.reports.periods import last_closed_period, period_code
from ctip.reports.tasks import request_export, retry_export
from ctip.units.selectors import get_unit_for

PAGE_SIZE = 50


@require_http_methods(["GET", "POST"])
@requires("report.view")
def report_list(request: AuthedRequest) -> HttpResponse:
    form = None
    if policy.can_submit_for(request.user):
        form = NewReportForm(request.POST or None, viewer=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                report = actions.create_or_get_draft(
                    actor=request.user, unit=data["unit"], report_type=data["report_type"],
                    start=data["start"], end=data["end"], campaign=data["campaign"])
            except ActionError as exc:
                add_to_form(form, exc)
            else:
                return redirect("reports:report_detail", report.pk)
    elif request.method == "POST":
        raise NotInScope("report.submit")
    return _list_page(request, form, _carried(request))


def _list_page(request: AuthedRequest, form: NewReportForm | None, carried: dict[str, Any],
               status_code: int = 200) -> HttpResponse:
    """The reports she sees, a page of them filtered by status, with the periods she lifts."""
    reports = selectors.reports_visible_to(request.user)
    status = request.GET.get("status", "")
    if status in Report.Status.values:
        reports = reports.filter(status=status)
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(request, "reports/report_list.html",
                       {"page": page, "form": form, "statuses": Report.Status.choices,
                        "status": status, **carried}, status=status_code)


CARRIED_PAGE_SIZE = 20  # periods kept locked for moved units, a page


def _carried(request: AuthedRequest, refused: PeriodLock | None = None,
             form: UnlockForm | None = None) -> dict[str, Any]:
    """The periods kept locked for units that moved, which the viewer lifts, a page of them
    each with its form (``?carried=``: a moved province brings years of monthly, quarterly
    and yearly periods); after a refusal, the refused one alone, with its errors."""
    if refused is not None:
        return {"carried": [(refused, form)], "carried_page": None}
    if not has_capability(request.user, "report.approve"):
        return {"carried": [], "carried_page": None}
    page = Paginator(selectors.carried_locks_for(request.user), CARRIED_PAGE_SIZE).get_page(
        request.GET.get("carried"))
    return {"carried": [(lock, UnlockForm(prefix=f"lock-{lock.pk}")) for lock in page],
            "carried_page": page if page.paginator.num_pages > 1 else None}


@require_http_methods(["POST"])
@requires("report.approve")
def lock_unlock(request: AuthedRequest, pk: int) -> HttpResponse:
    """Lift a period kept locked for a unit that moved (``core.periods.carry_locks``): the
    unit now above it does, with a reason; outside what she reviews, 404."""
    lock = selectors.carried_lock(request.user, pk)
    if lock is None:
        if selectors.lifted_carried_lock(request.user, pk) is None:
            raise NotInScope("report.approve")
        messages.info(request, _("This period is already unlocked."))
        return redirect("reports:report_list")
    form = UnlockForm(request.POST, given={"lock": lock}, prefix=f"lock-{lock.pk}")
    if form.is_valid():
        try:
            actions.unlock(actor=request.user, lock=lock, reason=form.cleaned_data["reason"])
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("%(unit)s: the period %(start)s–%(end)s is unlocked.")
                             % {"unit": lock.unit.name, "start": lock.start.strftime("%d/%m"),
                                "end": lock.end.strftime("%d/%m/%Y")})
            return redirect("reports:report_list")
    return _list_page(request, None, _carried(request, lock, form), status_code=400)


def _detail_context(request: HttpRequest, report: Report, **forms: Any) -> dict[str, Any]:
    user = request.user
    editable = (report.status in selectors.EDITABLE
                and policy.can_submit_for(user, report.unit))
    reviewable = (report.status == Report.Status.SUBMITTED
                  and policy.can_approve_for(user, report.unit))
    values_live = False
    values, keys = report.values, report.cell_keys
    if report.status in selectors.EDITABLE:
        try:
            (values, keys), values_live = selectors.compute_snapshot(report), True
        except Exception:  # the preview is a convenience; the snapshot is taken on submit
            values, keys = report.values, report.cell_keys
    shown = Report(values=values, cell_keys=keys, unit=report.unit,
                   period_start=report.period_start, period_end=report.period_end)
    hide = not privacy.exact_report(user, report.unit)
    seen = (privacy.protect_values(values or {}, report_keys(shown), report_where(shown))
            if hide else values or {})
    linked = prevention.links(report.unit, report.period_start, report.period_end, seen)
    lock = (PeriodLock.objects.active().filter(report=report, unit_id=report.unit_id).first()
            if report.status == Report.Status.APPROVED else None)
    return {
        "report": report, "editable": editable, "reviewable": reviewable,
        "rows": indicator_rows(shown, hide=hide, official=False), "suppressed": hide,
        "suppression_mark": privacy.MARK, "protection": privacy.LEGEND,
        "values_live": values_live, "lock": lock,
        "report_period": {"label": report.period_label},
        "prevention_links": [(ind.get(code), rows) for code, rows in linked.items() if rows],
        "can_unlock": lock is not None and policy.can_approve_for(user, report.unit),
        "narrative_form": forms.get("narrative_form") or NarrativeForm(initial={
            "number": report.number, "results": report.results,
            "difficulties": report.difficulties, "proposals": report.proposals}),
        "return_form": forms.get("return_form") or ReturnForm(),
        "unlock_form": forms.get("unlock_form") or UnlockForm(),
        "attachment_form": forms.get("attachment_form") or AttachmentForm(),
        "attachments": report.attachments.all(),
        "exports": report.exports.all()[:5],
        "due_date": report.due_date,
    }


@require_http_methods(["GET"])
@requires("report.view")
def report_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    report = selectors.get_report_for(request.user, pk)
    return render_page(request, "reports/report_detail.html", _detail_context(request, report))


def _refused(request: HttpRequest, report: Report, exc: ActionError, **forms: Any) -> Any:
    """The page again with what was refused: each problem with a field next to that field of
    the form sent (and in its summary), the others as messages at the top (the form may not be
    shown any more: an approved report has none)."""
    general = []
    for field, message in exc.errors:
        form = next((f for f in forms.values() if field in f.fields), None)
        if form is None:
            general.append(message)
        else:
            add_to_form(form, ActionError(message, field=field))
    for message in general:
        messages.error(request, message)
    return render_page(request, "reports/report_detail.html",
                       _detail_context(request, report, **forms), status=400)


@require_http_methods(["POST"])
@requires("report.submit")
def report_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    report = selectors.get_report_for(request.user, pk)
    form = NarrativeForm(request.POST)
    if not form.is_valid():
        return render_page(request, "reports/report_detail.html",
                           _detail_context(request, report, narrative_form=form), status=400)
    try:
        actions.update_narrative(actor=request.user, report=report, **form.cleaned_data)
    except ActionError as exc:
        return _refused(request, report, exc, narrative_form=form)
    messages.success(request, _("The report is saved."))
    return redirect("reports:report_detail", report.pk)


@require_http_methods(["POST"])
@requires("report.submit")
def report_attach(request: AuthedRequest, pk: int) -> HttpResponse:
    report = selectors.get_report_for(request.user, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        return render_page(request, "reports/report_detail.html",
                           _detail_context(request, report, attachment_form=form), status=400)
    try:  # a file sent again (a double press, a retry after an error) is attached once
        done = submit_form_once(form, actor=request.user, scope="reports.attachment",
                                create=lambda: actions.add_attachment(
                                    actor=request.user, report=report,
                                    upload=form.cleaned_data["file"],
                                    caption=form.cleaned_data["caption"]))
    except ActionError as exc:
        return _refused(request, report, exc, attachment_form=form)
    if done.replayed:
        messages.info(request, already_saved())
    return redirect("reports:report_detail", report.pk)


@require_http_methods(["POST"])
@requires("report.submit")
def report_submit(request: AuthedRequest, pk: int) -> HttpResponse:
    report = selectors.get_report_for(request.user, pk)
    try:
        actions.submit(actor=request.user, report=report)
    except ActionError as exc:
        return _refused(request, report, exc)
    messages.success(request, _("The report is submitted to %(parent)s.")
                     % {"parent": report.unit.parent})
    return redirect("reports:report_detail", report.pk)


@require_http_methods(["POST"])
@requires("report.approve")
def report_approve(request: AuthedRequest, pk: int) -> HttpResponse:
    report = selectors.get_report_for(request.user, pk)
    try:
        actions.approve(actor=request.user, report=report)
    except ActionError as exc:
        return _refused(request, report, exc)
    messages.success(request, _("The report is approved and the period is locked."))
    return redirect("reports:report_detail", report.pk)


@require_http_methods(["POST"])
@requires("report.approve")
def report_return(request: AuthedRequest, pk: int) -> HttpResponse:
    report = selectors.get_report_for(request.user, pk)
    form = ReturnForm(request.POST, given={"actor": request.user, "report": report})
    if not form.is_valid():
        return render_page(request, "reports/report_detail.html",
                           _detail_context(request, report, return_form=form), status=400)
    try:
        actions.return_report(actor=request.user, report=report,
                                  comment=form.cleaned_data["comment"])
    except ActionError as exc:
        return _refused(request, report, exc, return_form=form)
    messages.success(request, _("The report is returned with your comment."))
    return redirect("reports:report_detail", report.pk)


@require_http_methods(["POST"])
@requires("report.approve")
def report_unlock(request: AuthedRequest, pk: int) -> HttpResponse:
    report = selectors.get_report_for(request.user, pk)
    # its own lock; the copies carried to units that moved away are lifted apart (``lock_unlock``)
    lock = PeriodLock.objects.active().filter(report=report, unit_id=report.unit_id).first()
    if lock is None:
        return _refused(request, report, ActionError(_("This period is not locked.")))
    form = UnlockForm(request.POST, given={"lock": lock})
    if not form.is_valid():
        return render_page(request, "reports/report_detail.html",
                           _detail_context(request, report, unlock_form=form), status=400)
    try:
        actions.unlock(actor=request.user, lock=lock, reason=form.cleaned_data["reason"])
    except ActionError as exc:
        return _refused(request, report, exc, unlock_form=form)
    messages.success(request, _("The period is unlocked; the report is open for correction."))
    return redirect("reports:report_detail", report.pk)


# --- PDF export -----------------------------------------------------------------------------

@require_http_methods(["POST"])
@requires("report.view")
def export_start(request: AuthedRequest, pk: int) -> HttpResponse:
    report = selectors.get_report_for(request.user, pk)
    export = request_export(actor=request.user, report=report)
    return redirect("reports:export_status", export.pk)


def _get_export(request: HttpRequest, pk: int) -> Export:
    export = Export.objects.select_related("report").filter(pk=pk).first()
    if export is None:
        raise NotInScope("report.view")
    selectors.get_report_for(request.user, export.report_id)
    return export


def _stalled(export: Export) -> str:
    """Why an unfinished export will not finish by itself (no worker alive, a queue that has
    not moved), or "": the page then stops waiting and offers to try again."""
    if export.status not in (Export.Status.QUEUED, Export.Status.RUNNING):
        return ""
    state = health()
    if state.ok:
        return ""
    waited = (timezone.now() - export.created_at).total_seconds()
    if waited < settings.CTIP_TASK_LEASE_SECONDS:
        return ""
    return _("The background worker is not running, so the PDF cannot be built now. Try "
             "again; if it fails again, tell the administrator (ctip worker).")


@require_http_methods(["GET"])
@requires("report.view")
def export_status(request: AuthedRequest, pk: int) -> HttpResponse:
    export = _get_export(request, pk)
    stalled = _stalled(export)
    state = f"{export.status}-{export.progress}-{int(bool(stalled))}"
    if unchanged(request, state):
        return HttpResponse(status=204)
    return render_page(request, "reports/report_export.html",
                       {"export": export, "report": export.report, "stalled": stalled,
                        "state": state,
                        "polling": not stalled and export.status in (Export.Status.QUEUED,
                                                                     Export.Status.RUNNING)},
                       partial="progress")


@require_http_methods(["POST"])
@requires("report.view")
def export_retry(request: AuthedRequest, pk: int) -> HttpResponse:
    """"Failed — try again": the same export queued again (once, however often it is
    posted)."""
    export = _get_export(request, pk)
    retry_export(actor=request.user, export=export, stalled=bool(_stalled(export)))
    return redirect("reports:export_status", export.pk)


@require_http_methods(["GET"])
@requires("report.view")
def export_download(request: AuthedRequest, pk: int) -> FileResponse:
    export = _get_export(request, pk)
    if export.status != Export.Status.DONE or not export.file:
        raise Http404
    return FileResponse(export.file.open("rb"), as_attachment=True,
                        filename=str(export.file.name).rsplit("/", 1)[-1],
                        content_type="application/pdf")


# --- Completeness and timeliness ------------------------------------------------------------

def _status_root(request: HttpRequest, unit_id: int | None) -> Unit:
    if unit_id:
        return get_unit_for(request.user, unit_id, "report.view")
    roots = scope_paths(request.user, "report.view")
    unit = Unit.objects.filter(path=roots[0]).first() if roots else None
    if unit is None:
        raise NotInScope("report.view")
    return unit


@require_http_methods(["GET"])
@requires("report.view")
def report_status(request: AuthedRequest) -> HttpResponse:
    params = request.GET.copy()
    params.setdefault("type", "monthly")
    if not params.get("period"):
        params["period"] = period_code(
            "monthly", last_closed_period("monthly", timezone.localdate())[0])
    form = StatusForm(params, viewer=request.user)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        data = form.cleaned_data
        root = _status_root(request, data.get("unit"))
        campaign = data.get("campaign")
        rows, per_level, total = selectors.completeness(root, data["type"], data["start"],
                                                          data["end"], campaign=campaign)
        context.update(root=root, rows=rows, per_level=per_level, total=total,
                       report_type=data["type"], start=data["start"], end=data["end"],
                       due=data["type"].due_date(data["end"]), period=data["period"],
                       campaign=campaign)
    return render_page(request, "reports/report_status.html", context)
