"""Access-matrix rows for clubs and exchanges (run by ``tests/test_access_matrix.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.urls import reverse

IN_CLUB, OUT_CLUB = "CLB ma trận trong phạm vi", "CLB ma trận ngoài phạm vi"
IN_AREA, OUT_AREA = "Đối tác ma trận trong phạm vi", "Đối tác ma trận ngoài phạm vi"


def setup(tree: Any, users: Any) -> None:
    """A club and an exchange in branch A1 (a border village; in scope for every commune-level
    role, the branch head included) and the same in another province (out of scope)."""
    from ctip.community.actions import create_club, create_exchange
    from ctip.community.models import ClubType
    from ctip.units.actions import update_unit

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
