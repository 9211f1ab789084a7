"""Who may do what with clubs, prevention models and their exchanges: one function per rule,
called by the pages, the forms and the actions.

- Seeing a club or an exchange: ``activity.view`` over the unit it is stamped with.
- Managing one (editing, status, members, replication): ``activity.manage`` over its unit, and
  the unit still open.
"""

from __future__ import annotations

from typing import Any

from ctip.accounts.policy import has_capability, scope_paths
from ctip.community.models import Club, Exchange
from ctip.org.paths import is_within


def can_see(viewer: Any, obj: Club | Exchange, capability: str = "activity.view") -> bool:
    """Whether ``obj`` (stamped with a unit path) lies in the viewer's scope. ``None`` is the
    system itself."""
    if viewer is None:
        return True
    return any(is_within(obj.unit_path, root) for root in scope_paths(viewer, capability))


def can_record(user: Any) -> bool:
    """Whether ``user`` records clubs and exchanges somewhere (the "new" buttons)."""
    return has_capability(user, "activity.manage")


def can_manage(user: Any, obj: Club | Exchange) -> bool:
    """Whether ``user`` may change ``obj``: ``activity.manage`` over its unit, still open."""
    return obj.unit.is_open and has_capability(user, "activity.manage", obj.unit)
