"""Who sees what of situations and cases. The identity of a person is the most protected
thing in the system:

- case workers assigned to one of the person's cases see it;
- holders of ``identity.view`` over the case's unit may open it with a stated reason (break
  glass), which is flagged to the supervising unit;
- everyone else sees the person's code only.
Every view of an identity writes an audit event."""

from __future__ import annotations

from enum import Enum
from typing import Any

from django.db.models import Q, QuerySet

from ctip.accounts.policy import NotInScope, has_capability, scope_q
from ctip.cases.models import Person, Situation, SupportCase


class IdentityAccess(Enum):
    NONE = "none"
    ASSIGNED = "assigned"
    BREAK_GLASS = "break_glass"


def situations_visible_to(viewer: Any) -> QuerySet[Situation]:
    """Situations in the viewer's ``situation.view`` scope (by where they happened or who
    handles them now), plus the ones she reported herself."""
    q = (scope_q(viewer, "situation.view", "unit_path")
         | scope_q(viewer, "situation.view", "handling_path"))
    if getattr(viewer, "is_authenticated", False):
        q |= Q(created_by=viewer)
    return Situation.objects.filter(q).select_related("unit", "handling_unit")


def get_situation_for(viewer: Any, pk: int) -> Situation:
    situation = situations_visible_to(viewer).filter(pk=pk).first()
    if situation is None:
        raise NotInScope("situation.view")
    return situation


def cases_visible_to(viewer: Any) -> QuerySet[SupportCase]:
    q = scope_q(viewer, "case.view", "unit_path")
    if getattr(viewer, "is_authenticated", False):
        q |= Q(workers=viewer)
    return SupportCase.objects.filter(q).distinct().select_related("unit", "person")


def get_case_for(viewer: Any, pk: int) -> SupportCase:
    case = cases_visible_to(viewer).filter(pk=pk).first()
    if case is None:
        raise NotInScope("case.view")
    return case


def identity_access(viewer: Any, person: Person) -> IdentityAccess:
    if not getattr(viewer, "is_authenticated", False) or person.anonymised_at is not None:
        return IdentityAccess.NONE
    if person.cases.filter(workers=viewer).exists():
        return IdentityAccess.ASSIGNED
    units = [person.unit, *(c.unit for c in person.cases.select_related("unit"))]
    if any(has_capability(viewer, "identity.view", u) for u in units):
        return IdentityAccess.BREAK_GLASS
    return IdentityAccess.NONE


def can_manage_case(viewer: Any, case: SupportCase) -> bool:
    return case.workers.filter(pk=viewer.pk).exists() or has_capability(
        viewer, "case.manage", case.unit)
