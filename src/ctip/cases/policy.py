"""Who sees what of situations and cases. The identity of a person is the most protected
thing in the system, and access to it follows the *current* role, never a stale list:

- a case worker assigned to one of the person's cases sees it, provided she holds
  ``identity.view`` today over that case's unit (a role revoked or moved elsewhere ends it,
  and ``actions.end_uncovered_assignments`` then takes her off the case);
- other holders of ``identity.view`` over the person's or a case's unit may open it with a
  reason of substance (break glass), flagged for review by the level above them;
- everyone else sees the person's code only.
Managing a case likewise needs ``case.manage`` over its unit today. Every view of an identity
writes an audit event."""

from __future__ import annotations

from enum import Enum
from typing import Any

from django.db.models import Q, QuerySet

from ctip.accounts.policy import NotInScope, grants_of, has_capability, scope_q
from ctip.cases.models import Person, Situation, SupportCase
from ctip.org.paths import is_within

# A case's encrypted narratives: never loaded to decide who may do what.
CASE_NARRATIVE = ("needs", "plan", "outcome_reason")


class IdentityAccess(Enum):
    NONE = "none"
    ASSIGNED = "assigned"
    BREAK_GLASS = "break_glass"


class IdentityUse(Enum):
    """What a page does with a person's identity. Break glass opens ``SHOW`` alone (with a
    reason, flagged for review); the rest are her assigned case worker's."""

    SHOW = "show"            # show it, on a POST (``actions.view_identity`` records it)
    EVIDENCE = "evidence"    # download a consent's evidence (it may bear her name)
    CORRECT = "correct"      # correct it
    EXPORT = "export"        # give her everything held about her
    ANONYMISE = "anonymise"  # ask for it to be wiped


ASSIGNED_ONLY = frozenset({IdentityUse.EVIDENCE, IdentityUse.CORRECT, IdentityUse.EXPORT,
                           IdentityUse.ANONYMISE})


def situations_visible_to(viewer: Any) -> QuerySet[Situation]:
    """Situations in the viewer's ``situation.view`` scope (by where they happened or who
    handles them now), plus the ones she reported herself."""
    q = (scope_q(viewer, "situation.view", "unit_path")
         | scope_q(viewer, "situation.view", "handling_path"))
    if getattr(viewer, "is_authenticated", False):
        q |= Q(created_by=viewer)
    return Situation.objects.filter(q).select_related("unit", "handling_unit")


def cases_visible_to(viewer: Any) -> QuerySet[SupportCase]:
    """Cases in the viewer's ``case.view`` scope. Being on a case's worker list adds nothing:
    a worker whose role no longer covers the case no longer sees it."""
    return (SupportCase.objects.filter(scope_q(viewer, "case.view", "unit_path"))
            .select_related("unit", "person"))


def persons_visible_to(viewer: Any) -> QuerySet[Person]:
    """Persons of the viewer's ``case.view`` units, and the persons of her visible cases
    (their codes; the identity is ``identity_access``'s to give)."""
    q = scope_q(viewer, "case.view", "unit_path")
    q |= Q(pk__in=cases_visible_to(viewer).order_by().values("person_id"))
    return Person.objects.filter(q).select_related("unit")


def identity_access(viewer: Any, person: Person) -> IdentityAccess:
    """Both a current role with ``identity.view`` over the case's unit and an assignment to
    that case (ASSIGNED); the role without the assignment is break glass; else NONE."""
    if not getattr(viewer, "is_authenticated", False) or person.anonymised_at is not None:
        return IdentityAccess.NONE
    cases = list(person.cases.select_related("unit").only("pk", "unit", "unit_path"))
    assigned = set(person.cases.filter(workers=viewer).values_list("pk", flat=True))
    if any(c.pk in assigned and holds_identity_over(viewer, c.unit) for c in cases):
        return IdentityAccess.ASSIGNED
    units = [person.unit, *(c.unit for c in cases)]
    if any(holds_identity_over(viewer, u) for u in units):
        return IdentityAccess.BREAK_GLASS
    return IdentityAccess.NONE


def identity_level(viewer: Any, person: Person,
                   use: IdentityUse = IdentityUse.SHOW) -> IdentityAccess:
    """The level at which ``viewer`` may make ``use`` of ``person``'s identity: every page
    asks here, none picks the level it needs. NONE: the code only (the page answers 404 and
    the refusal is recorded); BREAK_GLASS: shown after a stated reason; ASSIGNED: in full."""
    access = identity_access(viewer, person)
    return access if allows(access, use) else IdentityAccess.NONE


def allows(access: IdentityAccess, use: IdentityUse) -> bool:
    """Whether a level already decided (``identity_access``) opens ``use``: an assignment
    opens every use, break glass only ``SHOW``."""
    if use in ASSIGNED_ONLY:
        return access is IdentityAccess.ASSIGNED
    return access is not IdentityAccess.NONE


def require_identity(viewer: Any, person: Person, use: IdentityUse) -> IdentityAccess:
    """``identity_level``, raising ``NotInScope`` (404, recorded) when it is NONE."""
    level = identity_level(viewer, person, use)
    if level is IdentityAccess.NONE:
        raise NotInScope("identity.view")
    return level


def holds_identity_over(user: Any, unit: Any) -> bool:
    """The role half of seeing an identity: ``identity.view`` over ``unit`` today (the other
    half is an assignment to the case, ``identity_access``)."""
    return has_capability(user, "identity.view", unit)


def assigned_case(viewer: Any, person: Person) -> SupportCase | None:
    """The first of the person's cases ``viewer`` is assigned to and covers today, the case
    through which ``identity_access`` answers ASSIGNED."""
    for case in person.cases.filter(workers=viewer).select_related("unit").order_by("pk"):
        if holds_identity_over(viewer, case.unit):
            return case
    return None


def can_work_cases_at(user: Any, unit: Any) -> bool:
    """Whether ``user`` may be a case worker at ``unit``: managing cases and seeing the
    identities of the people in them there today."""
    return has_capability(user, "case.manage", unit) and holds_identity_over(user, unit)


def holds_over(user: Any, capability: str, unit_path: str) -> bool:
    """``capability`` over the unit at ``unit_path`` (there or above), read from the path."""
    return bool(acting_path(user, unit_path, capability))


def acting_path(viewer: Any, unit_path: str, capability: str = "identity.view") -> str:
    """The highest unit at which ``viewer`` holds ``capability`` over ``unit_path``: the level
    she acts from, whose level above reviews her break glass. "" when she holds none."""
    paths = [g.unit_path for g in grants_of(viewer)
             if capability in g.capabilities and is_within(unit_path, g.unit_path)]
    return min(paths, key=len) if paths else ""


def can_manage_case(viewer: Any, case: SupportCase) -> bool:
    return has_capability(viewer, "case.manage", case.unit)


def can_manage_person(viewer: Any, person: Person) -> bool:
    """``case.manage`` over the person's unit, or over the unit of one of her cases."""
    if has_capability(viewer, "case.manage", person.unit):
        return True
    return any(can_manage_case(viewer, c) for c in person.cases.select_related("unit")
               .defer(*CASE_NARRATIVE))
