"""The access matrix generated from the URL configuration (issue 12.7, decision record 0036).

Every route of the URL configuration x every role (and an anonymous visitor) x GET, POST and
an htmx GET, with URL arguments filled from ``tests/access_world.py`` by the arguments'
names, inside and outside everybody's scope. The expected answer comes from what the view
declares (``@requires``, ``@signed_in``, ``@public`` in ``ctip.accounts.access``) and the unit
of the object the URL names (decision 0009):

- anonymous on a non-public route: the sign-in redirect (to an htmx request, ``HX-Redirect``
  to it: decision 0104);
- no declared capability over the object's unit (or anywhere, for a route without an object):
  404, never 403, and an ``access.refused`` audit event of that request;
- the capability over the unit: an answer (200, a redirect, 405 for the wrong method, a form
  re-shown), or a 404 that the view recorded as a refusal (a finer rule inside the view, such
  as "only the assigned worker exports"; the hand-written rows of ``tests/test_access_matrix.py``
  check those);
- a method the route does not serve answers 405 before anything else (Django's method
  decorators sit outside the access gate). That answer names neither the object nor the
  viewer, so it stands in for a refusal only when it is the same for everybody: every
  signed-in request of that route and method, inside and outside the scope, got that 405;
- never a 500, never a 403; and every route with an object answers someone in scope.

Each request runs in a savepoint rolled back afterwards, so one data set serves the matrix.

The routes are split into groups by URL prefix, one test module each (``tests/matrix/``), so
the parallel workers (which take whole modules) share the matrix; the last group takes every
route no other group claims, so a new route is covered without editing anything.
"""

from __future__ import annotations

import copy
import os
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ctip.accounts.access import ACCESS_ATTR, GATE_ATTR
from ctip.audit.models import AuditEvent, Outcome

ROLES = ["system_admin", "province_officer", "commune_officer", "branch_head", "speaker",
         "case_worker", "editor", "publisher", "auditor", "viewer"]
MATRIX_ROLES = [*ROLES, "anonymous"]
ANSWERED = {200, 204, 302, 303, 400, 405, 409}
THIRD_PARTY_PREFIXES = ("cms/", "documents/", "_util/")
# The JSON API answers 401 and problem+json, not the sign-in redirect: its own matrix,
# tests/api/test_api_access.py, judges its routes with the same world and declarations.
API_PREFIX = "api/v1/"
REQUESTS: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "get", {}), ("POST", "post", {}), ("htmx", "get", {"HTTP_HX_REQUEST": "true"})]
# The groups of routes by URL prefix (one test module each, tests/matrix/test_<group>.py).
# "rest" takes every route the others do not claim.
GROUPS: dict[str, tuple[str, ...]] = {
    "cases": ("cases/cases/",),
    "reports": ("reports/",),
    "outreach": ("outreach/",),
    "community": ("community/", "cases/"),  # clubs, exchanges and situations
    "rest": (),
}


@dataclass
class Route:
    route: str
    name: str
    pattern: Any
    view: Any

    @property
    def access(self) -> Any:
        return getattr(self.view, ACCESS_ATTR, None)


def routes(*, api: bool = False) -> list[Route]:
    """The pages' routes, or (``api=True``) every route including the API's."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found = []

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
                walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if not route.startswith(THIRD_PARTY_PREFIXES) and (
                        api or not route.startswith(API_PREFIX)):
                    found.append(Route(route, namespace + (pattern.name or ""), pattern,
                                       pattern.callback))

    walk(get_resolver().url_patterns, "", "")
    return found


def group_of(route: Route) -> str:
    """The group a route belongs to: the first whose prefix it starts with, else "rest"."""
    for group, prefixes in GROUPS.items():
        if prefixes and route.route.startswith(prefixes):
            return group
    return "rest"


def arguments_of(route: Route) -> list[str]:
    """The route's named arguments in order; a regex route's positional groups as ``*N``."""
    names = re.findall(r"<(?:\w+:)?(\w+)>", route.route)
    if not names and "(" in route.route:
        groups = re.compile(route.route.replace("^", "").replace("$", "")).groups
        names = [f"*{i}" for i in range(groups)]
    return names


def fill(route: Route, world: Any) -> tuple[str, Any] | str:
    """(URL, the first argument's kind) for ``world``, or why the route cannot be filled."""
    from django.urls import reverse

    from tests.access_world import kind_for

    names = arguments_of(route)
    kwargs: dict[str, Any] = {}
    args: list[Any] = []
    first_kind = None
    for name in names:
        if name.startswith("*"):
            args.append("")  # Wagtail's page path: the site's root page
            continue
        kind = kind_for(route.route, name)
        if kind is None:
            return (f"{route.route} ({route.name}): no rule fills the argument '{name}'. Add "
                    f"(\"{route.route.split('<', 1)[0]}\", \"{name}\", \"<kind>\") to "
                    "ARGUMENTS in tests/access_world.py, and build an object of that kind "
                    "inside and outside the scope in build()")
        if kind not in world.objects:
            if world.inside:
                return (f"{route.route} ({route.name}): argument '{name}' wants a '{kind}', "
                        "which tests/access_world.py build() does not make")
            return ""  # a kind shared by the whole programme has no outside object
        kwargs[name] = world.value(kind)
        first_kind = first_kind or kind
    try:
        url = reverse(route.name, args=args or None, kwargs=kwargs or None)
    except Exception as exc:  # noqa: BLE001 - reported as the route's failure
        return f"{route.route} ({route.name}): cannot reverse with {kwargs}: {exc}"
    return url, first_kind


def expectation(route: Route, role: str, user: Any, unit: Any) -> str:
    from ctip.accounts.policy import has_capability

    access = route.access
    if access == "public":
        return "public"
    if user is None:
        return "login"
    if access == "signed_in":
        return "answer"
    wanted = access if isinstance(access, tuple) else (access,)
    return "answer" if any(has_capability(user, c, unit) for c in wanted) else "refused"


def seen_from_below(kind: str | None, user: Any, world: Any) -> bool:
    """A campaign issued above the viewer's units, which she takes part in: she opens it (as
    on the campaign page) without any capability over the issuing unit."""
    from ctip.outreach.selectors import campaigns_visible_to

    return (kind == "campaign" and user is not None
            and campaigns_visible_to(user).filter(pk=world.value(kind)).exists())


def _blind_layers() -> set[Any]:
    """The code of the decorators that may sit above the access gate without reading the
    request's URL arguments: Django's method check (it reads ``request.method`` only) and
    ``never_cache`` (it adds headers to the answer)."""
    from django.views.decorators.cache import never_cache
    from django.views.decorators.http import require_http_methods

    def view(request: Any) -> Any:  # pragma: no cover - never called
        return None

    return {require_http_methods(["GET"])(view).__code__, never_cache(view).__code__}


def stopped_at_the_gate(route: Route, user: Any) -> bool:
    """Whether ``user``'s request never reaches the view's body, whatever object the URL names.

    True when the access gate (``ctip.accounts.access``) turns the user away on its own: an
    anonymous visitor, or a signed-in one without the declared capability anywhere; and when
    the layers between the URL and the gate are only ones that ignore the URL's arguments
    (``_blind_layers``). The gate itself reads neither the arguments nor the object, so such a
    request answers the same for an object inside and outside the scope: the matrix sends it
    for the inside object only. A layer it does not know keeps the request in both worlds."""
    from ctip.accounts.policy import has_capability

    access = route.access
    if access in (None, "public") or (user is not None and access == "signed_in"):
        return False
    wanted = access if isinstance(access, tuple) else (access,)
    if user is not None and any(has_capability(user, c) for c in wanted):
        return False
    gate = getattr(route.view, GATE_ATTR, None)
    blind = _blind_layers()
    layer = route.view
    while layer is not gate:
        if getattr(layer, "__code__", None) not in blind:
            return False
        layer = getattr(layer, "__wrapped__", None)
        if layer is None:
            return False
    return True


@dataclass
class Outcomes:
    count: int = 0
    unfillable: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    answered_in_scope: dict[str, bool] = field(default_factory=dict)
    # (route, HTTP method) → the statuses of every signed-in request, and the 405s that stood
    # in for a refusal (each must be one answer among 405s only)
    statuses: dict[tuple[str, str], set[int]] = field(
        default_factory=lambda: defaultdict(set))
    blind_refusals: dict[tuple[str, str], str] = field(default_factory=dict)

    def failures(self) -> list[str]:
        problems = [f"routes the matrix cannot fill:\n{m}" for m in self.unfillable]
        problems += self.wrong
        problems += [f"{where}, a 405 while others got {sorted(self.statuses[key])}: a 405 "
                     "stands in for a refusal only when every signed-in request gets it"
                     for key, where in self.blind_refusals.items()
                     if self.statuses[key] != {405}]
        problems += [f"{route}: no role could open it in scope (is the argument filled with "
                     "a usable object?)" for route, ok in self.answered_in_scope.items()
                     if not ok]
        return problems


def run(group: str, tree: Any, users: Any) -> Outcomes:
    """Send the group's requests and judge every answer."""
    from django.conf import settings
    from django.db import transaction
    from django.shortcuts import resolve_url
    from django.test import Client

    from tests.access_world import build, unit_of
    from tests.conftest import login_client

    login_url = resolve_url(settings.LOGIN_URL)
    worlds = build(tree, users)
    clients = {role: login_client(users[role]) for role in ROLES}
    clients["anonymous"] = Client()
    for client in clients.values():
        client.raise_request_exception = False
    out = Outcomes()
    trace = open(os.environ["MATRIX_TRACE"], "a") if os.environ.get("MATRIX_TRACE") else None  # noqa: SIM115
    for route in [r for r in routes() if group_of(r) == group]:
        t0 = time.monotonic()
        if route.access is None:
            out.wrong.append(f"{route.route}: declares no access (see tests/test_url_access.py)")
            continue
        for world in worlds:
            filled = fill(route, world)
            if isinstance(filled, str):
                if filled:
                    out.unfillable.append(filled)
                break
            url, kind = filled
            if not world.inside and kind is None:
                break  # a route without an object was checked once already
            unit = unit_of(world, kind) if kind else None
            if kind and world.inside:
                out.answered_in_scope.setdefault(route.route, False)
            for role in MATRIX_ROLES:
                user = users.get(role)
                if not world.inside and stopped_at_the_gate(route, user):
                    continue  # the same answer as for the inside object (see the function)
                expected = expectation(route, role, user, unit)
                if expected == "refused" and seen_from_below(kind, user, world):
                    expected = "answer"
                for label, method, headers in REQUESTS:
                    out.count += 1
                    cookies = copy.deepcopy(clients[role].cookies)
                    with transaction.atomic():
                        before = AuditEvent.objects.order_by("-id").values_list(
                            "id", flat=True).first() or 0
                        try:
                            response = getattr(clients[role], method)(url, **headers)
                            status = response.status_code
                        except Exception as exc:  # noqa: BLE001 - a 500, reported below
                            status, response = 500, exc
                        refused = AuditEvent.objects.filter(
                            id__gt=before, action="access.refused", outcome=Outcome.REFUSED,
                            actor=user, target_label=url[:255]).exists() if user else False
                        transaction.set_rollback(True)
                    clients[role].cookies = cookies  # undo a sign-out with the database
                    key = (route.route, method.upper())
                    if user is not None:
                        out.statuses[key].add(status)
                    where = (f"{label} {url} as {role} "
                             f"({'in' if world.inside else 'out of'} scope): {status}")
                    if status >= 500 or status == 403:
                        out.wrong.append(f"{where}, expected {expected}")
                    elif expected == "login":
                        location = response.get("Location", "") if status == 302 else ""
                        if label == "htmx" and status == 200:  # sent there whole (0104)
                            location = response.get("HX-Redirect", "")
                        if status != 405 and not location.startswith(login_url):
                            out.wrong.append(f"{where}, expected the sign-in redirect")
                    elif expected == "refused":
                        if status == 405:
                            out.blind_refusals.setdefault(key, where)
                        elif status != 404 or not refused:
                            out.wrong.append(f"{where}, expected 404 with an access.refused "
                                             "event")
                    elif expected == "public":
                        if status in ANSWERED and kind and world.inside:
                            out.answered_in_scope[route.route] = True
                    elif expected == "answer":
                        if status in ANSWERED:
                            if kind and world.inside:
                                out.answered_in_scope[route.route] = True
                        elif not (status == 404 and refused):
                            out.wrong.append(f"{where}, expected an answer or a recorded "
                                             "refusal")
        if trace:
            trace.write(f"{route.route} {time.monotonic() - t0:.1f}s\n")
            trace.flush()
    return out


def check(group: str, tree: Any, users: Any) -> None:
    """Run the group's matrix and fail with every wrong answer."""
    started, cpu = time.monotonic(), time.process_time()
    out = run(group, tree, users)
    problems = out.failures()
    assert not problems, (f"{len(problems)} wrong answers of {out.count} ({group}):\n"
                          + "\n".join(problems))
    # every route of the group, every role and every kind of request, at least once
    assert out.count >= len(REQUESTS) * len(MATRIX_ROLES) * len(
        [r for r in routes() if group_of(r) == group]), out.count
    print(f"access matrix ({group}): {out.count} requests in {time.monotonic() - started:.0f}s "
          f"({time.process_time() - cpu:.0f}s of processor)")
