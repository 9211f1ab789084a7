"""The access matrix of the API (issue #14.3): every API route and token page x every role
(and an anonymous caller) x GET, POST, PUT and DELETE, inside and outside everybody's scope,
filled and judged as the generated matrix of the pages (``tests/access_matrix.py``):
out of scope is 404 with an ``access.refused`` event, never 403 or 500. The API answers an
anonymous caller 401 (a problem+json), not the sign-in redirect."""

from __future__ import annotations

import copy
import json
from typing import Any

from django.db import transaction
from django.test import Client

from ctip.audit.models import AuditEvent, Outcome
from tests.access_matrix import ROLES, expectation, fill, routes, seen_from_below
from tests.access_world import build, unit_of
from tests.conftest import login_client

PREFIXES = ("api/v1/", "accounts/tokens/")
ANSWERED = {200, 201, 204, 302, 400, 405, 409, 422, 428}
METHODS = ("get", "post", "put", "delete")
# Answers that say nothing about the object, the same for every id: a method the path does not
# serve (405), and an invalid body (422, checked before the object is looked up, for a caller
# who holds the capability somewhere). A GET of an object must be a recorded 404, except a
# campaign issued above the caller's units, which she takes part in (as on the campaign page).
BLIND = {405, 422}


def test_api_routes_are_all_declared() -> None:
    api = [r for r in routes(api=True) if r.route.startswith(PREFIXES)]
    assert len(api) >= 12
    assert all(r.access is not None for r in api), [r.route for r in api if r.access is None]


def test_api_access_matrix(tree: Any, users: Any) -> None:
    worlds = build(tree, users)
    clients = {role: login_client(users[role]) for role in ROLES}
    clients["anonymous"] = Client()
    for client in clients.values():
        client.raise_request_exception = False
    wrong: list[str] = []
    answered: dict[str, bool] = {}
    count = 0
    for route in [r for r in routes(api=True) if r.route.startswith(PREFIXES)]:
        for world in worlds:
            filled = fill(route, world)
            if isinstance(filled, str):
                assert not filled, filled
                break
            url, kind = filled
            if not world.inside and kind is None:
                break
            unit = unit_of(world, kind) if kind else None
            if kind and world.inside:
                answered.setdefault(route.route, False)
            for role in [*ROLES, "anonymous"]:
                user = users.get(role)
                expected = expectation(route, role, user, unit)
                for method in METHODS:
                    count += 1
                    cookies = copy.deepcopy(clients[role].cookies)
                    with transaction.atomic():
                        before = AuditEvent.objects.order_by("-id").values_list(
                            "id", flat=True).first() or 0
                        response = (clients[role].get(url) if method == "get" else
                                    getattr(clients[role], method)(
                                        url, json.dumps({}), content_type="application/json"))
                        status = response.status_code
                        refused = user is not None and AuditEvent.objects.filter(
                            id__gt=before, action="access.refused", outcome=Outcome.REFUSED,
                            actor=user, target_label=url[:255]).exists()
                        transaction.set_rollback(True)
                    clients[role].cookies = cookies
                    where = f"{method} {url} as {role} ({world.inside and 'in' or 'out'}): {status}"
                    if status >= 500 or status == 403:
                        wrong.append(where)
                    elif expected == "login":
                        api = route.route.startswith("api/")
                        if status != 405 and (status != 401 if api else status != 302):
                            wrong.append(f"{where}, expected {'401' if api else 'sign-in'}")
                        if api and status == 401:
                            assert response["Content-Type"] == "application/problem+json"
                    elif expected == "refused":
                        if status == 405 or method != "get" and status in BLIND:
                            continue
                        if status == 200 and seen_from_below(kind, user, world):
                            continue  # a campaign issued above her units takes her part
                        if status != 404 or not refused:
                            wrong.append(f"{where}, expected 404 with a refusal event")
                    elif expected == "answer":
                        if status in ANSWERED:
                            if kind and world.inside:
                                answered[route.route] = True
                        elif not (status == 404 and refused):
                            wrong.append(f"{where}, expected an answer or a recorded refusal")
    assert not wrong, f"{len(wrong)} of {count}:\n" + "\n".join(wrong[:100])
    assert all(answered.values()), [r for r, ok in answered.items() if not ok]
    assert count > 400
