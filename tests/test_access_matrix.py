"""Who may open what: every role, in scope and out of scope, for every object type.

Each module keeps its rows in ``tests/<module>/access_rows.py``: ``TARGETS`` (object type →
URL for an object in or out of the viewer's scope), ``ALLOWED`` (role → object types it may open
in scope), ``UNSCOPED`` (lists that open everywhere but show only the viewer's subtree) and an
optional ``setup(tree, users)`` that creates the objects, and optional ``METHODS`` (object type
→ "post" for actions that answer only POST). Everything not allowed answers 404,
never 403, and leaves an ``access.refused`` audit event. A new module adds its rows file here.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from ctip.audit.models import AuditEvent, Outcome
from tests.cases import case_access_rows as case_rows
from tests.cases import situation_access_rows as situation_rows
from tests.community import access_rows as community_rows
from tests.org import access_rows as org_rows
from tests.outreach import access_rows as outreach_rows
from tests.reports import access_rows as report_rows
from tests.reports import submission_access_rows as submission_rows

ROLES = ["system_admin", "province_officer", "commune_officer", "branch_head", "speaker",
         "case_worker", "editor", "publisher", "auditor", "viewer"]
MODULES: list[ModuleType] = [org_rows, outreach_rows, community_rows, situation_rows,
                              case_rows, report_rows, submission_rows]


def test_every_module_names_every_role() -> None:
    for module in MODULES:
        assert set(module.ALLOWED) == set(ROLES), module.__name__
        assert set().union(*module.ALLOWED.values()) <= set(module.TARGETS), module.__name__


@pytest.mark.parametrize("role", ROLES)
def test_access(role: str, tree: Any, users: Any, client_for: Any) -> None:
    """One test per role: the tree and the users are built once for all its targets."""
    for module in MODULES:
        if hasattr(module, "setup"):
            module.setup(tree, users)
    client = client_for(users[role])
    wrong = []
    checked = 0
    for module in MODULES:
        for target in sorted(module.TARGETS):
            for inside in (True, False):
                url = module.TARGETS[target](tree, users, inside)
                method = getattr(module, "METHODS", {}).get(target, "get")
                status = getattr(client, method)(url).status_code
                allowed = target in module.ALLOWED[role] and (inside or target in
                                                              module.UNSCOPED)
                if allowed:
                    ok = status == 200
                else:
                    ok = status == 404 and AuditEvent.objects.filter(
                        action="access.refused", outcome=Outcome.REFUSED, actor=users[role],
                        target_label=url).exists()
                checked += 1
                if not ok:
                    wrong.append((target, "in" if inside else "out", status))
    assert checked >= 2 * sum(len(m.TARGETS) for m in MODULES)
    assert not wrong, (role, wrong)


def test_branch_head_sees_her_branch_but_not_the_sibling(tree: Any, users: Any,
                                                         client_for: Any) -> None:
    from django.urls import reverse

    client = client_for(users["branch_head"])
    assert client.get(reverse("org:unit_detail", args=[tree.group_a1.pk])).status_code == 200
    assert client.get(reverse("org:unit_detail", args=[tree.branch_a2.pk])).status_code == 404
    assert client.get(reverse("org:unit_detail", args=[tree.commune_a.pk])).status_code == 404
