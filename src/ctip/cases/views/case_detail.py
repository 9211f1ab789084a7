"""A support case's page: what each viewer sees of it is said in ``cases.views``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from ctip.accounts.access import requires
from ctip.accounts.policy import has_capability
from ctip.audit.actions import record
from ctip.cases import htcds
from ctip.cases.forms.cases import BreakGlassForm, format_vnd
from ctip.cases.models import SupportCase
from ctip.cases.policy import IdentityAccess, can_manage_case, identity_level
from ctip.cases.selectors import get_case_shown_to
from ctip.cases.views.base import RISK_LABELS, case_page, consent_problems
from ctip.core.typing import AuthedRequest

# --- Case detail ----------------------------------------------------------------------------

def _render_detail(request: HttpRequest, case: SupportCase) -> HttpResponse:
    viewer = request.user
    person = case.person
    manage = can_manage_case(viewer, case)
    access = identity_level(viewer, person)
    services = list(case.services.all())
    for service in services:
        service.amount_text = format_vnd(service.amount)  # type: ignore[attr-defined]
    consents = list(person.consents.select_related("agency"))
    if manage:
        record(actor=viewer, action="case.viewed", target=case, unit_path=case.unit_path)
    return case_page(request, "cases/case_detail.html", {
        "case": case,
        "person": person,
        "workers": list(case.workers.all()),
        "risk_factors": [RISK_LABELS.get(r, r) for r in case.risk_factors],
        "consents": consents,
        "withdrawn": [c for c in consents if not c.active],
        "consent_problems": consent_problems(person) if case.closed_on is None else [],
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
    return _render_detail(request, get_case_shown_to(request.user, pk))
