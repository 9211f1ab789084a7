"""Pages of persons and support cases: the case list and detail, the new person with its
duplicate check, consent, opening a case, services, visits, follow-ups, referrals, closure, the
break-glass review, counts for the levels above, and the person's rights (identity, correction,
export, anonymisation).

Who sees what (decided here and in ``cases.policy``, never in a template):
- everyone with ``case.view`` over the case sees its code, kind, status, unit, workers,
  consents, services, visit dates and follow-ups; the person appears by code only;
- narratives (needs, plan, visit notes, referral answers, the closing reason) are shown to
  those who manage the case: its workers and holders of ``case.manage`` over its unit;
- the identity is shown only after a POST ("Show identity"), never on a GET, through
  ``actions.view_identity`` which records every view: directly for an assigned worker, with a
  stated reason (break glass, flagged to the supervising unit) for other holders of
  ``identity.view``; for anyone else the button is absent and the URL answers 404;
- levels above without ``case.view`` see counts only.

Pages that show or take an identity, and all case pages, are sent ``Cache-Control: no-store``
so that a shared office computer keeps nothing of them.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from pathlib import PurePath
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ctip.accounts.access import requires
from ctip.accounts.policy import NotInScope, has_capability, scope_paths
from ctip.audit.actions import record
from ctip.cases import actions, htcds, rights
from ctip.cases.actions import IDENTITY_FIELDS
from ctip.cases.case_forms import (
    RISK_FACTORS,
    AnonymiseForm,
    AnswerForm,
    BreakGlassForm,
    CaseFilterForm,
    CaseForm,
    CloseCaseForm,
    ConsentForm,
    FollowUpForm,
    IdentityForm,
    OpenCaseForm,
    PersonForm,
    ReferForm,
    ServiceForm,
    ServiceStatusForm,
    TraffickingEventForm,
    VisitForm,
    WorkersForm,
    format_vnd,
    identity_initial,
)
from ctip.cases.models import AnonymisationRequest, BreakGlass, Consent, Person, SupportCase
from ctip.cases.policy import (
    IdentityAccess,
    anonymisations_to_decide,
    can_manage_case,
    cases_needing_worker,
    cases_visible_to,
    identity_access,
    persons_visible_to,
    situations_visible_to,
)
from ctip.cases.review import can_review, flags_visible_to, review_break_glass
from ctip.core.collation import vi_order
from ctip.core.errors import ActionError, add_to_form
from ctip.core.htmx import render_page
from ctip.core.idempotency import announce, run_once, submit_form_once
from ctip.core.text import fold
from ctip.core.typing import AuthedRequest
from ctip.figures import privacy
from ctip.org.models import Unit
from ctip.org.paths import is_within
from ctip.units.selectors import get_unit_for

PAGE_SIZE = 50
CASE_NARRATIVE = ("needs", "plan", "outcome_reason")
PERSON_IDENTITY = tuple(f"person__{f}" for f in IDENTITY_FIELDS)
PERSON_LIGHT = ("pk", "code", "unit_id", "unit_path", "anonymised_at", "created_at", "sex")
RISK_LABELS = dict(RISK_FACTORS)


# --- Reads ----------------------------------------------------------------------------------

def _no_store(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    return response


def _page(request: HttpRequest, template: str, context: dict[str, Any],
          partial: str | None = None, status: int = 200) -> HttpResponse:
    return _no_store(render_page(request, template, context, partial=partial, status=status))


def _cases(viewer: Any) -> QuerySet[SupportCase]:
    """The viewer's cases without anything encrypted: no identity, no narrative."""
    return cases_visible_to(viewer).defer(*CASE_NARRATIVE, *PERSON_IDENTITY)


def _case_for(viewer: Any, pk: int) -> SupportCase:
    case = cases_visible_to(viewer).defer(*PERSON_IDENTITY).filter(pk=pk).first()
    if case is None:
        raise NotInScope("case.view")
    return case


def _persons(viewer: Any) -> QuerySet[Person]:
    """``persons_visible_to`` loaded without their identity: code and unit only."""
    return persons_visible_to(viewer).only(*PERSON_LIGHT, "unit__name", "unit__path")


def _person_for(viewer: Any, pk: int) -> Person:
    person = _persons(viewer).filter(pk=pk).first()
    if person is None:
        raise NotInScope("case.view")
    return person


def _full(person: Person) -> Person:
    """The person with her identity loaded, for the few places that need it."""
    return Person.objects.select_related("unit").get(pk=person.pk)


def _can_manage_person(viewer: Any, person: Person) -> bool:
    if has_capability(viewer, "case.manage", person.unit):
        return True
    return any(can_manage_case(viewer, c) for c in person.cases.select_related("unit")
               .defer(*CASE_NARRATIVE))


def _managed_person(viewer: Any, pk: int) -> Person:
    person = _person_for(viewer, pk)
    if not _can_manage_person(viewer, person):
        raise NotInScope("case.manage")
    return person


def _managed_case(viewer: Any, pk: int) -> SupportCase:
    case = _case_for(viewer, pk)
    if not can_manage_case(viewer, case):
        raise NotInScope("case.manage")
    return case


def _closed_message(case: SupportCase) -> str:
    return _("The case %(code)s was closed on %(date)s; it cannot be changed.") % {
        "code": case.code, "date": case.closed_on.strftime("%d/%m/%Y") if case.closed_on
        else ""}



def _detail_url(case: SupportCase, anchor: str = "") -> str:
    return reverse("cases:case_detail", args=[case.pk]) + (f"#{anchor}" if anchor else "")


def _active_consent_problems(person: Person) -> list[str]:
    """What the case page must say about consent: each withdrawal, and a missing consent to
    support."""
    problems = []
    try:
        actions.require_consent(person, Consent.Purpose.SUPPORT)
    except ActionError as exc:
        problems.append(exc.message)
    return problems


# --- Case list, counts ----------------------------------------------------------------------

@require_http_methods(["GET"])
@requires("case.view")
def case_list(request: AuthedRequest) -> HttpResponse:
    form = CaseFilterForm(request.GET)
    cases = _cases(request.user)
    status = form.value("status") or "open"
    if status == "open":
        cases = cases.filter(closed_on__isnull=True)
    elif status == "unassigned":
        cases = cases.filter(closed_on__isnull=True, workers__isnull=True)
    elif status == "closed":
        cases = cases.filter(closed_on__isnull=False)
    if form.value("kind"):
        cases = cases.filter(kind=form.value("kind"))
    page = Paginator(cases.order_by("-opened_on", "-pk").prefetch_related("workers"),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    can_manage = has_capability(request.user, "case.manage")
    reviews = has_capability(request.user, "breakglass.review")
    return _page(request, "cases/case_list.html", {
        "form": form, "page": page, "status": status,
        "can_create": can_manage,
        "can_review": reviews,
        "flags_open": (flags_visible_to(request.user).filter(reviewed_at__isnull=True).count()
                       if reviews else 0),
        "needing_worker": cases_needing_worker(request.user).count() if can_manage else 0,
        "anonymisations_open": (anonymisations_to_decide(request.user).count()
                                if can_manage else 0),
        "can_count": has_capability(request.user, "report.view"),
    }, partial="results")


@require_http_methods(["GET"])
@requires("report.view")
def case_counts(request: AuthedRequest, unit_pk: int | None = None) -> HttpResponse:
    """Open and closed cases by kind, for a unit and each unit directly below it. Numbers only:
    no code, no person."""
    raw = str(unit_pk) if unit_pk is not None else request.GET.get("unit", "")
    if raw:
        if not raw.isdigit():
            raise NotInScope("report.view")
        unit = get_unit_for(request.user, int(raw), "report.view")
    else:
        root = (Unit.objects.filter(path__in=scope_paths(request.user, "report.view"))
                .order_by("path").first())
        if root is None:
            raise NotInScope("report.view")
        unit = root
    children = list(Unit.objects.filter(parent=unit).order_by("closed_on", vi_order("name")))
    kinds = list(SupportCase.Kind)
    # [open, closed, key of the open, key of the closed] per kind
    rows: dict[str, dict[str, list[int]]] = {c.path: {k.value: [0, 0, 0, 0] for k in kinds}
                                             for c in children}
    own = {k.value: [0, 0, 0, 0] for k in kinds}
    total = {k.value: [0, 0, 0, 0] for k in kinds}
    counts = (SupportCase.objects.filter(unit_path__subtree=unit.path).order_by()
              .values("unit_path", "kind")
              .annotate(open=Count("pk", filter=Q(closed_on__isnull=True)),
                        closed=Count("pk", filter=Q(closed_on__isnull=False)),
                        open_key=Coalesce(Sum("record_key", filter=Q(closed_on__isnull=True)),
                                          0),
                        closed_key=Coalesce(Sum("record_key",
                                                filter=Q(closed_on__isnull=False)), 0)))
    for row in counts:
        bucket = next((rows[c.path] for c in children if is_within(row["unit_path"], c.path)),
                      own)
        found = (row["open"], row["closed"], row["open_key"], row["closed_key"])
        for target in (bucket, total):
            for i, n in enumerate(found):
                target[row["kind"]][i] += n
    exact = privacy.exact_on_screen(request.user, unit)

    def line(counts: dict[str, list[int]], where: str) -> list[Any]:
        # counts of people: through the disclosure-control layer unless the viewer may open
        # the cases (decision 0019)
        out: list[Any] = []
        for k in kinds:
            n_open, n_closed, k_open, k_closed = counts[k.value]
            if exact:
                out += [n_open, n_closed]
            else:
                out += [privacy.protect(n_open, k_open, f"case_counts|open|{k.value}|{where}"),
                        privacy.protect(n_closed, k_closed,
                                        f"case_counts|closed|{k.value}|{where}")]
        return out

    table = [(c, line(rows[c.path], str(c.pk))) for c in children]
    own_line = line(own, str(unit.pk))  # the same cell as the total where nothing is below
    parent = unit.parent if unit.parent and has_capability(
        request.user, "report.view", unit.parent) else None
    return _page(request, "cases/case_counts.html", {
        "unit": unit, "parent": parent, "kinds": kinds, "table": table,
        "own": own_line, "total": line(total, str(unit.pk)),
        "has_own": any(n for k in own.values() for n in k[:2]),
        "protected": not exact, "protection": privacy.LEGEND,
    })


# --- Case detail ----------------------------------------------------------------------------

def _render_detail(request: HttpRequest, case: SupportCase) -> HttpResponse:
    viewer = request.user
    person = case.person
    manage = can_manage_case(viewer, case)
    access = identity_access(viewer, person)
    services = list(case.services.all())
    for service in services:
        service.amount_text = format_vnd(service.amount)  # type: ignore[attr-defined]
    consents = list(person.consents.select_related("agency"))
    if manage:
        record(actor=viewer, action="case.viewed", target=case, unit_path=case.unit_path)
    return _page(request, "cases/case_detail.html", {
        "case": case,
        "person": person,
        "workers": list(case.workers.all()),
        "risk_factors": [RISK_LABELS.get(r, r) for r in case.risk_factors],
        "consents": consents,
        "withdrawn": [c for c in consents if not c.active],
        "consent_problems": _active_consent_problems(person) if case.closed_on is None else [],
        "services": services,
        "visits": list(case.visits.select_related("by").defer(
            *([] if manage else ["notes"]))),
        "follow_ups": list(case.follow_ups.all()),
        "referrals": list(case.referrals.select_related("agency").defer(
            *([] if manage else ["answer"]))),
        "trafficking": [htcds.describe_event(e, narrative=manage)
                        for e in case.trafficking_events.defer(
                            *([] if manage else ["exploitation_place"]))],
        "show_narrative": manage,
        "can_manage": manage and case.closed_on is None,
        "can_assign": case.closed_on is None and has_capability(viewer, "case.manage",
                                                                case.unit),
        "needs_worker": case.closed_on is None and not case.workers.exists(),
        "access": access.value,
        "breakglass_form": BreakGlassForm() if access is IdentityAccess.BREAK_GLASS else None,
    })


@require_http_methods(["GET"])
@requires("case.view")
def case_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _case_for(request.user, pk))


# --- Steps on a case ------------------------------------------------------------------------

def _case_step(request: HttpRequest, pk: int, *, form_class: type, title: str, submit: str,
               run: Callable[[SupportCase, dict[str, Any]], str], anchor: str,
               form_kwargs: Callable[[SupportCase], dict[str, Any]] | None = None,
               check: Callable[[SupportCase], None] | None = None,
               help_text: str = "", scope: str | None = None) -> HttpResponse:
    """A form page for one step on an open case: validate, run the action, go back to the
    case. A closed case refuses every step with the reason. A step that creates a record
    names its ``scope``: it runs once per form key (``core.idempotency.run_once``)."""
    case = _managed_case(request.user, pk)
    if check is not None:
        check(case)
    if case.closed_on is not None:
        messages.error(request, _closed_message(case))
        return redirect(_detail_url(case))
    kwargs = form_kwargs(case) if form_kwargs else {}
    if request.method == "POST":
        form = form_class(request.POST, request.FILES, **kwargs)
        if form.is_valid():
            try:
                done = run_once(form, actor=request.user, scope=scope,
                                run=lambda: run(case, form.cleaned_data))
            except ActionError as exc:
                case = _case_for(request.user, pk)
                if case.closed_on is not None:
                    messages.error(request, exc.message)
                    return redirect(_detail_url(case))
                add_to_form(form, exc)
            else:
                messages.success(request, done)
                return redirect(_detail_url(case, anchor))
    else:
        form = form_class(**kwargs)
    return _page(request, "cases/case_form.html", {
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
        return {"viewer": request.user, "initial": {"workers": list(case.workers.all())}}

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
        return {} if request.method == "POST" else {
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
    case = _managed_case(request.user, pk)
    follow_up = case.follow_ups.filter(pk=follow_up_pk).first()
    if follow_up is None:
        raise NotInScope("case.manage")
    if follow_up.done_on is None:
        actions.complete_follow_up(actor=request.user, follow_up=follow_up)
        messages.success(request, _("The follow-up is done."))
    return redirect(_detail_url(case, "follow-ups"))


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

    return _case_step(request, pk, form_class=AnswerForm, run=run, anchor="referrals",
                      check=referral_of, title=_("Answer from the agency"),
                      submit=_("Record the answer"))


@require_http_methods(["GET", "POST"])
@requires("case.manage")
def case_close(request: AuthedRequest, pk: int) -> HttpResponse:
    def run(case: SupportCase, data: dict[str, Any]) -> str:
        actions.close_case(actor=request.user, case=case, outcome=data["outcome"],
                           reason=data["reason"], closed_on=data["closed_on"])
        return _("The case has been closed.")

    return _case_step(request, pk, form_class=CloseCaseForm, run=run, anchor="facts",
                      form_kwargs=lambda case: {"opened_on": case.opened_on},
                      title=_("Close the case"), submit=_("Close the case"),
                      help_text=_("A closed case can no longer be changed."))


# --- Persons --------------------------------------------------------------------------------

def _duplicate_key(data: dict[str, Any]) -> str:
    from ctip.cases import crypto
    return crypto.search_key(
        f"dup|{fold(data['full_name'])}|{data.get('birth_year') or ''}|{data['unit'].pk}")


@require_http_methods(["GET", "POST"])
@requires("case.manage")
def person_create(request: AuthedRequest) -> HttpResponse:
    """Register a person. Before creating, a duplicate check on the folded name, the year of
    birth and the commune warns of a possible match, showing codes only where the viewer may
    see them; "create anyway" confirms that check."""
    form = PersonForm(request.POST if request.method == "POST" else None, viewer=request.user)
    matches: list[actions.PossibleMatch] = []
    checked = ""
    if request.method == "POST" and form.is_valid():
        data = form.identity_values()
        unit = data.pop("unit")
        key = _duplicate_key({**data, "unit": unit})
        confirmed = request.POST.get("confirm") == "1" and request.POST.get("checked") == key
        if not confirmed:
            matches = actions.possible_duplicates(actor=request.user, unit=unit,
                                                  full_name=data["full_name"],
                                                  birth_year=data.get("birth_year"))
            if matches:
                checked = key
                record(actor=request.user, action="person.duplicate_warned",
                       unit_path=unit.path, changes={"matches": len(matches)})
        if not matches:
            try:
                done = submit_form_once(form, actor=request.user, scope="cases.person",
                                        create=lambda: actions.create_person(
                                            actor=request.user, unit=unit, **data))
            except ActionError as exc:
                add_to_form(form, exc)
            else:
                person = done.obj
                announce(request, done, _(
                    "She is registered as %(code)s. Record her consent next: no case can be "
                    "opened without her consent to support.") % {"code": person.code})
                return redirect("cases:person_detail", pk=person.pk)
    codes = [m.code for m in matches if m.code]
    links = dict(_persons(request.user).filter(code__in=codes)
                 .values_list("code", "pk")) if codes else {}
    return _page(request, "cases/person_form.html", {
        "form": form, "matches": matches, "checked": checked,
        "visible": [(m.code, m.unit_name, links.get(m.code)) for m in matches if m.code],
        "hidden": len([m for m in matches if not m.code]),
    })


@require_http_methods(["GET"])
@requires("case.view")
def person_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """The person by code: her consents and cases. Also the consent list."""
    person = _person_for(request.user, pk)
    access = identity_access(request.user, person)
    visible = _cases(request.user).filter(person=person).order_by("-opened_on")
    consents = list(person.consents.select_related("agency"))
    manage = _can_manage_person(request.user, person)
    return _page(request, "cases/person_detail.html", {
        "person": person,
        "consents": consents,
        "withdrawn": [c for c in consents if not c.active],
        "cases": visible,
        "can_manage": manage and person.anonymised_at is None,
        "access": access.value,
        "breakglass_form": BreakGlassForm() if access is IdentityAccess.BREAK_GLASS else None,
        "support_problems": (_active_consent_problems(person)
                             if manage and person.anonymised_at is None else []),
    })


# --- Consent --------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@requires("case.manage")
def consent_add(request: AuthedRequest, pk: int) -> HttpResponse:
    person = _managed_person(request.user, pk)
    if person.anonymised_at is not None:
        messages.error(request, _("This record has been anonymised."))
        return redirect("cases:person_detail", pk=person.pk)
    form = ConsentForm(request.POST if request.method == "POST" else None,
                       request.FILES if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            done = submit_form_once(form, actor=request.user, scope="cases.consent",
                                    create=lambda: actions.record_consent(
                                        actor=request.user, person=person, **form.cleaned_data))
            consent = done.obj
        except ActionError as exc:
            # the upload check names no field: its message belongs next to the file
            add_to_form(form, exc, default="evidence" if form.cleaned_data.get("evidence")
                        else None)
        else:
            announce(request, done, _("Consent to %(what)s has been recorded.") % {
                "what": consent.get_purpose_display()})
            return redirect("cases:person_detail", pk=person.pk)
    return _page(request, "cases/consent_form.html", {"person": person, "form": form})


@require_http_methods(["POST"])
@requires("case.manage")
def consent_withdraw(request: AuthedRequest, pk: int, consent_pk: int) -> HttpResponse:
    person = _managed_person(request.user, pk)
    consent = person.consents.select_related("agency").filter(pk=consent_pk).first()
    if consent is None:
        raise NotInScope("case.manage")
    if consent.withdrawn_on is None:
        actions.withdraw_consent(actor=request.user, consent=consent)
        messages.warning(request, _(
            "Consent to %(what)s has been withdrawn: nothing more can be shared for it.")
            % {"what": consent.get_purpose_display()
               + (f" ({consent.agency.name})" if consent.agency else "")})
    return redirect("cases:person_detail", pk=person.pk)


@require_http_methods(["POST"])
@requires("identity.view")
def consent_evidence(request: AuthedRequest, pk: int, consent_pk: int) -> HttpResponse:
    """The uploaded evidence of a consent: it may carry her name and signature, so it is
    given like her identity, to an assigned case worker only, and the download is recorded."""
    person = _person_for(request.user, pk)
    if identity_access(request.user, person) is not IdentityAccess.ASSIGNED:
        raise NotInScope("identity.view")
    consent = person.consents.filter(pk=consent_pk).exclude(evidence="").first()
    if consent is None:
        raise NotInScope("identity.view")
    record(actor=request.user, action="consent.evidence_viewed", target=person,
           unit_path=person.unit_path, changes={"purpose": consent.purpose})
    suffix = PurePath(consent.evidence.name or "").suffix
    with consent.evidence.open("rb") as stream:  # at most 20 MB (core.uploads)
        content = stream.read()
    response = HttpResponse(content, content_type=mimetypes.guess_type(f"x{suffix}")[0]
                            or "application/octet-stream")
    response["Content-Disposition"] = (
        f'attachment; filename="{person.code}-{consent.purpose}{suffix}"')
    return _no_store(response)


# --- Opening a case -------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@requires("case.manage")
def case_open(request: AuthedRequest, pk: int) -> HttpResponse:
    person = _managed_person(request.user, pk)
    if person.anonymised_at is not None:
        messages.error(request, _("This record has been anonymised."))
        return redirect("cases:person_detail", pk=person.pk)
    situations = situations_visible_to(request.user).filter(persons=person).defer(
        "description", "address", "reporter_contact", "outcome")
    if request.method == "POST":
        form = OpenCaseForm(request.POST, viewer=request.user, situations=situations)
        if form.is_valid():
            try:
                done = submit_form_once(form, actor=request.user, scope="cases.case",
                                        create=lambda: actions.open_case(
                                            actor=request.user, person=person,
                                            **form.cleaned_data))
            except ActionError as exc:
                add_to_form(form, exc)
            else:
                case = done.obj
                announce(request, done, _("The case %(code)s has been opened.")
                         % {"code": case.code})
                return redirect(_detail_url(case))
    else:
        initial: dict[str, Any] = {}
        if has_capability(request.user, "case.manage", person.unit):
            initial["unit"] = person.unit
        form = OpenCaseForm(initial=initial, viewer=request.user, situations=situations)
    return _page(request, "cases/case_open.html", {
        "person": person, "form": form,
        "missing": _active_consent_problems(person),
    })


# --- Identity -------------------------------------------------------------------------------

def _refuse_identity(viewer: Any, person: Person) -> None:
    """Record the refused attempt (``person.identity_refused``), then answer 404."""
    try:
        actions.view_identity(actor=viewer, person=person)
    except ActionError:
        pass
    raise NotInScope("identity.view")


def _posted_case(request: HttpRequest, person: Person) -> SupportCase | None:
    raw = request.POST.get("case", "")
    if not raw.isdigit():
        return None
    return person.cases.filter(pk=int(raw)).defer(*CASE_NARRATIVE).first()


def _identity_page(request: HttpRequest, person: Person, identity: dict[str, Any],
                   access: IdentityAccess, case: SupportCase | None,
                   form: Any = None) -> HttpResponse:
    assigned = access is IdentityAccess.ASSIGNED
    if assigned and form is None:
        form = IdentityForm(initial=identity_initial(identity) | {
            "sex": person.sex, "ethnic_group": person.ethnic_group,
            "citizenship": person.citizenship})
    return _page(request, "cases/person_identity.html", {
        "person": person, "identity": identity, "case": case, "assigned": assigned,
        "form": form,
    })


@require_http_methods(["POST"])
@requires("identity.view")
def person_identity(request: AuthedRequest, pk: int) -> HttpResponse:
    """Show the identity. POST only, so no link, prefetch or cache ever opens it."""
    person = _person_for(request.user, pk)
    access = identity_access(request.user, person)
    if access is IdentityAccess.NONE:
        _refuse_identity(request.user, person)
    case = _posted_case(request, person)
    reason = category = ""
    form = None
    if access is IdentityAccess.BREAK_GLASS:
        form = BreakGlassForm(request.POST)
        if not form.is_valid():
            return _page(request, "cases/breakglass_form.html",
                         {"person": person, "case": case, "form": form})
        reason = form.cleaned_data["reason"]
        category = form.cleaned_data["category"]
    full = _full(person)
    try:
        identity = actions.view_identity(actor=request.user, person=full, reason=reason,
                                         category=category, case=case)
    except ActionError as exc:
        form = form or BreakGlassForm(request.POST)
        add_to_form(form, exc)
        return _page(request, "cases/breakglass_form.html",
                     {"person": person, "case": case, "form": form})
    return _identity_page(request, person, identity, access, case)


@require_http_methods(["POST"])
@requires("identity.view")
def person_correct(request: AuthedRequest, pk: int) -> HttpResponse:
    """Correct the identity (an assigned case worker only). The audit event names the fields
    changed, never their values."""
    person = _person_for(request.user, pk)
    if identity_access(request.user, person) is not IdentityAccess.ASSIGNED:
        raise NotInScope("identity.view")
    form = IdentityForm(request.POST)
    if form.is_valid():
        try:
            actions.correct_person(actor=request.user, person=_full(person),
                                   **form.identity_values())
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The record of %(code)s has been corrected.")
                             % {"code": person.code})
            return redirect("cases:person_detail", pk=person.pk)
    return _page(request, "cases/person_correct.html", {"person": person, "form": form})


@require_http_methods(["GET", "POST"])
@requires("identity.view")
def person_anonymise(request: AuthedRequest, pk: int) -> HttpResponse:
    """Ask for her identity and the narratives about her to be wiped, at her request. Her
    assigned case worker asks; a second person at the supervising unit approves
    (``anonymisation_list``); nothing is wiped before."""
    person = _person_for(request.user, pk)
    if identity_access(request.user, person) is not IdentityAccess.ASSIGNED:
        if person.anonymised_at is not None and _can_manage_person(request.user, person):
            messages.info(request, _("This record has been anonymised."))
            return redirect("cases:person_detail", pk=person.pk)
        raise NotInScope("identity.view")
    pending = person.anonymisation_requests.filter(
        state=AnonymisationRequest.State.PENDING).select_related("requested_by").first()
    form = AnonymiseForm(request.POST if request.method == "POST" else None, person=person)
    if request.method == "POST" and pending is None and form.is_valid():
        try:
            actions.request_anonymisation(actor=request.user, person=_full(person),
                                          reason=form.cleaned_data["reason"])
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _(
                "Her anonymisation has been asked for. Nothing is wiped until someone else "
                "at the supervising unit approves it."))
            return redirect("cases:person_detail", pk=person.pk)
    return _page(request, "cases/person_anonymise.html",
                 {"person": person, "form": form, "pending": pending})


@require_http_methods(["GET"])
@requires("case.manage")
def anonymisation_list(request: AuthedRequest) -> HttpResponse:
    """The anonymisations waiting for a second person: code, who asked, when, and the
    reason (which she may need to judge it)."""
    pending = list(anonymisations_to_decide(request.user, with_reason=True)
                   .order_by("requested_at"))
    return _page(request, "cases/anonymisation_list.html", {"pending": pending})


@require_http_methods(["POST"])
@requires("case.manage")
def anonymisation_decide(request: AuthedRequest, pk: int) -> HttpResponse:
    request_obj = anonymisations_to_decide(request.user).filter(pk=pk).first()
    if request_obj is None:
        raise NotInScope("case.manage")
    decision = request.POST.get("decision")
    try:
        if decision == "approve":
            actions.approve_anonymisation(actor=request.user, request=request_obj)
            messages.success(request, _(
                "The identity of %(code)s and the narratives about her have been wiped; the "
                "statistics remain.") % {"code": request_obj.person.code})
        elif decision == "reject":
            actions.reject_anonymisation(actor=request.user, request=request_obj)
            messages.success(request, _("The request has been rejected; nothing was wiped."))
        else:
            messages.error(request, _("Choose to approve or to reject."))
    except ActionError as exc:
        messages.error(request, exc.message)
    return redirect("cases:anonymisation_list")


@require_http_methods(["POST"])
@requires("identity.view")
def person_export(request: AuthedRequest, pk: int, fmt: str) -> HttpResponse:
    """Everything held about her, at her request: JSON, a printable page, or PDF."""
    person = _person_for(request.user, pk)
    if identity_access(request.user, person) is not IdentityAccess.ASSIGNED:
        raise NotInScope("identity.view")
    full = _full(person)
    if fmt == "json":
        body = rights.export_json(actor=request.user, person=full)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    elif fmt == "pdf":
        try:
            body = rights.export_pdf(actor=request.user, person=full)
        except rights.PdfUnavailable:
            messages.error(request, _(
                "PDF output is not installed on this server. Use the printable page and your "
                "browser's “Save as PDF”."))
            return redirect("cases:person_detail", pk=person.pk)
        response = HttpResponse(body, content_type="application/pdf")
    elif fmt == "print":
        return _no_store(HttpResponse(rights.export_html(
            actor=request.user, person=full, csp_nonce=str(getattr(request, "csp_nonce", "")))))
    else:
        raise NotInScope("identity.view")
    response["Content-Disposition"] = f'attachment; filename="{person.code}.{fmt}"'
    return _no_store(response)


# --- Break glass ----------------------------------------------------------------------------

@require_http_methods(["GET"])
@requires("breakglass.review")
def breakglass_list(request: AuthedRequest) -> HttpResponse:
    show_all = request.GET.get("state") == "all"
    flags = flags_visible_to(request.user).order_by("reviewed_at", "-at")
    if not show_all:
        flags = flags.filter(reviewed_at__isnull=True)
    page = Paginator(flags, PAGE_SIZE).get_page(request.GET.get("page"))
    for flag in page.object_list:
        flag.can_review = (flag.reviewed_at is None  # type: ignore[attr-defined]
                           and can_review(request.user, flag))
    return _page(request, "cases/breakglass_list.html", {"page": page, "show_all": show_all})


@require_http_methods(["POST"])
@requires("breakglass.review")
def breakglass_review(request: AuthedRequest, pk: int) -> HttpResponse:
    flag = (BreakGlass.objects.select_related("person", "user").defer(*PERSON_IDENTITY)
            .filter(pk=pk).first())
    if flag is None or not can_review(request.user, flag):
        raise NotInScope("breakglass.review")
    try:
        review_break_glass(actor=request.user, flag=flag)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Marked as reviewed."))
    return redirect("cases:breakglass_list")


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
        return {"case": case, "initial": initial}

    return _case_step(request, pk, form_class=TraffickingEventForm, run=run,
                      anchor="trafficking", title=_("Correct how she was trafficked"),
                      submit=_("Save"), form_kwargs=kwargs, check=event_of,
                      help_text=_EVENT_HELP)
