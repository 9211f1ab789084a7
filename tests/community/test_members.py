"""The optional member list: names only, and the member count follows it once it is kept."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.urls import reverse

from ctip.accounts.policy import NotInScope
from ctip.audit.models import AuditEvent
from ctip.community import actions
from ctip.community.forms import MemberForm
from ctip.core.errors import ActionError
from tests.community.test_clubs import club_type, new_club


def test_the_member_form_holds_names_only(tree: Any, users: Any, client_for: Any) -> None:
    # names only: nothing else about the person (the submission key is the form's own)
    assert set(MemberForm().fields) == {"full_name", "role", "joined_on", "idempotency_key"}
    club = new_club(tree.branch_a1)
    body = client_for(users["commune_officer"]).get(
        reverse("community:club_members", args=[club.pk])).content.decode()
    form = body[body.index('action="' + reverse("community:member_add", args=[club.pk])):]
    inputs = {part.split('"')[0] for part in form.split('name="')[1:]}
    assert inputs == {"csrfmiddlewaretoken", "idempotency_key", "full_name", "role", "joined_on"}


def test_the_count_follows_the_list(tree: Any, users: Any, client_for: Any) -> None:
    officer = users["commune_officer"]
    club = new_club(tree.branch_a1, actor=officer, member_count=30)
    client = client_for(officer)
    add = reverse("community:member_add", args=[club.pk])
    response = client.post(add, {"full_name": "Nguyễn Thị Lan", "role": "Chủ nhiệm",
                                 "joined_on": "08/03/2024"})
    assert response.status_code == 302
    client.post(add, {"full_name": "Trần Thị Mai"})
    club.refresh_from_db()
    assert club.member_count == 2  # the list replaces the number typed before
    page = client.get(reverse("community:club_members", args=[club.pk])).content.decode()
    assert "Nguyễn Thị Lan" in page and "Chủ nhiệm" in page and "Trần Thị Mai" in page

    # the same person twice is refused; a namesake told apart by her role is not
    response = client.post(add, {"full_name": "nguyen thi lan", "role": "chu nhiem"})
    assert response.status_code == 200 and "full_name" in response.context["form"].errors
    assert "nguyen thi lan" in response.content.decode()  # the input is kept
    client.post(add, {"full_name": "Nguyễn Thị Lan", "role": "Thành viên"})
    club.refresh_from_db()
    assert club.member_count == 3

    # while the list is kept, the count cannot be typed
    with pytest.raises(ActionError) as err:
        actions.update_club(actor=officer, club=club, member_count=50)
    assert err.value.field == "member_count"
    form = client.get(reverse("community:club_edit", args=[club.pk])).context["form"]
    assert form.fields["member_count"].disabled

    mai = club.members.get(full_name="Trần Thị Mai")
    response = client.post(reverse("community:member_remove", args=[club.pk, mai.pk]))
    assert response.status_code == 302
    club.refresh_from_db()
    assert club.member_count == 2 and not club.members.filter(pk=mai.pk).exists()

    events = AuditEvent.objects.filter(action__startswith="club.member_",
                                       target_id=str(club.pk))
    assert [e.action for e in events.order_by("id")] == [
        "club.member_added", "club.member_added", "club.member_added", "club.member_removed"]
    # the audit trail cannot be erased, so it keeps no names of members
    for event in events:
        assert "Lan" not in json.dumps(event.changes, ensure_ascii=False)
        assert "Mai" not in json.dumps(event.changes, ensure_ascii=False)


def test_without_a_list_the_count_is_typed(tree: Any, users: Any) -> None:
    club = new_club(tree.commune_a, member_count=12)
    actions.update_club(actor=users["commune_officer"], club=club, member_count=18)
    club.refresh_from_db()
    assert club.member_count == 18
    with pytest.raises(ActionError):
        actions.update_club(actor=None, club=club, member_count=-1)


def test_member_rules(tree: Any, users: Any) -> None:
    club = new_club(tree.commune_a, founded=dt.date(2024, 3, 8))
    with pytest.raises(ActionError) as err:
        actions.add_member(actor=None, club=club, full_name="Lê Thị Hoa",
                           joined_on=dt.date(2023, 1, 1))
    assert err.value.field == "joined_on" and "08/03/2024" in err.value.message
    with pytest.raises(ActionError) as err:
        actions.add_member(actor=None, club=club, full_name="   ")
    assert err.value.field == "full_name"
    actions.change_club_status(actor=None, club=club, status="dissolved",
                               changed_on=dt.date(2025, 1, 1), reason="Giải thể")
    with pytest.raises(ActionError):
        actions.add_member(actor=None, club=club, full_name="Lê Thị Hoa")
    assert not club.members.exists()


def test_who_may_see_and_change_the_list(tree: Any, users: Any, client_for: Any) -> None:
    club = new_club(tree.branch_a1, type_code="law")
    actions.add_member(actor=None, club=club, full_name="Phạm Thị Hạnh")
    url = reverse("community:club_members", args=[club.pk])
    viewer = client_for(users["viewer"])
    body = viewer.get(url).content.decode()
    assert "Phạm Thị Hạnh" in body
    assert reverse("community:member_add", args=[club.pk]) not in body
    assert viewer.post(reverse("community:member_add", args=[club.pk]),
                       {"full_name": "Không được"}).status_code == 404
    head = client_for(users["branch_head"])
    assert head.post(reverse("community:member_add", args=[club.pk]),
                     {"full_name": "Võ Thị Thu"}).status_code == 302
    sibling = new_club(tree.branch_a2, name="CLB ấp Rạch Sen", type_code="law")
    assert head.get(reverse("community:club_members", args=[sibling.pk])).status_code == 404
    with pytest.raises(NotInScope):
        actions.add_member(actor=users["branch_head"], club=sibling, full_name="Ngoài phạm vi")
    assert club_type("law").clubs.count() == 2
