"""Reviewing break-glass openings of identities.

When someone opens an identity outside her assignment, or assigns herself to a case,
``actions._break_glass`` leaves a ``BreakGlass`` flag with the unit she acted from
(``actor_path``: the highest unit where she holds ``identity.view`` over the case). Review
goes to the level above her, never to a peer or someone below:

- holders of ``breakglass.review`` at a unit strictly above ``actor_path`` may review it; the
  nearest such level is told (home page, daily digest);
- where no unit above holds a reviewer (a system administrator at the top of the tree), the
  system's security officers (role ``security_officer``) whose grant covers ``actor_path``
  review it, and they may review any flag in their scope;
- nobody reviews her own.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ctip.accounts.capabilities import ROLE_CAPABILITIES, Role
from ctip.accounts.models import RoleAssignment
from ctip.accounts.policy import NotInScope, grants_of
from ctip.audit.actions import record
from ctip.cases.models import BreakGlass
from ctip.core.errors import ActionError
from ctip.org.paths import is_within

REVIEW = "breakglass.review"


def _review_q(viewer: Any) -> Q:
    q = Q(pk__in=[])
    for grant in grants_of(viewer):
        if grant.role == Role.SECURITY_OFFICER:
            q |= Q(actor_path__subtree=grant.unit_path)
        elif REVIEW in grant.capabilities:
            q |= Q(actor_path__subtree=grant.unit_path) & ~Q(actor_path=grant.unit_path)
    return q


def flags_visible_to(viewer: Any) -> QuerySet[BreakGlass]:
    """Break-glass flags that ``viewer`` reviews: those of people acting below her, and, for a
    security officer, every flag in her scope. Her own are never listed for her."""
    return (BreakGlass.objects.filter(_review_q(viewer)).exclude(user_id=viewer.pk)
            .select_related("person", "case", "user", "reviewed_by")
            .only("pk", "reason", "category", "kind", "at", "unit_path", "actor_path",
                  "reviewed_at", "user_id", "person__code", "case__code", "user__username",
                  "user__full_name", "reviewed_by__username", "reviewed_by__full_name"))


def can_review(viewer: Any, flag: BreakGlass) -> bool:
    if flag.user_id == getattr(viewer, "pk", None):
        return False
    for grant in grants_of(viewer):
        if not is_within(flag.actor_path, grant.unit_path):
            continue
        if grant.role == Role.SECURITY_OFFICER:
            return True
        if REVIEW in grant.capabilities and grant.unit_path != flag.actor_path:
            return True
    return False


def reviewers_of(flags: list[BreakGlass]) -> dict[int, set[int]]:
    """For each flag, the users told about it: the holders of ``breakglass.review`` at the
    nearest unit strictly above the one who opened it, else the security officers over her
    unit. Active users only, never the one who opened it."""
    roles = [r for r, caps in ROLE_CAPABILITIES.items() if REVIEW in caps
             and r != Role.SECURITY_OFFICER]
    rows = list(RoleAssignment.objects.active()
                .filter(user__is_active=True, unit__closed_on__isnull=True)
                .filter(Q(role__in=roles) | Q(role=Role.SECURITY_OFFICER))
                .values_list("user_id", "role", "unit__path"))
    by_path: dict[str, set[int]] = defaultdict(set)
    officers: list[tuple[int, str]] = []
    for user_id, role, path in rows:
        if role == Role.SECURITY_OFFICER:
            officers.append((user_id, path))
        else:
            by_path[path].add(user_id)
    result: dict[int, set[int]] = {}
    for flag in flags:
        above = sorted((p for p in by_path if is_within(flag.actor_path, p)
                        and p != flag.actor_path), key=len, reverse=True)
        recipients: set[int] = set()
        for path in above:
            recipients = by_path[path] - {flag.user_id}
            if recipients:
                break
        if not recipients:
            recipients = {u for u, p in officers if is_within(flag.actor_path, p)} - {
                flag.user_id}
        result[flag.pk] = recipients
    return result


@transaction.atomic
def review_break_glass(*, actor: Any, flag: BreakGlass) -> BreakGlass:
    """Mark ``flag`` reviewed by ``actor``, who reviews from above the one who opened it."""
    if flag.user_id == actor.pk:
        raise ActionError(_("Someone at the level above must review your own opening of an "
                            "identity."))
    if not can_review(actor, flag):
        raise NotInScope(REVIEW)
    flag = BreakGlass.objects.select_for_update().get(pk=flag.pk)
    if flag.reviewed_at is not None:
        return flag
    flag.reviewed_by = actor
    flag.reviewed_at = timezone.now()
    flag.save(update_fields=["reviewed_by", "reviewed_at"])
    record(actor=actor, action="person.break_glass_reviewed", target=flag.person,
           unit_path=flag.unit_path,
           changes={"flag": flag.pk, "category": flag.category,
                    "opened_by": flag.user.get_username(), "opened_at": flag.at})
    return flag
