"""A situation's page, with its timeline, and the handling steps (verify, escalate, refer,
answer, note, close): each step declares ``situation.manage`` and then needs it over the unit
handling the situation now. The page records a ``situation.viewed`` event each time it shows
the narrative."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ctip.accounts.access import requires
from ctip.accounts.policy import NotInScope, has_capability
from ctip.audit.actions import record
from ctip.cases import actions, routing
from ctip.cases.forms.situations import (
    AnswerForm,
    CloseForm,
    EscalateForm,
    NoteForm,
    ReferForm,
    VerifyForm,
)
from ctip.cases.models import Agency, Consent, Person, Referral, Situation
from ctip.cases.selectors import get_situation_for
from ctip.cases.views.situations import mark_deadlines
from ctip.core.errors import ActionError, add_to_form
from ctip.core.idempotency import already_saved, run_once, sent_before
from ctip.core.typing import AuthedRequest

# Handling steps: form prefix → form class.
STEP_FORMS: dict[str, type] = {
    "verify": VerifyForm, "escalate": EscalateForm, "refer": ReferForm, "note": NoteForm,
    "close": CloseForm,
}


# --- Detail ----------------------------------------------------------------------------------

def missing_consents(persons: Iterable[Person], purpose: str,
                     agency: Agency | None = None) -> list[str]:
    """For each person concerned without the consent needed, the action's own message saying
    which consent of which person (by code) is missing."""
    missing = []
    for person in persons:
        try:
            actions.require_consent(person, purpose, agency)
        except ActionError as exc:
            missing.append(exc.message)
    return missing


def _can_manage(user: Any, situation: Situation) -> bool:
    return (situation.state != Situation.State.CLOSED
            and has_capability(user, "situation.manage", situation.handling_unit))


def _render_detail(request: HttpRequest, situation: Situation,
                   bound: dict[str, Any] | None = None,
                   answer_forms: dict[int, Any] | None = None) -> HttpResponse:
    """The detail page, with any form that failed kept as it was sent."""
    bound = bound or {}
    answer_forms = answer_forms or {}
    can_manage = _can_manage(request.user, situation)
    persons = list(situation.persons.only("pk", "code", "unit_path").order_by("code"))
    referrals = list(situation.referrals.select_related("agency").order_by("referred_on", "pk"))
    for referral in referrals:
        referral.answer_form = answer_forms.get(  # type: ignore[attr-defined]
            referral.pk, AnswerForm(prefix=f"answer-{referral.pk}"))
    forms = {prefix: bound.get(prefix) or cls(prefix=prefix)
             for prefix, cls in STEP_FORMS.items()}
    now = timezone.now()
    mark_deadlines([situation], now)
    can_escalate = can_manage and situation.handling_unit.parent_id is not None
    record(actor=request.user, action="situation.viewed", target=situation,
           unit_path=situation.unit_path)
    return TemplateResponse(request, "cases/situation_detail.html", {
        "situation": situation,
        # a reporter without situation.view follows the state, never the handlers' work
        "handler_view": any(has_capability(request.user, "situation.view", u)
                            for u in (situation.unit, situation.handling_unit)),
        "persons": persons,
        "referrals": referrals,
        "events": situation.events.select_related("actor", "from_unit", "to_unit"),
        "can_manage": can_manage,
        "can_verify": can_manage and situation.state in (Situation.State.RECEIVED,
                                                          Situation.State.ESCALATED),
        "can_escalate": can_escalate,
        "missing_share_above": (missing_consents(persons, Consent.Purpose.SHARE_ABOVE)
                                if can_escalate else []),
        "parent": (routing.handler_unit(situation.handling_unit, above=True)
                   if can_escalate else None),
        "forms": forms,
    })


@require_http_methods(["GET"])
@requires("situation.view", "situation.report")
def situation_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _render_detail(request, get_situation_for(request.user, pk))


# --- Handling steps --------------------------------------------------------------------------

def _managed(request: HttpRequest, pk: int) -> Situation:
    situation = get_situation_for(request.user, pk)
    if not has_capability(request.user, "situation.manage", situation.handling_unit):
        raise NotInScope("situation.manage")
    return situation


def _repeat(request: HttpRequest, pk: int, scope: str | None, prefix: str,
            anchor: str) -> HttpResponse | None:
    """A step's form sent again (``idempotency.sent_before``): "already saved", back to the
    page, before the checks of the state the first press changed; None otherwise."""
    if not sent_before(request, actor=request.user, scope=scope, prefix=prefix):
        return None
    get_situation_for(request.user, pk)  # still hidden from one who cannot see it
    messages.info(request, already_saved())
    return redirect(reverse("cases:situation_detail", args=[pk]) + anchor)


def _step(request: HttpRequest, pk: int, prefix: str,
          run: Callable[[Situation, dict[str, Any]], str], *,
          scope: str | None = None) -> HttpResponse:
    """Validate the step's form, run its action, and go back to the detail page; a refusal
    shows the page again with every reason on the form (the actions report every rule
    broken, each missing consent among them). A step that creates a record names its
    ``scope``: it runs once per form key (``core.idempotency.run_once``), and so does a step
    that changes the situation's state (a second press is "already saved", not a refusal)."""
    repeat = _repeat(request, pk, scope, prefix, "#timeline")
    if repeat is not None:
        return repeat
    situation = _managed(request, pk)
    form = STEP_FORMS[prefix](request.POST, prefix=prefix, given={"situation": situation})
    if form.is_valid():
        try:
            done = run_once(form, actor=request.user, scope=scope,
                            run=lambda: run(situation, form.cleaned_data))
        except ActionError as exc:
            # the action rolled back; read the situation again rather than trust memory
            situation = get_situation_for(request.user, pk)
            add_to_form(form, exc)
        else:
            messages.success(request, done)
            return redirect(reverse("cases:situation_detail", args=[pk]) + "#timeline")
    if situation.state == Situation.State.CLOSED:
        # a closed situation's page has no forms: its refusals (it is closed) go on top
        messages.error(request, " ".join(str(e) for e in form.non_field_errors()))
        return redirect("cases:situation_detail", pk=pk)
    return _render_detail(request, situation, bound={prefix: form})


@require_http_methods(["POST"])
@requires("situation.manage")
def situation_verify(request: AuthedRequest, pk: int) -> HttpResponse:
    def run(situation: Situation, data: dict[str, Any]) -> str:
        actions.start_verification(actor=request.user, situation=situation, note=data["note"])
        return _("Verification has started.")

    return _step(request, pk, "verify", run, scope="cases.situation.verify")


@require_http_methods(["POST"])
@requires("situation.manage")
def situation_escalate(request: AuthedRequest, pk: int) -> HttpResponse:
    def run(situation: Situation, data: dict[str, Any]) -> str:
        actions.escalate(actor=request.user, situation=situation, note=data["note"])
        return _("The situation has been escalated to %(unit)s.") % {
            "unit": situation.handling_unit.name}

    return _step(request, pk, "escalate", run, scope="cases.situation.escalate")


@require_http_methods(["POST"])
@requires("situation.manage")
def situation_refer(request: AuthedRequest, pk: int) -> HttpResponse:
    def run(situation: Situation, data: dict[str, Any]) -> str:
        actions.refer(actor=request.user, situation=situation, agency=data["agency"],
                      referred_on=data["referred_on"], contact=data["contact"])
        return _("The situation has been referred to %(agency)s.") % {
            "agency": data["agency"].name}

    return _step(request, pk, "refer", run, scope="cases.situation.referral")


@require_http_methods(["POST"])
@requires("situation.manage")
def situation_note(request: AuthedRequest, pk: int) -> HttpResponse:
    def run(situation: Situation, data: dict[str, Any]) -> str:
        actions.add_note(actor=request.user, situation=situation, note=data["note"])
        return _("The note has been added.")

    return _step(request, pk, "note", run, scope="cases.situation.note")


@require_http_methods(["POST"])
@requires("situation.manage")
def situation_close(request: AuthedRequest, pk: int) -> HttpResponse:
    def run(situation: Situation, data: dict[str, Any]) -> str:
        actions.close_situation(actor=request.user, situation=situation,
                                outcome=data["outcome"])
        return _("The situation has been closed.")

    return _step(request, pk, "close", run, scope="cases.situation.close")


@require_http_methods(["POST"])
@requires("situation.manage")
def referral_answer(request: AuthedRequest, pk: int, referral_pk: int) -> HttpResponse:
    scope, prefix = "cases.situation.answer", f"answer-{referral_pk}"
    repeat = _repeat(request, pk, scope, prefix, "#referrals")
    if repeat is not None:
        return repeat
    situation = _managed(request, pk)
    referral = Referral.objects.filter(pk=referral_pk, situation=situation).first()
    if referral is None:
        raise NotInScope("situation.manage")
    form = AnswerForm(request.POST, prefix=f"answer-{referral.pk}",
                      given={"referral": referral})
    if form.is_valid():
        def run() -> str:
            actions.record_answer(actor=request.user, referral=referral,
                                  answer=form.cleaned_data["answer"],
                                  answered_on=form.cleaned_data["answered_on"])
            return _("The answer of %(agency)s has been recorded.") % {
                "agency": referral.agency.name}

        try:
            done = run_once(form, actor=request.user, scope=scope, run=run)
        except ActionError as exc:
            situation = get_situation_for(request.user, pk)
            if situation.state == Situation.State.CLOSED:
                messages.error(request, exc.message)
                return redirect("cases:situation_detail", pk=pk)
            add_to_form(form, exc)
        else:
            messages.success(request, done)
            return redirect(reverse("cases:situation_detail", args=[pk]) + "#referrals")
    return _render_detail(request, situation, answer_forms={referral.pk: form})
