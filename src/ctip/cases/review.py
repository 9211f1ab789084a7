"""Reviewing break-glass openings of identities.

When someone opens an identity outside her assignment, ``actions.view_identity`` leaves a
``BreakGlass`` flag on the supervising unit. Holders of ``case.manage`` over that unit read the
reason and mark the flag reviewed; nobody reviews her own."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ctip.accounts.policy import NotInScope, scope_paths, scope_q
from ctip.audit.actions import record
from ctip.cases.models import BreakGlass
from ctip.core.errors import ActionError


def flags_visible_to(viewer: Any) -> QuerySet[BreakGlass]:
    """Break-glass flags of the units where ``viewer`` manages cases."""
    return (BreakGlass.objects.filter(scope_q(viewer, "case.manage", "unit_path"))
            .select_related("person", "case", "user", "reviewed_by")
            .only("pk", "reason", "at", "unit_path", "reviewed_at", "user_id",
                  "person__code", "case__code", "user__username", "user__full_name",
                  "reviewed_by__username", "reviewed_by__full_name"))


def can_review(viewer: Any, flag: BreakGlass) -> bool:
    return any(flag.unit_path.startswith(root) for root in scope_paths(viewer, "case.manage"))


@transaction.atomic
def review_break_glass(*, actor: Any, flag: BreakGlass) -> BreakGlass:
    """Mark ``flag`` reviewed by ``actor``, who manages cases over its unit."""
    if not can_review(actor, flag):
        raise NotInScope("case.manage")
    if flag.user_id == actor.pk:
        raise ActionError(_("Someone else in the supervising unit must review your own "
                            "opening of an identity."))
    flag = BreakGlass.objects.select_for_update().get(pk=flag.pk)
    if flag.reviewed_at is not None:
        return flag
    flag.reviewed_by = actor
    flag.reviewed_at = timezone.now()
    flag.save(update_fields=["reviewed_by", "reviewed_at"])
    record(actor=actor, action="person.break_glass_reviewed", target=flag.person,
           unit_path=flag.unit_path,
           changes={"flag": flag.pk, "opened_by": flag.user.get_username(),
                    "opened_at": flag.at})
    return flag
