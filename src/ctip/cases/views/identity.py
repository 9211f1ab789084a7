"""A person's identity and her rights: showing it (POST only, recorded), correcting it,
exporting everything held about her, and anonymisation with a second person's approval. The
level each page may use is ``policy.identity_level``'s, never the page's."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ctip.accounts.access import requires
from ctip.accounts.policy import NotInScope
from ctip.cases import actions, rights
from ctip.cases.forms.cases import AnonymiseForm, BreakGlassForm, IdentityForm, identity_initial
from ctip.cases.models import AnonymisationRequest, Person, SupportCase
from ctip.cases.policy import (
    CASE_NARRATIVE,
    IdentityAccess,
    IdentityUse,
    allows,
    can_manage_person,
    identity_level,
    require_identity,
)
from ctip.cases.selectors import anonymisations_to_decide, get_person_shown_to, with_identity
from ctip.cases.views.base import case_page, no_store
from ctip.core.errors import ActionError, add_to_form
from ctip.core.typing import AuthedRequest

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
    assigned = allows(access, IdentityUse.CORRECT)
    if assigned and form is None:
        form = IdentityForm(initial=identity_initial(identity) | {
            "sex": person.sex, "ethnic_group": person.ethnic_group,
            "citizenship": person.citizenship})
    return case_page(request, "cases/person_identity.html", {
        "person": person, "identity": identity, "case": case, "assigned": assigned,
        "form": form,
    })


@require_http_methods(["POST"])
@requires("identity.view")
def person_identity(request: AuthedRequest, pk: int) -> HttpResponse:
    """Show the identity. POST only, so no link, prefetch or cache ever opens it."""
    person = get_person_shown_to(request.user, pk)
    access = identity_level(request.user, person)
    if access is IdentityAccess.NONE:
        _refuse_identity(request.user, person)
    case = _posted_case(request, person)
    reason = category = ""
    form = None
    if access is IdentityAccess.BREAK_GLASS:
        form = BreakGlassForm(request.POST)
        if not form.is_valid():
            return case_page(request, "cases/breakglass_form.html",
                         {"person": person, "case": case, "form": form})
        reason = form.cleaned_data["reason"]
        category = form.cleaned_data["category"]
    full = with_identity(person)
    try:
        identity = actions.view_identity(actor=request.user, person=full, reason=reason,
                                         category=category, case=case)
    except ActionError as exc:
        form = form or BreakGlassForm(request.POST)
        add_to_form(form, exc)
        return case_page(request, "cases/breakglass_form.html",
                     {"person": person, "case": case, "form": form})
    return _identity_page(request, person, identity, access, case)


@require_http_methods(["POST"])
@requires("identity.view")
def person_correct(request: AuthedRequest, pk: int) -> HttpResponse:
    """Correct the identity (an assigned case worker only). The audit event names the fields
    changed, never their values."""
    person = get_person_shown_to(request.user, pk)
    require_identity(request.user, person, IdentityUse.CORRECT)
    form = IdentityForm(request.POST)
    if form.is_valid():
        try:
            actions.correct_person(actor=request.user, person=with_identity(person),
                                   **form.identity_values())
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The record of %(code)s has been corrected.")
                             % {"code": person.code})
            return redirect("cases:person_detail", pk=person.pk)
    return case_page(request, "cases/person_correct.html", {"person": person, "form": form})


@require_http_methods(["GET", "POST"])
@requires("identity.view")
def person_anonymise(request: AuthedRequest, pk: int) -> HttpResponse:
    """Ask for her identity and the narratives about her to be wiped, at her request. Her
    assigned case worker asks; a second person at the supervising unit approves
    (``anonymisation_list``); nothing is wiped before."""
    person = get_person_shown_to(request.user, pk)
    if identity_level(request.user, person, IdentityUse.ANONYMISE) is IdentityAccess.NONE:
        if person.anonymised_at is not None and can_manage_person(request.user, person):
            messages.info(request, _("This record has been anonymised."))
            return redirect("cases:person_detail", pk=person.pk)
        raise NotInScope("identity.view")
    pending = person.anonymisation_requests.filter(
        state=AnonymisationRequest.State.PENDING).select_related("requested_by").first()
    form = AnonymiseForm(request.POST if request.method == "POST" else None, person=person)
    if request.method == "POST" and pending is None and form.is_valid():
        try:
            actions.request_anonymisation(actor=request.user, person=with_identity(person),
                                          reason=form.cleaned_data["reason"])
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _(
                "Her anonymisation has been asked for. Nothing is wiped until someone else "
                "at the supervising unit approves it."))
            return redirect("cases:person_detail", pk=person.pk)
    return case_page(request, "cases/person_anonymise.html",
                 {"person": person, "form": form, "pending": pending})


@require_http_methods(["GET"])
@requires("case.manage")
def anonymisation_list(request: AuthedRequest) -> HttpResponse:
    """The anonymisations waiting for a second person: code, who asked, when, and the
    reason (which she may need to judge it)."""
    pending = list(anonymisations_to_decide(request.user, with_reason=True)
                   .order_by("requested_at"))
    return case_page(request, "cases/anonymisation_list.html", {"pending": pending})


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
    person = get_person_shown_to(request.user, pk)
    require_identity(request.user, person, IdentityUse.EXPORT)
    full = with_identity(person)
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
        return no_store(HttpResponse(rights.export_html(
            actor=request.user, person=full, csp_nonce=str(getattr(request, "csp_nonce", "")))))
    else:
        raise NotInScope("identity.view")
    response["Content-Disposition"] = f'attachment; filename="{person.code}.{fmt}"'
    return no_store(response)
