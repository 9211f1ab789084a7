"""The steps on an open case, each a form page running one action: edit, workers, services,
visits, follow-ups, referrals, closure, and the trafficking process (HTCDS)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ctip.accounts.access import requires
from ctip.accounts.policy import NotInScope, has_capability
from ctip.cases import actions
from ctip.cases.forms.cases import (
    AnswerForm,
    CaseForm,
    CloseCaseForm,
    FollowUpForm,
    ReferForm,
    ServiceForm,
    ServiceStatusForm,
    TraffickingEventForm,
    VisitForm,
    WorkersForm,
)
from ctip.cases.models import SupportCase
from ctip.cases.selectors import get_case_managed_by, get_case_shown_to
from ctip.cases.views.base import case_page, closed_message, detail_url
from ctip.core.errors import ActionError, add_to_form
from ctip.core.idempotency import already_saved, run_once, sent_before
from ctip.core.rules import RulesForm
from ctip.core.typing import AuthedRequest

# --- Steps on a case ------------------------------------------------------------------------

def _case_step(request: HttpRequest, pk: int, *, form_class: type, title: str, submit: str,
               run: Callable[[SupportCase, dict[str, Any]], str], anchor: str,
               form_kwargs: Callable[[SupportCase], dict[str, Any]] | None = None,
               check: Callable[[SupportCase], None] | None = None,
               help_text: str = "", scope: str | None = None) -> HttpResponse:
    """A form page for one step on an open case: validate, run the action, go back to the
    case. A closed case refuses every step with the reason. A step that creates a record
    names its ``scope``: it runs once per form key (``core.idempotency.run_once``)."""
    case = get_case_managed_by(request.user, pk)
    if check is not None:
        check(case)
    if sent_before(request, actor=request.user, scope=scope):
        # the first press did the step (closing the case among them): "already saved"
        messages.info(request, already_saved())
        return redirect(detail_url(case, anchor))
    if case.closed_on is not None:
        messages.error(request, closed_message(case))
        return redirect(detail_url(case))
    kwargs = form_kwargs(case) if form_kwargs else {}
    if request.method == "POST":
        if issubclass(form_class, RulesForm):
            # the action's inputs that are not fields: the case, unless the step names others
            kwargs.setdefault("given", {"case": case})
        form = form_class(request.POST, request.FILES, **kwargs)
        if form.is_valid():
            try:
                done = run_once(form, actor=request.user, scope=scope,
                                run=lambda: run(case, form.cleaned_data))
            except ActionError as exc:
                case = get_case_shown_to(request.user, pk)
                if case.closed_on is not None:
                    messages.error(request, exc.message)
                    return redirect(detail_url(case))
                add_to_form(form, exc)
            else:
                messages.success(request, done)
                return redirect(detail_url(case, anchor))
    else:
        form = form_class(**kwargs)
    return case_page(request, "cases/case_form.html", {
        "case": case, "form": form, "title": title, "submit": submit, "help": help_text,
        "multipart": any(getattr(f.widget, "needs_multipart_form", False)
                         for f in form.fields.values()),
    })


@require_http_methods(["GET", "POST"])
@requires("case.manage")
def case_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    def run(case: SupportCase, data: dict[str, Any]) -> str:
        actions.update_case(actor=request.user, case=case, **data)
        return _("The case has been saved.")

    def initial(case: SupportCase) -> dict[str, Any]:
        return {"initial": {"kind": case.kind, "risk_factors": case.risk_factors,
                            "needs": case.needs, "plan": case.plan}}

    return _case_step(request, pk, form_class=CaseForm, run=run, anchor="plan",
                      form_kwargs=initial, title=_("Needs and support plan"),
                      submit=_("Save"))


@require_http_methods(["GET", "POST"])
@requires("case.manage")
def case_workers(request: AuthedRequest, pk: int) -> HttpResponse:
    def check(case: SupportCase) -> None:
        if not has_capability(request.user, "case.manage", case.unit):
            raise NotInScope("case.manage")

    def run(case: SupportCase, data: dict[str, Any]) -> str:
        actions.assign_workers(actor=request.user, case=case, workers=data["workers"],
                               category=data.get("category") or "",
                               reason=data.get("reason") or "")
        return _("The case workers have been assigned.")

    def kwargs(case: SupportCase) -> dict[str, Any]:
        return {"viewer": request.user, "initial": {"workers": list(case.workers.all())},
                "given": {"actor": request.user, "case": case, "unit": case.unit}}

    return _case_step(request, pk, form_class=WorkersForm, run=run, anchor="facts",
                      form_kwargs=kwargs, check=check, title=_("Case workers"),
                      submit=_("Assign"),
                      help_text=_("Only the case workers assigned see her identity, while their "
                                  "role covers this unit. Assign a colleague; assigning "
                                  "yourself needs a reason and is reviewed by the level "
                                  "above you."))


@require_http_methods(["GET", "POST"])
@requires("case.manage")
def service_add(request: AuthedRequest, pk: int) -> HttpResponse:
    def run(case: SupportCase, data: dict[str, Any]) -> str:
        service = actions.add_service(actor=request.user, case=case, **data)
        return _("The service “%(service)s” has been added.") % {
            "service": service.get_type_display()}

    return _case_step(request, pk, form_class=ServiceForm, run=run, anchor="services",
                      scope="cases.service",
                      title=_("Add a service to the support plan"), submit=_("Add"))


@require_http_methods(["GET", "POST"])
@requires("case.manage")
def service_status(request: AuthedRequest, pk: int, service_pk: int) -> HttpResponse:
    def service_of(case: SupportCase) -> Any:
        service = case.services.filter(pk=service_pk).first()
        if service is None:
            raise NotInScope("case.manage")
        return service

    def run(case: SupportCase, data: dict[str, Any]) -> str:
        actions.set_service_status(actor=request.user, service=service_of(case), **data)
        return _("The service has been updated.")

    def kwargs(case: SupportCase) -> dict[str, Any]:
        service = service_of(case)
        return {"given": {"service": service}} if request.method == "POST" else {
            "initial": {"status": service.status, "amount": service.amount}}

    return _case_step(request, pk, form_class=ServiceStatusForm, run=run, anchor="services",
                      form_kwargs=kwargs, check=service_of,
                      title=_("Change the status of a service"), submit=_("Save"))


@require_http_methods(["GET", "POST"])
@requires("case.manage")
def visit_add(request: AuthedRequest, pk: int) -> HttpResponse:
    def run(case: SupportCase, data: dict[str, Any]) -> str:
        actions.log_visit(actor=request.user, case=case, **data)
        return _("The visit has been logged.")

    return _case_step(request, pk, form_class=VisitForm, run=run, anchor="visits",
                      scope="cases.visit",
                      title=_("Log a visit or counselling session"), submit=_("Log"))


@require_http_methods(["GET", "POST"])
@requires("case.manage")
def follow_up_add(request: AuthedRequest, pk: int) -> HttpResponse:
    def run(case: SupportCase, data: dict[str, Any]) -> str:
        actions.add_follow_up(actor=request.user, case=case, **data)
        return _("The follow-up has been added; it will show in the unit's inbox when due.")

    return _case_step(request, pk, form_class=FollowUpForm, run=run, anchor="follow-ups",
                      scope="cases.follow_up",
                      title=_("Add a follow-up"), submit=_("Add"))


@require_http_methods(["POST"])
@requires("case.manage")
def follow_up_done(request: AuthedRequest, pk: int, follow_up_pk: int) -> HttpResponse:
    case = get_case_managed_by(request.user, pk)
    follow_up = case.follow_ups.filter(pk=follow_up_pk).first()
    if follow_up is None:
        raise NotInScope("case.manage")
    if follow_up.done_on is None:
        actions.complete_follow_up(actor=request.user, follow_up=follow_up)
        messages.success(request, _("The follow-up is done."))
    return redirect(detail_url(case, "follow-ups"))


@require_http_methods(["GET", "POST"])
@requires("case.manage")
def case_refer(request: AuthedRequest, pk: int) -> HttpResponse:
    def run(case: SupportCase, data: dict[str, Any]) -> str:
        actions.refer(actor=request.user, case=case, **data)
        return _("The case has been referred to %(agency)s.") % {"agency": data["agency"].name}

    return _case_step(request, pk, form_class=ReferForm, run=run, anchor="referrals",
                      scope="cases.referral",
                      title=_("Refer to an agency"), submit=_("Refer"),
                      help_text=_("She must have consented to a referral to that agency, and "
                                  "not withdrawn it."))


@require_http_methods(["GET", "POST"])
@requires("case.manage")
def case_referral_answer(request: AuthedRequest, pk: int, referral_pk: int) -> HttpResponse:
    def referral_of(case: SupportCase) -> Any:
        referral = case.referrals.filter(pk=referral_pk).first()
        if referral is None:
            raise NotInScope("case.manage")
        return referral

    def run(case: SupportCase, data: dict[str, Any]) -> str:
        actions.record_answer(actor=request.user, referral=referral_of(case), **data)
        return _("The answer has been recorded.")

    def given(case: SupportCase) -> dict[str, Any]:
        return {"given": {"referral": referral_of(case)}}

    return _case_step(request, pk, form_class=AnswerForm, run=run, anchor="referrals",
                      check=referral_of, form_kwargs=given, title=_("Answer from the agency"),
                      scope="cases.referral.answer",
                      submit=_("Record the answer"))


@require_http_methods(["GET", "POST"])
@requires("case.manage")
def case_close(request: AuthedRequest, pk: int) -> HttpResponse:
    def run(case: SupportCase, data: dict[str, Any]) -> str:
        actions.close_case(actor=request.user, case=case, outcome=data["outcome"],
                           reason=data["reason"], closed_on=data["closed_on"])
        return _("The case has been closed.")

    return _case_step(request, pk, form_class=CloseCaseForm, run=run, anchor="facts",
                      scope="cases.case.close",
                      title=_("Close the case"), submit=_("Close the case"),
                      help_text=_("A closed case can no longer be changed."))




# --- The trafficking process ----------------------------------------------------------------

_EVENT_HELP = _("Record what she tells, with her consent. What is not known stays "
                "“unknown”: never guess.")


@require_http_methods(["GET", "POST"])
@requires("case.manage")
def trafficking_add(request: AuthedRequest, pk: int) -> HttpResponse:
    def run(case: SupportCase, data: dict[str, Any]) -> str:
        actions.record_trafficking_event(actor=request.user, case=case, **data)
        return _("The trafficking process has been recorded.")

    return _case_step(request, pk, form_class=TraffickingEventForm, run=run,
                      anchor="trafficking", title=_("Record how she was trafficked"),
                      scope="cases.trafficking",
                      submit=_("Record"), form_kwargs=lambda case: {"case": case},
                      help_text=_EVENT_HELP)


@require_http_methods(["GET", "POST"])
@requires("case.manage")
def trafficking_edit(request: AuthedRequest, pk: int, event_pk: int) -> HttpResponse:
    def event_of(case: SupportCase) -> Any:
        event = case.trafficking_events.filter(pk=event_pk).first()
        if event is None:
            raise NotInScope("case.manage")
        return event

    def run(case: SupportCase, data: dict[str, Any]) -> str:
        actions.update_trafficking_event(actor=request.user, event=event_of(case), **data)
        return _("The trafficking process has been corrected.")

    def kwargs(case: SupportCase) -> dict[str, Any]:
        event = event_of(case)
        initial = {name: getattr(event, name) for name in actions.EVENT_FIELDS}
        return {"case": case, "initial": initial,
                "given": {"case": case, "current": event}}

    return _case_step(request, pk, form_class=TraffickingEventForm, run=run,
                      anchor="trafficking", title=_("Correct how she was trafficked"),
                      submit=_("Save"), form_kwargs=kwargs, check=event_of,
                      help_text=_EVENT_HELP)
