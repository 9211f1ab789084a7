"""Who may open the club and exchange pages: every role, in scope and out of scope.

This runs the same check as ``tests/test_access_matrix.py`` for the community object types. The
objects are built by a fixture, and the URL builders keep the matrix's ``(tree, users, inside)``
signature by finding the objects by name, so the rows below can move into the matrix as they
are (with the fixture requested by its test).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from ctip.audit.models import AuditEvent, Outcome
from tests.test_access_matrix import ROLES

IN_CLUB, OUT_CLUB = "CLB ma trận trong phạm vi", "CLB ma trận ngoài phạm vi"
IN_AREA, OUT_AREA = "Đối tác ma trận trong phạm vi", "Đối tác ma trận ngoài phạm vi"


@pytest.fixture
def matrix_objects(tree: Any) -> None:
    """A club and an exchange in branch A1 (a border village; in scope for every commune-level
    role, the branch head included) and the same in another province (out of scope)."""
    from ctip.community.actions import create_club, create_exchange
    from ctip.community.models import ClubType
    from ctip.org.actions import update_unit

    happy = ClubType.objects.get(code="happy-family")
    for unit, club, area in ((tree.branch_a1, IN_CLUB, IN_AREA),
                             (tree.other_commune, OUT_CLUB, OUT_AREA)):
        unit = update_unit(actor=None, unit=unit, is_border=True)
        create_club(actor=None, unit=unit, name=club, club_type=happy,
                    founded_on=dt.date(2024, 3, 8))
        create_exchange(actor=None, unit=unit, date=dt.date(2026, 5, 20),
                        counterpart_area=area, participants=20)


def _club(inside: bool) -> int:
    from ctip.community.models import Club

    return Club.objects.get(name=IN_CLUB if inside else OUT_CLUB).pk


def _exchange(inside: bool) -> int:
    from ctip.community.models import Exchange

    return Exchange.objects.get(counterpart_area=IN_AREA if inside else OUT_AREA).pk


TARGETS: dict[str, Callable[[Any, Any, bool], str]] = {
    "club.detail": lambda t, u, inside: reverse("community:club_detail",
                                                args=[_club(inside)]),
    "club.edit": lambda t, u, inside: reverse("community:club_edit", args=[_club(inside)]),
    "exchange.detail": lambda t, u, inside: reverse("community:exchange_detail",
                                                    args=[_exchange(inside)]),
    # beyond the three asked for: the other pages of a club or an exchange
    "club.spread": lambda t, u, inside: reverse("community:club_spread",
                                                args=[_club(inside)]),
    "club.members": lambda t, u, inside: reverse("community:club_members",
                                                 args=[_club(inside)]),
    "club.status": lambda t, u, inside: reverse("community:club_status",
                                                args=[_club(inside)]),
    "exchange.edit": lambda t, u, inside: reverse("community:exchange_edit",
                                                  args=[_exchange(inside)]),
    "club.list": lambda t, u, inside: reverse("community:club_list"),
    "exchange.list": lambda t, u, inside: reverse("community:exchange_list"),
}

_SEE = {"club.detail", "club.spread", "club.members", "exchange.detail", "club.list",
        "exchange.list"}
_MANAGE = {"club.edit", "club.status", "exchange.edit"}
ALLOWED: dict[str, set[str]] = {
    "system_admin": _SEE | _MANAGE,
    "province_officer": _SEE | _MANAGE,
    "commune_officer": _SEE | _MANAGE,
    "branch_head": _SEE | _MANAGE,
    "speaker": set(_SEE),
    "case_worker": set(),
    "editor": set(),
    "publisher": set(),
    "auditor": set(),
    "viewer": set(_SEE),
}
UNSCOPED = {"club.list", "exchange.list"}


@pytest.mark.parametrize("role", ROLES)
def test_access(role: str, tree: Any, users: Any, client_for: Any,
                matrix_objects: None) -> None:
    """One test per role (the tree and the users are built once for all its targets); the
    assertions are those of the matrix."""
    client = client_for(users[role])
    wrong = []
    for target in sorted(TARGETS):
        for inside in (True, False):
            url = TARGETS[target](tree, users, inside)
            response = client.get(url)
            allowed = target in ALLOWED[role] and (inside or target in UNSCOPED)
            if allowed:
                ok = response.status_code == 200
            else:
                ok = response.status_code == 404 and AuditEvent.objects.filter(
                    action="access.refused", outcome=Outcome.REFUSED, actor=users[role],
                    target_label=url).exists()
            if not ok:
                wrong.append((target, "in" if inside else "out", response.status_code))
    assert not wrong, (role, wrong)


@pytest.mark.parametrize("role", ["province_officer", "commune_officer", "branch_head",
                                  "speaker", "viewer"])
def test_lists_show_nothing_outside_the_scope(role: str, tree: Any, users: Any,
                                              client_for: Any, matrix_objects: None) -> None:
    client = client_for(users[role])
    clubs = client.get(reverse("community:club_list")).content.decode()
    exchanges = client.get(reverse("community:exchange_list")).content.decode()
    assert IN_CLUB in clubs and OUT_CLUB not in clubs
    assert IN_AREA in exchanges and OUT_AREA not in exchanges
