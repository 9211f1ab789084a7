"""A person: the new person with its duplicate check, her page (by code), consent, and
opening a case for her."""

from __future__ import annotations

import mimetypes
from pathlib import PurePath
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ctip.accounts.access import requires
from ctip.accounts.policy import NotInScope, has_capability
from ctip.audit.actions import record
from ctip.cases import actions, crypto
from ctip.cases.forms.cases import BreakGlassForm, ConsentForm, OpenCaseForm, PersonForm
from ctip.cases.policy import (
    IdentityAccess,
    IdentityUse,
    can_manage_person,
    identity_level,
    require_identity,
    situations_visible_to,
)
from ctip.cases.selectors import (
    cases_shown_to,
    get_person_managed_by,
    get_person_shown_to,
    persons_shown_to,
)
from ctip.cases.views.base import case_page, consent_problems, detail_url, no_store
from ctip.core.errors import ActionError, add_to_form
from ctip.core.idempotency import announce, submit_form_once
from ctip.core.text import fold
from ctip.core.typing import AuthedRequest

# --- Persons --------------------------------------------------------------------------------

def _duplicate_key(data: dict[str, Any]) -> str:
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
    links = dict(persons_shown_to(request.user).filter(code__in=codes)
                 .values_list("code", "pk")) if codes else {}
    return case_page(request, "cases/person_form.html", {
        "form": form, "matches": matches, "checked": checked,
        "visible": [(m.code, m.unit_name, links.get(m.code)) for m in matches if m.code],
        "hidden": len([m for m in matches if not m.code]),
    })


@require_http_methods(["GET"])
@requires("case.view")
def person_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """The person by code: her consents and cases. Also the consent list."""
    person = get_person_shown_to(request.user, pk)
    access = identity_level(request.user, person)
    visible = cases_shown_to(request.user).filter(person=person).order_by("-opened_on")
    consents = list(person.consents.select_related("agency"))
    manage = can_manage_person(request.user, person)
    return case_page(request, "cases/person_detail.html", {
        "person": person,
        "consents": consents,
        "withdrawn": [c for c in consents if not c.active],
        "cases": visible,
        "can_manage": manage and person.anonymised_at is None,
        "access": access.value,
        "breakglass_form": BreakGlassForm() if access is IdentityAccess.BREAK_GLASS else None,
        "support_problems": (consent_problems(person)
                             if manage and person.anonymised_at is None else []),
    })


# --- Consent --------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@requires("case.manage")
def consent_add(request: AuthedRequest, pk: int) -> HttpResponse:
    person = get_person_managed_by(request.user, pk)
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
    return case_page(request, "cases/consent_form.html", {"person": person, "form": form})


@require_http_methods(["POST"])
@requires("case.manage")
def consent_withdraw(request: AuthedRequest, pk: int, consent_pk: int) -> HttpResponse:
    person = get_person_managed_by(request.user, pk)
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
    person = get_person_shown_to(request.user, pk)
    require_identity(request.user, person, IdentityUse.EVIDENCE)
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
    return no_store(response)


# --- Opening a case -------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@requires("case.manage")
def case_open(request: AuthedRequest, pk: int) -> HttpResponse:
    person = get_person_managed_by(request.user, pk)
    if person.anonymised_at is not None:
        messages.error(request, _("This record has been anonymised."))
        return redirect("cases:person_detail", pk=person.pk)
    situations = situations_visible_to(request.user).filter(persons=person).defer(
        "description", "address", "reporter_contact", "outcome")
    if request.method == "POST":
        form = OpenCaseForm(request.POST, viewer=request.user, situations=situations,
                            given={"actor": request.user, "person": person})
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
                return redirect(detail_url(case))
    else:
        initial: dict[str, Any] = {}
        if has_capability(request.user, "case.manage", person.unit):
            initial["unit"] = person.unit
        form = OpenCaseForm(initial=initial, viewer=request.user, situations=situations)
    return case_page(request, "cases/case_open.html", {
        "person": person, "form": form,
        "missing": consent_problems(person),
    })
