"""Reads about users and their roles, always through the viewer's scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet

from ctip.accounts.capabilities import CAPABILITIES, Role
from ctip.accounts.models import RoleAssignment, User
from ctip.accounts.policy import NotInScope, grants_of, scope_q


@dataclass
class UnitOverview:
    unit_name: str
    unit_path: str
    roles: list[str] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)


def home_overview(user: Any) -> list[UnitOverview]:
    """Her units and what she may do in each, from her grants alone (no query: the grants
    carry their unit's name and path, and come with the signed-in user's snapshot)."""
    by_unit: dict[int, UnitOverview] = {}
    for grant in grants_of(user):
        item = by_unit.setdefault(grant.unit_id, UnitOverview(grant.unit_name, grant.unit_path))
        item.roles.append(str(Role(grant.role).label))
        for cap in sorted(grant.capabilities):
            label = str(CAPABILITIES[cap].label)
            if label not in item.capabilities:
                item.capabilities.append(label)
    return sorted(by_unit.values(), key=lambda i: i.unit_path)


def users_visible_to(viewer: Any) -> QuerySet[User]:
    """Users whose home unit lies in a subtree where the viewer holds ``user.view``."""
    return (
        User.objects.filter(scope_q(viewer, "user.view", "home_unit__path"))
        .select_related("home_unit")
        .prefetch_related(
            Prefetch(
                "role_assignments",
                queryset=RoleAssignment.objects.active().select_related("unit"),
                to_attr="active_assignments",
            )
        )
        .order_by("home_unit__path", "username")
    )


def get_user_for(viewer: Any, pk: int) -> User:
    user = users_visible_to(viewer).filter(pk=pk).first()
    if user is None:
        raise NotInScope("user")
    return user
