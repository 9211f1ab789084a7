"""Reading the audit trail, within the auditor's scope; the auditors told of its checkpoints."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from ctip.accounts.capabilities import ROLE_CAPABILITIES
from ctip.accounts.models import RoleAssignment
from ctip.accounts.policy import scope_paths, scope_q
from ctip.audit.models import AuditEvent
from ctip.org.models import Unit


def events_visible_to(viewer: Any) -> QuerySet[AuditEvent]:
    """Events stamped with a unit in the viewer's ``audit.view`` scope; events with no unit
    (system events) only for auditors whose scope starts at the top of the tree."""
    roots = scope_paths(viewer, "audit.view")
    q = scope_q(viewer, "audit.view", "unit_path")
    top = {p for p in Unit.objects.filter(parent__isnull=True).values_list("path", flat=True)}
    if any(r in top for r in roots):
        q |= Q(unit_path="")
    return AuditEvent.objects.filter(q).select_related("actor")


def filter_events(events: QuerySet[AuditEvent], *, actor: str = "", action: str = "",
                  unit: Unit | None = None, start: dt.date | None = None,
                  end: dt.date | None = None, outcome: str = "") -> QuerySet[AuditEvent]:
    if actor:
        events = events.filter(actor_label__icontains=actor)
    if action:
        events = events.filter(action__startswith=action)
    if unit is not None:
        events = events.filter(unit_path__subtree=unit.path)
    if start:
        events = events.filter(occurred_at__date__gte=start)
    if end:
        events = events.filter(occurred_at__date__lte=end)
    if outcome:
        events = events.filter(outcome=outcome)
    return events


def auditors_to_tell() -> list[Any]:
    """Active auditors whose scope starts at the top of the tree, with an e-mail address: they
    are e-mailed each signed checkpoint (``ctip.audit.checkpoints.announce``)."""
    roles = [role for role, caps in ROLE_CAPABILITIES.items() if "audit.view" in caps]
    rows = (RoleAssignment.objects.active()
            .filter(role__in=roles, unit__parent__isnull=True, unit__closed_on__isnull=True,
                    user__is_active=True)
            .exclude(user__email="").select_related("user"))
    return list({row.user_id: row.user for row in rows}.values())
