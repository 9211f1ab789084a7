"""Commendations (nêu gương): a unit, a club or a person; linked work; a list per period."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ctip.audit.models import AuditEvent
from ctip.community.models import Club, ClubType
from ctip.core.text import fold
from ctip.outreach import actions
from ctip.outreach.models import Commendation
from tests.conftest import log_activity


def make_club(unit: Any, name: str) -> Club:
    return Club.objects.create(unit=unit, unit_path=unit.path, name=name, name_folded=fold(name),
                               club_type=ClubType.objects.first(), is_prevention_model=True,
                               founded_on=dt.date(2024, 1, 1))


def commend(unit: Any, on: dt.date, reason: str, **kwargs: Any) -> Commendation:
    kwargs.setdefault("recipient_kind", Commendation.RecipientKind.UNIT)
    return actions.create_commendation(actor=None, unit=unit, reason=reason, decided_on=on,
                                       level=kwargs.pop("level", Commendation.Level.PROVINCE),
                                       **kwargs)


def test_record_a_commendation_of_each_kind(tree: Any, users: Any, client_for: Any,
                                            formats: Any) -> None:
    club = make_club(tree.branch_a1, "Câu lạc bộ Gia đình hạnh phúc ấp Mỹ Lộc")
    talk = log_activity(tree.commune_a, formats["thematic-talk"],
                        title="Nói chuyện chuyên đề ở chợ biên giới")
    client = client_for(users["commune_officer"])
    page = client.get(reverse("outreach:commendation_create")).content.decode()
    assert "Câu lạc bộ Gia đình hạnh phúc ấp Mỹ Lộc" in page
    assert "Nói chuyện chuyên đề ở chợ biên giới" in page  # among the recent activities
    base = {"level": Commendation.Level.COMMUNE, "decided_on": "20/08/2026",
            "decision_number": "12/QĐ-HPN"}

    response = client.post(reverse("outreach:commendation_create"), {
        **base, "unit": tree.branch_a1.pk, "recipient_kind": "club", "club": club.pk,
        "reason": "Duy trì sinh hoạt chuyên đề hằng tháng"})
    assert response.status_code == 302
    by_club = Commendation.objects.get(recipient_kind="club")
    assert by_club.club == club and by_club.activity is None
    assert by_club.unit == tree.branch_a1

    client.post(reverse("outreach:commendation_create"), {
        **base, "unit": tree.commune_a.pk, "recipient_kind": "person",
        "person_name": "Võ Thị Thu Hà", "reason": "Báo cáo viên tiêu biểu",
        "activity_id": talk.pk})
    person = Commendation.objects.get(recipient_kind="person")
    assert person.person_name == "Võ Thị Thu Hà" and person.activity == talk
    assert person.unit == tree.commune_a and person.decision_number == "12/QĐ-HPN"

    client.post(reverse("outreach:commendation_create"), {
        **base, "unit": tree.branch_a2.pk, "recipient_kind": "unit",
        "person_name": "ignored", "club": club.pk, "reason": "Chi hội làm tốt"})
    unit_kind = Commendation.objects.get(recipient_kind="unit")
    assert unit_kind.unit == tree.branch_a2 and unit_kind.club is None
    assert unit_kind.person_name == ""
    assert AuditEvent.objects.filter(action="commendation.created").count() == 3

    listing = client.get(reverse("outreach:commendation_list"),
                         {"start": "01/08/2026", "end": "31/08/2026"}).content.decode()
    for text in ("Câu lạc bộ Gia đình hạnh phúc ấp Mỹ Lộc", "Võ Thị Thu Hà",
                 "Chi hội ấp Rạch Sen", "12/QĐ-HPN", "20/08/2026"):
        assert text in listing, text
    assert reverse("outreach:activity_detail", args=[talk.pk]) in listing


@pytest.mark.parametrize(("changes", "field"), [
    ({"recipient_kind": "person", "person_name": ""}, "person_name"),
    ({"recipient_kind": "club"}, "club"),
    ({"decided_on": "not a date"}, "decided_on"),
    ({"activity_id": "999999"}, "activity_id"),
])
def test_incomplete_commendations_are_refused(tree: Any, users: Any, client_for: Any,
                                              changes: dict[str, str], field: str) -> None:
    data = {"unit": tree.commune_a.pk, "recipient_kind": "unit", "reason": "Làm tốt",
            "level": "commune", "decided_on": "20/08/2026", **changes}
    response = client_for(users["commune_officer"]).post(
        reverse("outreach:commendation_create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Commendation.objects.exists()


def test_future_decisions_and_other_units_work_are_refused(tree: Any, users: Any,
                                                           client_for: Any,
                                                           formats: Any) -> None:
    client = client_for(users["commune_officer"])
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client.post(reverse("outreach:commendation_create"), {
        "unit": tree.commune_a.pk, "recipient_kind": "unit", "reason": "Làm tốt",
        "level": "commune", "decided_on": tomorrow.strftime("%d/%m/%Y")})
    assert response.context["form"].errors["decided_on"]
    elsewhere = log_activity(tree.commune_b, formats["meeting"], title="Ở phường khác")
    response = client.post(reverse("outreach:commendation_create"), {
        "unit": tree.commune_a.pk, "recipient_kind": "unit", "reason": "Làm tốt",
        "level": "commune", "decided_on": "20/08/2026", "activity_id": elsewhere.pk})
    assert response.context["form"].errors["activity_id"]
    # the activity of a branch does not belong to a sibling branch's commendation
    mine = log_activity(tree.branch_a1, formats["meeting"], title="Ở Mỹ Lộc")
    response = client.post(reverse("outreach:commendation_create"), {
        "unit": tree.branch_a2.pk, "recipient_kind": "unit", "reason": "Làm tốt",
        "level": "commune", "decided_on": "20/08/2026", "activity": mine.pk})
    # the refusal sits next to the activity it is about
    assert response.status_code == 200 and response.context["form"].errors["activity"]
    assert not Commendation.objects.exists()
    assert client_for(users["speaker"]).get(
        reverse("outreach:commendation_create")).status_code == 404


def test_list_per_period_and_unit(tree: Any, users: Any, client_for: Any) -> None:
    commend(tree.commune_a, dt.date(2025, 12, 30), "Tổng kết năm 2025", decision_number="1/QĐ")
    commend(tree.branch_a1, dt.date(2026, 7, 30), "Đợt cao điểm 30/7", decision_number="2/QĐ")
    commend(tree.commune_b, dt.date(2026, 8, 15), "Phường làm tốt", decision_number="3/QĐ")
    commend(tree.other_commune, dt.date(2026, 7, 30), "Cao Bằng", decision_number="4/QĐ")
    client = client_for(users["province_officer"])
    url = reverse("outreach:commendation_list")
    year_2026 = client.get(url, {"start": "01/01/2026", "end": "31/12/2026"})
    assert [c.reason for c in year_2026.context["page"]] == ["Phường làm tốt",
                                                             "Đợt cao điểm 30/7"]
    body = year_2026.content.decode()
    assert "2/QĐ" in body and "3/QĐ" in body and "1/QĐ" not in body and "4/QĐ" not in body
    july = client.get(url, {"start": "01/07/2026", "end": "31/07/2026"})
    assert [c.reason for c in july.context["page"]] == ["Đợt cao điểm 30/7"]
    commune = client.get(url, {"start": "01/01/2025", "end": "31/12/2026",
                               "unit": tree.commune_a.pk})
    assert [c.reason for c in commune.context["page"]] == ["Đợt cao điểm 30/7",
                                                           "Tổng kết năm 2025"]
    wrong = client.get(url, {"start": "31/12/2026", "end": "01/01/2026"})
    assert wrong.context["form"].errors["end"] and not list(wrong.context["page"])
    # the default period is the current year; a commune officer sees her commune only
    default = client_for(users["commune_officer"]).get(url)
    this_year = timezone.localdate().year
    expected = ["Đợt cao điểm 30/7"] if this_year == 2026 else []
    assert [c.reason for c in default.context["page"]] == expected
