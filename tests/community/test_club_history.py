"""A club's status and member count are dated history: what a past period showed stays what it
showed, whatever happens to the club afterwards (issue 11, point 3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from ctip.community import actions as community
from ctip.community.models import ClubType
from ctip.core.errors import ActionError
from ctip.reports import indicators
from ctip.reports.periods import Period
from ctip.reports.selectors import compute_values
from tests.reports.test_dated_writes import approve_july


def _month(year: int, month: int) -> Period:
    return Period.month(year, month)


def _clubs(unit: Any, period: Period) -> tuple[int, int]:
    values = indicators.compute(unit, period, ["clubs", "club_members"])
    return values["clubs"]["total"], values["club_members"]


@pytest.fixture
def club(tree: Any) -> Any:
    return community.create_club(
        actor=None, unit=tree.commune_a, name="CLB Phụ nữ ấp Mỹ Lộc",
        club_type=ClubType.objects.get(code="anti-trafficking"),
        founded_on=dt.date(2026, 6, 2), member_count=10)


def test_reactivating_a_club_does_not_re_date_an_approved_month(tree: Any, users: Any,
                                                                club: Any) -> None:
    report = approve_july(tree, users)
    assert _clubs(tree.commune_a, _month(2026, 7)) == (1, 10)
    community.change_club_status(actor=None, club=club, status="dissolved",
                                 changed_on=dt.date(2026, 8, 1), reason="Thiếu người")
    community.change_club_status(actor=None, club=club, status="active",
                                 changed_on=dt.date(2026, 9, 10), reason="Lập lại")
    assert compute_values(report) == report.values
    assert _clubs(tree.commune_a, _month(2026, 7)) == (1, 10)
    assert _clubs(tree.commune_a, _month(2026, 8))[0] == 0
    august = indicators.compute(tree.commune_a, _month(2026, 8), ["clubs"])["clubs"]
    assert august["dissolved"] == 1
    assert _clubs(tree.commune_a, _month(2026, 9)) == (1, 10)
    # the history is kept in order: a change cannot be dated before the previous one
    with pytest.raises(ActionError) as caught:
        community.change_club_status(actor=None, club=club, status="paused",
                                     changed_on=dt.date(2026, 9, 1), reason="Nghỉ hè")
    assert caught.value.field == "changed_on"


def test_a_change_dated_inside_the_approved_month_is_refused(tree: Any, users: Any,
                                                             club: Any) -> None:
    approve_july(tree, users)
    with pytest.raises(ActionError) as caught:
        community.change_club_status(actor=None, club=club, status="paused",
                                     changed_on=dt.date(2026, 7, 20), reason="Nghỉ")
    assert caught.value.field == "changed_on"
    club.refresh_from_db()
    assert club.status == "active" and not club.status_changes.exists()


def test_member_counts_change_from_today_and_leave_past_months_alone(tree: Any, users: Any,
                                                                     club: Any) -> None:
    report = approve_july(tree, users)
    community.update_club(actor=None, club=club, member_count=25)
    assert compute_values(report) == report.values
    assert _clubs(tree.commune_a, _month(2026, 7)) == (1, 10)
    today = timezone.localdate()
    assert _clubs(tree.commune_a, _month(today.year, today.month)) == (1, 25)


def test_a_member_list_counts_from_the_day_names_are_added(tree: Any, users: Any) -> None:
    listed = community.create_club(
        actor=None, unit=tree.commune_a, name="Tổ phụ nữ liên kết",
        club_type=ClubType.objects.get(code="anti-trafficking"),
        founded_on=dt.date(2026, 6, 2), member_count=0)
    report = approve_july(tree, users)
    member = community.add_member(actor=None, club=listed, full_name="Lê Thị Hoa")
    community.add_member(actor=None, club=listed, full_name="Trần Thị Mai")
    assert compute_values(report) == report.values
    today = timezone.localdate()
    assert _clubs(tree.commune_a, _month(today.year, today.month)) == (1, 2)
    community.remove_member(actor=None, member=member)
    assert _clubs(tree.commune_a, _month(today.year, today.month)) == (1, 1)
    assert _clubs(tree.commune_a, _month(2026, 7)) == (1, 0)
