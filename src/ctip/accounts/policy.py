"""The permission policy: what a user may do, and where.

A user's grants are their active role assignments, each a set of capabilities over a unit's
subtree (its materialised path). Everything asks this module; templates never decide.

- ``has_capability(user, cap)``: anywhere at all (used to declare and gate views).
- ``has_capability(user, cap, unit)``: over that unit.
- ``scope_q(user, cap, field)``: a filter for querysets of facts stamped with a unit path.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext_lazy as _

from ctip.accounts.capabilities import ROLE_CAPABILITIES
from ctip.accounts.models import RoleAssignment
from ctip.core.errors import NotInScope as NotInScope  # re-exported: defined below accounts
from ctip.org.paths import is_within

if TYPE_CHECKING:
    from ctip.org.models import Unit


@dataclass(frozen=True)
class Grant:
    role: str
    unit_id: int
    unit_path: str
    unit_name: str
    capabilities: frozenset[str]


def grants_of(user: Any) -> list[Grant]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_ctip_grants", None)
    if cached is not None:
        return cached
    rows = (
        RoleAssignment.objects.active()
        .filter(user=user, unit__closed_on__isnull=True)
        .values_list("role", "unit_id", "unit__path", "unit__name")
    )
    grants = [
        Grant(role, unit_id, path, name, ROLE_CAPABILITIES[role])
        for role, unit_id, path, name in rows
    ]
    # signed in by an API token limited to some of her roles (``api.tokens.authenticate``):
    # those alone, however often the grants are read again (``forget``)
    token = getattr(user, "_ctip_token", None)
    if token is not None and token.roles:
        grants = [g for g in grants if g.role in token.roles]
    user._ctip_grants = grants
    return grants


def forget(user: Any) -> None:
    """Drop the cached grants after a role change."""
    if hasattr(user, "_ctip_grants"):
        del user._ctip_grants


def has_capability(user: Any, capability: str, unit: Unit | None = None) -> bool:
    for grant in grants_of(user):
        if capability in grant.capabilities and (
            unit is None or is_within(unit.path, grant.unit_path)
        ):
            return True
    return False


def capabilities_at(user: Any, unit: Unit) -> frozenset[str]:
    caps: set[str] = set()
    for grant in grants_of(user):
        if is_within(unit.path, grant.unit_path):
            caps |= grant.capabilities
    return frozenset(caps)


def roles_grantable_by(user: Any) -> list[str]:
    """The roles ``user`` could grant somewhere (the actions then check the exact unit).

    What a user holds at a unit is the union of the grants above it, so it is largest at the
    unit of one of her own grants: checking those units is enough."""
    grants = grants_of(user)
    held_at = [
        frozenset().union(*(o.capabilities for o in grants if is_within(g.unit_path, o.unit_path)))
        for g in grants
    ]
    held_at = [caps for caps in held_at if "user.manage" in caps]
    return [role for role, caps in ROLE_CAPABILITIES.items()
            if any(caps <= held for held in held_at)]


def scope_paths(user: Any, capability: str) -> list[str]:
    """The roots of the subtrees where ``user`` holds ``capability``, without overlaps."""
    paths = sorted({g.unit_path for g in grants_of(user) if capability in g.capabilities})
    roots: list[str] = []
    for path in paths:
        if not any(is_within(path, root) for root in roots):
            roots.append(path)
    return roots


def scope_q(user: Any, capability: str, field: str = "path") -> Q:
    """A filter matching rows whose ``field`` (a unit path) lies in the user's scope."""
    roots = scope_paths(user, capability)
    if not roots:
        return Q(pk__in=[])
    q = Q()
    for root in roots:
        q |= Q(**{f"{field}__subtree": root})
    return q


def require(user: Any, capability: str, unit: Unit) -> None:
    """Raise ``NotInScope`` unless ``user`` holds ``capability`` over ``unit``."""
    if user is None:  # the system itself (management commands, tasks)
        return
    if not has_capability(user, capability, unit):
        raise NotInScope(capability)


@dataclass(frozen=True)
class NavItem:
    label: Any
    url: str


# (label, URL name, capabilities of which any one shows the entry; none: everyone signed in)
NAVIGATION: list[tuple[Any, str, tuple[str, ...]]] = [
    (_("Home"), "core:home", ()),
    (_("Activities"), "outreach:activity_list", ("activity.view",)),
    (_("Campaigns"), "outreach:campaign_list", ("activity.view",)),
    (_("Library"), "outreach:topic_list", ("activity.view",)),
    (_("Clubs and models"), "community:club_list", ("activity.view",)),
    (_("Situations"), "cases:situation_list", ("situation.view", "situation.report")),
    (_("Support cases"), "cases:case_list", ("case.view",)),
    (_("Periodic reports"), "reports:report_list", ("report.view",)),
    (_("Indicators"), "reports:indicators", ("report.view",)),
    (_("Units"), "org:tree", ("unit.view",)),
    (_("Users"), "accounts:user_list", ("user.view",)),
    (_("Audit trail"), "audit:event_list", ("audit.view",)),
    (_("Bulletin"), "wagtailadmin_home", ("bulletin.edit", "bulletin.publish")),
]


@cache
def _navigation_under(prefix: str, urlconf: Any) -> list[tuple[Any, str, tuple[str, ...]]]:
    return [(label, reverse(name), caps) for label, name, caps in NAVIGATION]


def navigation_for(user: Any) -> list[NavItem]:
    """The menu entries ``user`` may use; the addresses reversed once per address prefix, not
    on every page (decision 0066)."""
    if not getattr(user, "is_authenticated", False):
        return []
    held = frozenset().union(*(grant.capabilities for grant in grants_of(user)))
    return [NavItem(label, url)
            for label, url, caps in _navigation_under(get_script_prefix(),
                                                      get_urlconf() or settings.ROOT_URLCONF)
            if not caps or not held.isdisjoint(caps)]
