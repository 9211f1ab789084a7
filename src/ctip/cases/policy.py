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

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from django.db.models import Q, QuerySet

from ctip.accounts.policy import NotInScope, grants_of, has_capability, scope_q
from ctip.cases.models import AnonymisationRequest, Person, Situation, SupportCase
from ctip.org.paths import is_within


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
    """Cases in the viewer's ``case.view`` scope. Being on a case's worker list adds nothing:
    a worker whose role no longer covers the case no longer sees it."""
    return (SupportCase.objects.filter(scope_q(viewer, "case.view", "unit_path"))
            .select_related("unit", "person"))


def get_case_for(viewer: Any, pk: int) -> SupportCase:
    case = cases_visible_to(viewer).filter(pk=pk).first()
    if case is None:
        raise NotInScope("case.view")
    return case


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


def cases_needing_worker(viewer: Any) -> QuerySet[SupportCase]:
    """Open cases, in the units where ``viewer`` manages cases, with no case worker left (the
    last one's role was revoked or moved): the supervisor must assign someone."""
    return (SupportCase.objects.filter(scope_q(viewer, "case.manage", "unit_path"),
                                       closed_on__isnull=True, workers__isnull=True)
            .select_related("unit", "person").only("pk", "code", "kind", "opened_on",
                                                   "unit__name", "unit_path", "person__code"))


def anonymisations_to_decide(viewer: Any, *, with_reason: bool = False
                             ) -> QuerySet[AnonymisationRequest]:
    """Pending requests at the units where ``viewer`` manages cases, asked by someone else."""
    fields = ("reason",) if with_reason else ()
    return (AnonymisationRequest.objects
            .filter(scope_q(viewer, "case.manage", "unit_path"),
                    state=AnonymisationRequest.State.PENDING)
            .exclude(requested_by_id=viewer.pk)
            .select_related("person", "requested_by")
            .only("pk", "unit_path", "requested_at", "state", "requested_by_id",
                  "person__code", "person_id", "requested_by__username",
                  "requested_by__full_name", *fields))


@dataclass
class HomeTasks:
    """What waits for the viewer on her home page: flags to review, cases without a worker,
    anonymisations to approve."""

    flags_to_review: int = 0
    needing_worker: list[SupportCase] = field(default_factory=list)
    anonymisations: int = 0

    def __bool__(self) -> bool:
        return bool(self.flags_to_review or self.needing_worker or self.anonymisations)


def home_tasks(viewer: Any) -> HomeTasks:
    from ctip.cases.review import flags_visible_to

    tasks = HomeTasks()
    if has_capability(viewer, "breakglass.review"):
        tasks.flags_to_review = flags_visible_to(viewer).filter(
            reviewed_at__isnull=True).count()
    if has_capability(viewer, "case.manage"):
        tasks.needing_worker = list(cases_needing_worker(viewer).order_by("opened_on")[:20])
        tasks.anonymisations = anonymisations_to_decide(viewer).count()
    return tasks
