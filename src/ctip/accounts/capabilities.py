"""Capabilities and roles: the one place that says who may do what.

A capability is a named permission such as ``unit.manage``. A role is a set of capabilities. A
role assignment (user, role, unit) grants the role's capabilities over that unit's whole subtree.
Later modules add their capabilities here, and the roles that get them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Capability:
    code: str
    label: Promise


CAPABILITIES: dict[str, Capability] = {
    c.code: c
    for c in [
        Capability("unit.view", _("See units and their structure")),
        Capability("unit.manage", _("Create, edit, import and restructure units")),
        Capability("user.view", _("See the users of the units")),
        Capability("user.manage", _("Create users, grant roles and reset passwords")),
        Capability("audit.view", _("Read the audit trail")),
        Capability("activity.view", _("See outreach activities, campaigns, clubs and models")),
        Capability("activity.manage", _("Record and edit outreach work for the unit")),
        Capability("activity.log_own", _("Record one's own talks")),
        Capability("catalogue.manage", _("Keep the topic library and the shared catalogues")),
        Capability("situation.report", _("Report a situation")),
        Capability("situation.view", _("See situations and their handling")),
        Capability("situation.manage", _("Handle, escalate and refer situations")),
        Capability("case.view", _("See support cases by code, without identities")),
        Capability("case.manage", _("Manage support cases")),
        Capability("identity.view", _("See the identity of people in cases")),
        Capability("breakglass.review",
                   _("Review identities opened outside an assignment at the units below")),
        Capability("report.view", _("See indicators and reports")),
        Capability("report.submit", _("Prepare and submit the unit's reports")),
        Capability("report.approve", _("Review and approve reports of units below")),
        Capability("data.share", _("Download de-identified person-level files for partners "
                                   "(CTDC, HTCDS)")),
        Capability("bulletin.edit", _("Write bulletin articles")),
        Capability("bulletin.publish", _("Approve and publish bulletin articles")),
    ]
}


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    PROVINCE_OFFICER = "province_officer", _("Provincial officer")
    COMMUNE_OFFICER = "commune_officer", _("Commune officer")
    BRANCH_HEAD = "branch_head", _("Branch head")
    SPEAKER = "speaker", _("Speaker")
    CASE_WORKER = "case_worker", _("Case worker")
    EDITOR = "editor", _("Editor")
    PUBLISHER = "publisher", _("Publisher")
    AUDITOR = "auditor", _("Auditor")
    VIEWER = "viewer", _("Viewer")
    SECURITY_OFFICER = "security_officer", _("Security officer")


ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.SYSTEM_ADMIN: frozenset(CAPABILITIES),
    Role.PROVINCE_OFFICER: frozenset(
        {
            "unit.view", "unit.manage", "user.view", "user.manage",
            "activity.view", "activity.manage", "activity.log_own", "catalogue.manage",
            "situation.report", "situation.view",
            "situation.manage", "case.view", "report.view", "report.submit", "report.approve",
            "data.share",
        }
    ),
    Role.COMMUNE_OFFICER: frozenset(
        {
            "unit.view", "unit.manage", "user.view", "user.manage",
            "activity.view", "activity.manage", "activity.log_own",
            "situation.report", "situation.view",
            "situation.manage", "case.view", "report.view", "report.submit",
        }
    ),
    Role.BRANCH_HEAD: frozenset(
        {"unit.view", "activity.view", "activity.manage", "situation.report"}
    ),
    Role.SPEAKER: frozenset({"unit.view", "activity.view", "activity.log_own"}),
    Role.CASE_WORKER: frozenset(
        {"unit.view", "situation.view", "case.view", "case.manage", "identity.view",
         "breakglass.review"}
    ),
    Role.EDITOR: frozenset({"bulletin.edit"}),
    Role.PUBLISHER: frozenset({"bulletin.edit", "bulletin.publish"}),
    Role.AUDITOR: frozenset({"unit.view", "user.view", "audit.view"}),
    Role.VIEWER: frozenset({"unit.view", "activity.view", "report.view"}),
    # Reviews break-glass openings where no unit above the one who opened holds
    # ``breakglass.review`` (the top of the tree: a system administrator's openings). Sees no
    # case content beyond the flag: person and case codes, who, when, the category and reason.
    Role.SECURITY_OFFICER: frozenset({"unit.view", "user.view", "audit.view",
                                      "breakglass.review"}),
}

assert set(ROLE_CAPABILITIES) == set(Role.values)  # noqa: S101  (import-time consistency)
for _caps in ROLE_CAPABILITIES.values():
    assert _caps <= set(CAPABILITIES), _caps - set(CAPABILITIES)  # noqa: S101


def capabilities_of(role: str) -> frozenset[str]:
    return ROLE_CAPABILITIES[role]
