"""Who may open what: every role, in scope and out of scope, for every object type.

Two matrices. The generated one (``tests/access_matrix.py``, run by ``tests/matrix/``) covers
every route of the URL configuration with every role and method, its expectations derived from
the views' declarations. The hand-written rows (here) pin finer rules that a declaration cannot
express, such as who may export an identity.

Each module keeps its rows in ``tests/<module>/access_rows.py``: ``TARGETS`` (object type →
URL for an object in or out of the viewer's scope), ``ALLOWED`` (role → object types it may open
in scope), ``UNSCOPED`` (lists that open everywhere but show only the viewer's subtree) and an
optional ``setup(tree, users)`` that creates the objects, and optional ``METHODS`` (object type
→ "post" for actions that answer only POST). Everything not allowed answers 404,
never 403, and leaves an ``access.refused`` audit event. A new module adds its rows file here.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ctip.accounts.access import ACCESS_ATTR, public
from ctip.audit.models import AuditEvent, Outcome
from tests.access_matrix import (
    GROUPS,
    ROLES,
    Outcomes,
    Route,
    arguments_of,
    fill,
    group_of,
    routes,
    stopped_at_the_gate,
)
from tests.cases import case_access_rows as case_rows
from tests.cases import situation_access_rows as situation_rows
from tests.community import access_rows as community_rows
from tests.org import access_rows as org_rows
from tests.outreach import access_rows as outreach_rows
from tests.reports import access_rows as report_rows
from tests.reports import submission_access_rows as submission_rows

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


# --- The matrix generated from the URL configuration ----------------------------------------
#
# tests/access_matrix.py sends and judges it; tests/matrix/ runs it, one module per group of
# routes. Here: the checks of the harness itself.


def test_every_route_falls_in_exactly_one_group() -> None:
    grouped = {group: [r.route for r in routes() if group_of(r) == group] for group in GROUPS}
    assert sum(len(g) for g in grouped.values()) == len(routes()) > 100
    assert all(grouped.values()), [g for g, found in grouped.items() if not found]
    modules = {p.stem.removeprefix("test_") for p in
               (Path(__file__).parent / "matrix").glob("test_*.py")}
    assert modules == set(GROUPS)


def test_a_request_is_sent_once_only_where_the_gate_turns_it_away(users: Any) -> None:
    """Outside the scope the matrix skips a request only when the gate decides before the view,
    through layers that ignore the URL's object; anything else is sent for both objects."""
    from django.views.decorators.csrf import csrf_exempt
    from django.views.decorators.http import require_POST

    from ctip.accounts.access import requires

    def body(request: Any, pk: int) -> Any:  # pragma: no cover - never called
        return None

    def route(view: Any) -> Route:
        return Route("gizmos/<int:pk>/", "gizmo", None, view)

    gated = route(require_POST(requires("case.view")(body)))
    assert stopped_at_the_gate(gated, None)
    assert stopped_at_the_gate(gated, users["editor"])  # no case capability anywhere
    assert not stopped_at_the_gate(gated, users["case_worker"])  # the view decides the scope
    unknown = route(csrf_exempt(requires("case.view")(body)))
    assert not stopped_at_the_gate(unknown, users["editor"])
    assert not stopped_at_the_gate(route(public(body)), None)


def test_a_405_stands_for_a_refusal_only_when_everybody_gets_it() -> None:
    key = ("units/<int:pk>/", "POST")
    alike = Outcomes()
    alike.statuses[key] = {405}
    alike.blind_refusals[key] = "POST /units/10/ as viewer (out of scope): 405"
    assert alike.failures() == []
    telling = Outcomes()
    telling.statuses[key] = {405, 200}
    telling.blind_refusals[key] = "POST /units/10/ as viewer (out of scope): 405"
    assert len(telling.failures()) == 1 and "every signed-in request" in telling.failures()[0]


def test_the_matrix_fails_a_route_it_cannot_fill() -> None:
    from django.urls import path

    from tests.access_world import World

    def view(request: Any, gizmo_pk: int) -> None:  # pragma: no cover - never called
        return None

    setattr(view, ACCESS_ATTR, "unit.view")
    route = Route("gizmos/<int:gizmo_pk>/", "gizmo", path("gizmos/<int:gizmo_pk>/", view), view)
    message = fill(route, World(inside=True))
    assert isinstance(message, str)
    assert "'gizmo_pk'" in message and "ARGUMENTS in tests/access_world.py" in message


def test_every_route_argument_has_a_rule() -> None:
    """Fast feedback without the data set: every argument of every route maps to a kind."""
    from tests.access_world import kind_for

    missing = [f"{r.route}: {name}" for r in routes(api=True) for name in arguments_of(r)
               if not name.startswith("*") and kind_for(r.route, name) is None]
    assert not missing, missing
