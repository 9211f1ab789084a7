"""The clubs' figures read from their dated history as sets (decision 0064) say what the
history says club by club: the status and member count of each club on the last day of a
period, read here one club at a time in Python, for every kind of history (never changed,
changed twice on one day, paused and re-activated, dissolved, a count recorded after the
period, none recorded at all)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ctip.community import actions as community
from ctip.community.models import Club, ClubMemberCount, ClubStatusChange, ClubType
from ctip.community.selectors import model_counts
from ctip.reports import indicators as ind
from ctip.reports.periods import Period

PERIODS = [Period.year(2025), Period.year(2026), Period.month(2026, 3), Period.month(2026, 6),
           Period.half(2026, 1), Period.quarter(2026, 4)]


def by_history(clubs: list[Club], period: Period) -> dict[str, int]:
    """Each club's state on the period's last day, read from its history one club at a time."""
    out = dict.fromkeys(("active", "new", "replicated", "dissolved", "members"), 0)
    for club in clubs:
        changes = sorted(ClubStatusChange.objects.filter(club=club, on__lte=period.end),
                         key=lambda c: (c.on, c.pk))
        counts = sorted(ClubMemberCount.objects.filter(club=club, on__lte=period.end),
                        key=lambda c: (c.on, c.pk))
        status = changes[-1].status if changes else Club.Status.ACTIVE
        if club.founded_on <= period.end and status == Club.Status.ACTIVE:
            out["active"] += 1
            out["members"] += counts[-1].count if counts else club.member_count
        if period.start <= club.founded_on <= period.end:
            out["new"] += 1
            out["replicated"] += club.replicated_from_id is not None
        out["dissolved"] += ClubStatusChange.objects.filter(
            club=club, status=Club.Status.DISSOLVED, on__gte=period.start,
            on__lte=period.end).exists()
    return out


@pytest.fixture
def histories(tree: Any) -> list[Club]:
    kind = ClubType.objects.get(code="anti-trafficking")

    def club(unit: Any, name: str, founded: dt.date, members: int, **kw: Any) -> Club:
        return community.create_club(actor=None, unit=unit, name=name, club_type=kind,
                                     founded_on=founded, member_count=members, **kw)

    never = club(tree.commune_a, "CLB Một", dt.date(2024, 5, 1), 10, is_prevention_model=True)
    paused = club(tree.branch_a1, "CLB Hai", dt.date(2025, 2, 1), 20)
    community.change_club_status(actor=None, club=paused, status="paused",
                                 changed_on=dt.date(2026, 2, 10), reason="Tạm nghỉ")
    community.change_club_status(actor=None, club=paused, status="active",
                                 changed_on=dt.date(2026, 5, 5))
    gone = club(tree.commune_b, "CLB Ba", dt.date(2025, 6, 1), 30, is_prevention_model=True,
                replicated_from=never)
    community.change_club_status(actor=None, club=gone, status="dissolved",
                                 changed_on=dt.date(2026, 3, 20), reason="Giải thể")
    # two changes the same day: the later row is the club's status that day
    twice = club(tree.branch_b1, "CLB Bốn", dt.date(2026, 1, 5), 40)
    ClubStatusChange.objects.create(club=twice, status="paused", on=dt.date(2026, 4, 1))
    ClubStatusChange.objects.create(club=twice, status="active", on=dt.date(2026, 4, 1))
    ClubStatusChange.objects.create(club=twice, status="paused", on=dt.date(2026, 6, 1))
    ClubStatusChange.objects.create(club=twice, status="paused", on=dt.date(2026, 9, 1))
    ClubStatusChange.objects.create(club=twice, status="active", on=dt.date(2026, 9, 1))
    # counts: changed later in the year, twice on one day; none recorded at all
    ClubMemberCount.objects.create(club=never, on=dt.date(2026, 4, 1), count=14)
    ClubMemberCount.objects.create(club=never, on=dt.date(2026, 4, 1), count=16)
    ClubMemberCount.objects.create(club=paused, on=dt.date(2026, 7, 1), count=25)
    unrecorded = club(tree.commune_a, "CLB Năm", dt.date(2026, 3, 3), 50,
                      is_prevention_model=True)
    ClubMemberCount.objects.filter(club=unrecorded).delete()
    late = club(tree.other_commune, "CLB Sáu", dt.date(2025, 1, 1), 60)
    ClubMemberCount.objects.filter(club=late).update(on=dt.date(2026, 8, 1), count=66)
    return [never, paused, gone, twice, unrecorded, late]


def test_the_clubs_figures_are_what_each_clubs_history_says(tree: Any,
                                                             histories: list[Club]) -> None:
    seen = 0
    for period in PERIODS:
        for unit in (tree.central, tree.province, tree.commune_a):
            clubs = [c for c in histories if c.unit_path.startswith(unit.path)]
            expected = by_history(clubs, period)
            got = ind.compute(unit, period, ["clubs", "club_members", "models"])
            assert {k: got["clubs"][k] for k in ("active", "new", "replicated",
                                                 "dissolved")} == {
                k: expected[k] for k in ("active", "new", "replicated", "dissolved")}
            assert got["club_members"] == expected["members"]
            models = by_history([c for c in clubs if c.is_prevention_model], period)
            assert {k: got["models"][k] for k in ("active", "new", "replicated",
                                                  "dissolved")} == {
                k: models[k] for k in ("active", "new", "replicated", "dissolved")}
            counted = model_counts(unit.path, period.start, period.end)
            assert counted == {k: models[k] for k in ("active", "new", "replicated",
                                                      "dissolved")}
            seen += expected["active"] + expected["dissolved"]
        # by child: each child's figures are its own clubs'
        for child, values in ind.compute_by_child(tree.province, period,
                                                  ["clubs", "club_members"]):
            mine = by_history([c for c in histories if c.unit_path.startswith(child.path)],
                              period)
            assert values["clubs"]["total"] == mine["active"]
            assert values["club_members"] == mine["members"]
    assert seen > 0
    # the figures move with the history: members of 2026 as counted at its end
    assert ind.compute(tree.central, Period.year(2026), ["club_members"])["club_members"] \
        == 16 + 25 + 40 + 50 + 66
