"""The club and model registry: who records what where, the rules of status, lineage and
integration, and what the pages show."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ctip.accounts.actions import grant_role
from ctip.accounts.capabilities import Role
from ctip.accounts.policy import NotInScope
from ctip.audit.models import AuditEvent, Outcome
from ctip.community import actions, selectors
from ctip.community.models import Club, ClubType
from ctip.core.errors import ActionError
from tests.conftest import log_activity


def club_type(code: str = "happy-family") -> ClubType:
    return ClubType.objects.get(code=code)


def new_club(unit: Any, *, actor: Any = None, name: str = "CLB Gia đình hạnh phúc",
             type_code: str = "happy-family", founded: dt.date = dt.date(2024, 3, 8),
             **kwargs: Any) -> Club:
    return actions.create_club(actor=actor, unit=unit, name=name, club_type=club_type(type_code),
                               founded_on=founded, **kwargs)


def new_model(unit: Any, name: str, founded: dt.date, *, actor: Any = None,
              origin: Club | None = None) -> Club:
    return new_club(unit, actor=actor, name=name, type_code="anti-trafficking", founded=founded,
                    is_prevention_model=True, replicated_from=origin)


def form_data(unit: Any, **overrides: Any) -> dict[str, Any]:
    data = {"name": "CLB Phụ nữ với pháp luật", "club_type": club_type("law").pk,
            "unit": unit.pk, "founded_on": "08/03/2024", "member_count": "25",
            "results": ""}
    data.update(overrides)
    return data


# --- Recording and scope --------------------------------------------------------------------

def test_commune_officer_registers_a_club_through_the_form(tree: Any, users: Any,
                                                           client_for: Any,
                                                           audiences: Any) -> None:
    client = client_for(users["commune_officer"])
    page = client.get(reverse("community:club_create")).content.decode()
    assert "Chi hội ấp Mỹ Lộc" in page and "Phường Tân An" not in page
    decomposed = unicodedata.normalize("NFD", "CLB Phụ nữ với pháp luật")
    response = client.post(reverse("community:club_create"), form_data(
        tree.branch_a1, name=f"  {decomposed} ",
        target_groups=[audiences["women"].pk, audiences["youth"].pk]))
    club = Club.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("community:club_detail", args=[club.pk])
    assert club.name == "CLB Phụ nữ với pháp luật"  # NFC, trimmed
    assert club.name_folded == "clb phu nu voi phap luat"
    assert club.unit == tree.branch_a1 and club.unit_path == tree.branch_a1.path
    assert club.member_count == 25 and club.status == Club.Status.ACTIVE
    assert club.created_by == users["commune_officer"]
    event = AuditEvent.objects.get(action="club.created", target_id=str(club.pk))
    assert event.actor == users["commune_officer"] and event.unit_path == tree.branch_a1.path
    detail = client.get(response["Location"]).content.decode()
    assert "CLB Phụ nữ với pháp luật" in detail
    assert club_type("law").name in detail
    assert audiences["women"].name in detail and audiences["youth"].name in detail
    assert "Xã Đức Hòa" in detail  # the commune of the branch


def test_a_unit_out_of_scope_is_refused(tree: Any, users: Any, client_for: Any) -> None:
    with pytest.raises(NotInScope):
        new_club(tree.commune_b, actor=users["commune_officer"])
    client = client_for(users["commune_officer"])
    response = client.post(reverse("community:club_create"), form_data(tree.commune_b))
    assert response.status_code == 200
    form = response.context["form"]
    assert "unit" in form.errors
    body = response.content.decode()
    assert "CLB Phụ nữ với pháp luật" in body  # the input is kept
    assert not Club.objects.exists()


def test_branch_head_records_only_for_her_branch(tree: Any, users: Any,
                                                 client_for: Any) -> None:
    head = users["branch_head"]
    client = client_for(head)
    form = client.get(reverse("community:club_create")).context["form"]
    assert {u.pk for u in form.fields["unit"].queryset} == {tree.branch_a1.pk,
                                                            tree.group_a1.pk}
    mine = new_club(tree.branch_a1, actor=head)
    assert mine.created_by == head
    with pytest.raises(NotInScope):
        new_club(tree.branch_a2, actor=head, name="CLB ở ấp khác")
    with pytest.raises(NotInScope):
        new_club(tree.commune_a, actor=head, name="CLB của xã")
    commune_club = new_club(tree.commune_a, actor=users["commune_officer"], name="CLB xã")
    assert client.get(reverse("community:club_edit", args=[commune_club.pk])).status_code == 404
    assert client.get(reverse("community:club_edit", args=[mine.pk])).status_code == 200
    # she may move her club only within her branch
    with pytest.raises(NotInScope):
        actions.update_club(actor=head, club=mine, unit=tree.branch_a2)


def test_a_founding_date_in_the_future_is_refused_and_nothing_is_lost(
        tree: Any, users: Any, client_for: Any) -> None:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ActionError) as err:
        new_club(tree.commune_a, founded=tomorrow)
    assert err.value.field == "founded_on"
    assert tomorrow.strftime("%d/%m/%Y") in err.value.message
    client = client_for(users["commune_officer"])
    response = client.post(reverse("community:club_create"), form_data(
        tree.commune_a, founded_on=tomorrow.strftime("%d/%m/%Y"), results="Đã họp 4 lần"))
    assert response.status_code == 200
    assert tomorrow.strftime("%d/%m/%Y") in str(response.context["form"].errors["founded_on"])
    body = response.content.decode()
    assert "CLB Phụ nữ với pháp luật" in body and "Đã họp 4 lần" in body
    assert not Club.objects.exists()


def test_negative_members_and_duplicates_are_refused(tree: Any, users: Any,
                                                     client_for: Any) -> None:
    client = client_for(users["commune_officer"])
    response = client.post(reverse("community:club_create"),
                           form_data(tree.commune_a, member_count="-3"))
    assert "member_count" in response.context["form"].errors
    with pytest.raises(ActionError):
        new_club(tree.commune_a, member_count=-3)
    new_club(tree.commune_a, name="CLB Gia đình hạnh phúc")
    with pytest.raises(ActionError) as err:
        new_club(tree.commune_a, name="clb gia dinh hanh phuc")
    assert "CLB Gia đình hạnh phúc" in err.value.message
    assert Club.objects.count() == 1


def test_html_typed_in_text_is_shown_escaped(tree: Any, users: Any, client_for: Any) -> None:
    club = new_club(tree.commune_a, name="<script>alert('x')</script> CLB",
                    results="<b>đậm</b>\ndòng hai")
    client = client_for(users["commune_officer"])
    for url in (reverse("community:club_detail", args=[club.pk]),
                reverse("community:club_list")):
        body = client.get(url).content.decode()
        assert "<script>alert" not in body
        assert "&lt;script&gt;alert" in body
    detail = client.get(reverse("community:club_detail", args=[club.pk])).content.decode()
    assert "&lt;b&gt;đậm&lt;/b&gt;<br>dòng hai" in detail


def test_out_of_scope_detail_answers_404_and_is_recorded(tree: Any, users: Any,
                                                         client_for: Any) -> None:
    club = new_club(tree.commune_b)
    url = reverse("community:club_detail", args=[club.pk])
    response = client_for(users["commune_officer"]).get(url)
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="access.refused", outcome=Outcome.REFUSED,
                                     actor=users["commune_officer"], target_label=url).exists()
    for name in ("club_spread", "club_members", "club_edit", "club_status"):
        assert client_for(users["commune_officer"]).get(
            reverse(f"community:{name}", args=[club.pk])).status_code == 404
    assert client_for(users["province_officer"]).get(url).status_code == 200


# --- Status ---------------------------------------------------------------------------------

@pytest.mark.parametrize("status", ["dissolved", "paused"])
def test_pausing_or_dissolving_needs_a_date_and_a_reason(tree: Any, users: Any, status: str,
                                                         client_for: Any) -> None:
    officer = users["commune_officer"]
    club = new_club(tree.commune_a, actor=officer)
    on = dt.date(2025, 6, 1)
    with pytest.raises(ActionError) as err:
        actions.change_club_status(actor=officer, club=club, status=status, reason="Hết kinh phí")
    assert err.value.field == "changed_on"
    with pytest.raises(ActionError) as err:
        actions.change_club_status(actor=officer, club=club, status=status, changed_on=on)
    assert err.value.field == "reason"
    with pytest.raises(ActionError) as err:
        actions.change_club_status(actor=officer, club=club, status=status,
                                   changed_on=dt.date(2020, 1, 1), reason="Trước khi lập")
    assert err.value.field == "changed_on"
    club.refresh_from_db()
    assert club.status == Club.Status.ACTIVE

    client = client_for(officer)
    url = reverse("community:club_status", args=[club.pk])
    response = client.post(url, {"status": status, "changed_on": "01/06/2025", "reason": ""})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert "01/06/2025" in response.content.decode()  # the date typed is kept
    response = client.post(url, {"status": status, "changed_on": "01/06/2025",
                                 "reason": "Chủ nhiệm chuyển công tác"})
    assert response.status_code == 302
    club.refresh_from_db()
    assert (club.status, club.status_changed_on, club.status_reason) == (
        status, on, "Chủ nhiệm chuyển công tác")
    event = AuditEvent.objects.get(action="club.status_changed", target_id=str(club.pk))
    assert event.changes["status"] == ["active", status]
    detail = client.get(reverse("community:club_detail", args=[club.pk])).content.decode()
    assert "Chủ nhiệm chuyển công tác" in detail and "01/06/2025" in detail


def test_reactivating_takes_today_and_clears_the_reason(tree: Any, users: Any) -> None:
    club = new_club(tree.commune_a)
    actions.change_club_status(actor=None, club=club, status="paused",
                               changed_on=dt.date(2025, 1, 5), reason="Mùa vụ")
    actions.change_club_status(actor=None, club=club, status="active")
    club.refresh_from_db()
    assert club.status == "active"
    assert club.status_changed_on == timezone.localdate() and club.status_reason == ""


# --- Lineage --------------------------------------------------------------------------------

def test_province_officer_replicates_a_model_from_another_commune(tree: Any, users: Any,
                                                                  client_for: Any) -> None:
    origin = new_model(tree.commune_a, "Mô hình Cổng trường an toàn", dt.date(2023, 9, 5))
    client = client_for(users["province_officer"])
    form = client.get(reverse("community:club_create")).context["form"]
    assert origin in form.fields["replicated_from"].queryset
    response = client.post(reverse("community:club_create"), form_data(
        tree.branch_b1, name="Mô hình Cổng trường an toàn khu phố 3",
        club_type=club_type("anti-trafficking").pk, is_prevention_model="on",
        replicated_from=origin.pk))
    assert response.status_code == 302, response.context["form"].errors
    replica = Club.objects.get(replicated_from=origin)
    assert replica.unit == tree.branch_b1
    detail = client.get(reverse("community:club_detail", args=[origin.pk])).content.decode()
    assert "Mô hình Cổng trường an toàn khu phố 3" in detail  # listed among the replicas


def test_commune_officer_names_origins_within_her_view_scope(tree: Any, users: Any,
                                                             client_for: Any) -> None:
    """Decision: the origin may be any prevention model the person can see, and seeing
    follows ``activity.view``. A commune officer sees her commune, so a model of another
    commune is refused — unless she also holds a role that lets her see it."""
    officer = users["commune_officer"]
    there = new_model(tree.commune_b, "Mô hình Phường Tân An", dt.date(2023, 1, 1))
    here = new_model(tree.branch_a2, "Mô hình ấp Rạch Sen", dt.date(2023, 2, 1))
    client = client_for(officer)
    choices = client.get(reverse("community:club_create")).context["form"].fields[
        "replicated_from"].queryset
    assert here in choices and there not in choices
    response = client.post(reverse("community:club_create"),
                           form_data(tree.branch_a1, replicated_from=there.pk))
    assert response.context["form"].errors["replicated_from"]
    assert not Club.objects.filter(replicated_from=there).exists()
    with pytest.raises(ActionError) as err:
        new_club(tree.branch_a1, actor=officer, replicated_from=there)
    assert err.value.field == "replicated_from"
    # within her commune, from a branch to another: allowed
    new_club(tree.branch_a1, actor=officer, replicated_from=here, name="Bản sao ấp Mỹ Lộc")
    # a province-wide viewer role widens what she sees, not where she records
    grant_role(actor=None, user=officer, role=Role.VIEWER, unit=tree.province)
    replica = new_club(tree.branch_a1, actor=officer, replicated_from=there,
                       name="Bản sao từ Tân An")
    assert replica.replicated_from == there
    with pytest.raises(NotInScope):
        new_club(tree.branch_b1, actor=officer, replicated_from=there, name="Ở phường khác")


def test_origin_search_finds_models_without_accents(tree: Any, users: Any,
                                                    client_for: Any) -> None:
    model = new_model(tree.commune_b, "Mô hình Địa chỉ tin cậy", dt.date(2023, 1, 1))
    new_model(tree.commune_a, "Mô hình Cổng trường an toàn", dt.date(2023, 1, 1))
    new_club(tree.commune_a, name="Địa chỉ tin cậy (không phải mô hình)")
    client = client_for(users["province_officer"])
    body = client.get(reverse("community:origin_options"), {"q": "dia chi"},
                      HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in body
    assert f'value="{model.pk}"' in body and "Cổng trường" not in body
    assert "không phải mô hình" not in body
    # the commune officer of commune A cannot find a model of commune B
    body = client_for(users["commune_officer"]).get(
        reverse("community:origin_options"), {"q": "dia chi"}).content.decode()
    assert "Địa chỉ tin cậy" not in body


def test_bad_origins_are_refused(tree: Any, users: Any) -> None:
    model = new_model(tree.commune_a, "Mô hình A", dt.date(2024, 1, 1))
    plain = new_club(tree.commune_a, name="CLB thường")
    with pytest.raises(ActionError) as err:
        actions.update_club(actor=None, club=model, replicated_from=model)
    assert err.value.field == "replicated_from"
    with pytest.raises(ActionError) as err:
        new_club(tree.commune_b, replicated_from=plain, name="Bản sao CLB thường")
    assert "CLB thường" in err.value.message
    with pytest.raises(ActionError) as err:
        new_club(tree.commune_b, replicated_from=model, founded=dt.date(2023, 6, 1),
                 name="Lập trước mô hình gốc")
    assert "01/01/2024" in err.value.message
    ghost = Club(pk=999_999, name="Không có", founded_on=dt.date(2020, 1, 1),
                 is_prevention_model=True)
    with pytest.raises(ActionError) as err:
        new_club(tree.commune_b, replicated_from=ghost, name="Từ mô hình không có")
    assert err.value.field == "replicated_from"
    assert Club.objects.count() == 2


def test_lineage_cycles_are_refused(tree: Any, users: Any, client_for: Any) -> None:
    a = new_model(tree.commune_a, "Mô hình A", dt.date(2022, 1, 1))
    b = new_model(tree.commune_b, "Mô hình B", dt.date(2023, 1, 1), origin=a)
    c = new_model(tree.branch_a2, "Mô hình C", dt.date(2024, 1, 1), origin=b)
    d = new_model(tree.branch_b1, "Mô hình D", dt.date(2021, 1, 1))
    # the form does not offer the model's own replicas as its origin...
    form = client_for(users["province_officer"]).get(
        reverse("community:club_edit", args=[a.pk])).context["form"]
    assert list(form.fields["replicated_from"].queryset) == [d]
    # ...and the rule holds whoever writes
    with pytest.raises(ActionError) as err:
        actions.update_club(actor=users["province_officer"], club=a, replicated_from=c,
                            founded_on=dt.date(2024, 6, 1))
    assert err.value.field == "replicated_from" and "Mô hình C" in err.value.message
    a.refresh_from_db()
    assert a.replicated_from is None
    # and a model cannot move its founding date after one of its replicas
    with pytest.raises(ActionError) as err:
        actions.update_club(actor=None, club=a, founded_on=dt.date(2023, 6, 1))
    assert "01/01/2023" in err.value.message


def test_editing_a_club_keeps_an_origin_the_editor_cannot_see(tree: Any, users: Any,
                                                              client_for: Any) -> None:
    origin = new_model(tree.commune_b, "Mô hình Tân An", dt.date(2023, 1, 1))
    replica = new_model(tree.commune_a, "Bản sao ở Đức Hòa", dt.date(2024, 1, 1),
                        actor=users["province_officer"], origin=origin)
    client = client_for(users["commune_officer"])
    url = reverse("community:club_edit", args=[replica.pk])
    page = client.get(url).content.decode()
    assert "Mô hình Tân An" not in page  # shown without details
    response = client.post(url, form_data(
        tree.commune_a, name="Bản sao ở Đức Hòa (đổi tên)",
        club_type=club_type("anti-trafficking").pk, is_prevention_model="on",
        founded_on="01/01/2024", replicated_from=origin.pk))
    assert response.status_code == 302, response.context["form"].errors
    replica.refresh_from_db()
    assert replica.name == "Bản sao ở Đức Hòa (đổi tên)" and replica.replicated_from == origin
    event = AuditEvent.objects.get(action="club.updated", target_id=str(replica.pk))
    assert set(event.changes) == {"name", "member_count"}
    detail = client.get(reverse("community:club_detail", args=[replica.pk])).content.decode()
    assert "Mô hình Tân An" not in detail


# --- Integration ----------------------------------------------------------------------------

def test_integration_only_into_a_club_of_the_same_commune(tree: Any, users: Any) -> None:
    officer = users["province_officer"]
    host = new_club(tree.commune_a, name="CLB Gia đình hạnh phúc xã")
    elsewhere = new_club(tree.commune_b, name="CLB phường Tân An")
    small = new_club(tree.group_a1, name="Nhóm phòng chống mua bán người tổ 1",
                     type_code="anti-trafficking")
    actions.update_club(actor=officer, club=small, integrated_into=host)
    small.refresh_from_db()
    assert small.integrated_into == host
    with pytest.raises(ActionError) as err:
        actions.update_club(actor=officer, club=small, integrated_into=elsewhere)
    assert "Phường Tân An" in err.value.message and "Xã Đức Hòa" in err.value.message
    with pytest.raises(ActionError):
        actions.update_club(actor=officer, club=host, integrated_into=small)  # a circle
    with pytest.raises(ActionError):
        actions.update_club(actor=officer, club=host, integrated_into=host)
    other = new_club(tree.branch_a2, name="CLB ấp Rạch Sen")
    actions.change_club_status(actor=None, club=other, status="dissolved",
                               changed_on=dt.date(2025, 1, 1), reason="Sáp nhập")
    with pytest.raises(ActionError) as err:
        actions.update_club(actor=officer, club=small, integrated_into=other)
    assert "CLB ấp Rạch Sen" in err.value.message
    small.refresh_from_db()
    assert small.integrated_into == host
    page = client_for_detail(users, host)
    assert "Nhóm phòng chống mua bán người tổ 1" in page


def client_for_detail(users: Any, club: Club) -> str:
    from tests.conftest import login_client

    return login_client(users["province_officer"]).get(
        reverse("community:club_detail", args=[club.pk])).content.decode()


# --- Detail: meetings and commendations -----------------------------------------------------

def test_detail_shows_the_latest_meetings_and_commendations(tree: Any, users: Any,
                                                            formats: Any,
                                                            client_for: Any) -> None:
    from ctip.outreach.actions import create_commendation

    club = new_club(tree.branch_a1)
    for day in range(1, 23):
        log_activity(tree.branch_a1, formats["meeting"], club=club,
                     date=dt.date(2026, 1, day), title=f"Sinh hoạt tháng 1 buổi {day:02d}")
    log_activity(tree.branch_a1, formats["meeting"], title="Họp chi hội, không của CLB")
    create_commendation(actor=None, unit=tree.commune_a, recipient_kind="club", club=club,
                        reason="Duy trì sinh hoạt đều đặn", level="commune",
                        decided_on=dt.date(2026, 2, 1), decision_number="12/QĐ-HPN")
    response = client_for(users["commune_officer"]).get(
        reverse("community:club_detail", args=[club.pk]))
    body = response.content.decode()
    assert response.context["meeting_count"] == 22
    assert "Sinh hoạt tháng 1 buổi 22" in body and "Sinh hoạt tháng 1 buổi 03" in body
    assert "Sinh hoạt tháng 1 buổi 02" not in body  # only the latest 20
    assert "không của CLB" not in body
    assert "Duy trì sinh hoạt đều đặn" in body and "12/QĐ-HPN" in body


# --- Registry -------------------------------------------------------------------------------

def test_registry_filters_and_counts_by_status(tree: Any, users: Any, client_for: Any) -> None:
    new_club(tree.branch_a1, name="CLB Mỹ Lộc")
    model = new_model(tree.branch_a2, "Mô hình Rạch Sen", dt.date(2024, 1, 1))
    paused = new_club(tree.commune_a, name="CLB xã tạm ngưng", type_code="law")
    actions.change_club_status(actor=None, club=paused, status="paused",
                               changed_on=dt.date(2025, 3, 1), reason="Thiếu người")
    new_club(tree.commune_b, name="CLB Tân An")
    new_club(tree.other_commune, name="CLB Cao Bằng")
    client = client_for(users["commune_officer"])
    url = reverse("community:club_list")

    def names(params: dict[str, Any]) -> list[str]:
        return [c.name for c in client.get(url, params).context["page"]]

    assert names({}) == ["CLB Mỹ Lộc", "CLB xã tạm ngưng", "Mô hình Rạch Sen"]
    response = client.get(url)
    assert response.context["counts"] == {"total": 3, "active": 2, "paused": 1, "dissolved": 0}
    assert names({"unit": tree.branch_a2.pk}) == ["Mô hình Rạch Sen"]
    assert names({"models_only": "on"}) == ["Mô hình Rạch Sen"]
    assert names({"status": "paused"}) == ["CLB xã tạm ngưng"]
    assert names({"club_type": club_type("law").pk}) == ["CLB xã tạm ngưng"]
    assert names({"q": "my loc"}) == ["CLB Mỹ Lộc"]
    # counts ignore the status filter, so they show the spread of the other filters
    assert client.get(url, {"status": "paused"}).context["counts"]["total"] == 3
    partial = client.get(url, {"unit": tree.branch_a2.pk}, HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert "<html" not in body and "Mô hình Rạch Sen" in body and "CLB Mỹ Lộc" not in body
    assert model.pk
    province_client = client_for(users["province_officer"])
    province = [c.name for c in province_client.get(url).context["page"]]
    assert "CLB Tân An" in province and "CLB Cao Bằng" not in province
    # the registry of one branch, as linked from a club's page, even below the filter's levels
    response = province_client.get(url, {"unit": tree.branch_a2.pk})
    assert [c.name for c in response.context["page"]] == ["Mô hình Rạch Sen"]
    assert "Chi hội ấp Rạch Sen" in response.content.decode()
    # a unit out of scope filters nothing in: the form says so
    response = client.get(url, {"unit": tree.commune_b.pk})
    assert "unit" in response.context["form"].errors
    assert "CLB Tân An" not in response.content.decode()


def test_registry_is_paginated_with_bounded_queries(tree: Any, users: Any, client_for: Any,
                                                    django_assert_max_num_queries: Any,
                                                    monkeypatch: Any) -> None:
    from ctip.community import views

    monkeypatch.setattr(views, "PAGE_SIZE", 5)
    for i in range(3):
        new_club(tree.branch_a1, name=f"CLB số {i:02d}")
    client = client_for(users["commune_officer"])
    url = reverse("community:club_list")
    client.get(url)
    with django_assert_max_num_queries(12) as ctx:
        client.get(url)
    baseline = len(ctx.captured_queries)
    for i in range(3, 12):
        new_club(tree.branch_a2, name=f"CLB số {i:02d}")
    with django_assert_max_num_queries(baseline):
        response = client.get(url, {"page": 2})
    page = response.context["page"]
    assert [c.name for c in page] == [f"CLB số {i:02d}" for i in range(5, 10)]
    body = response.content.decode()
    assert "page=3" in body and "page=1" in body


# --- Counts for reports ---------------------------------------------------------------------

def test_model_counts_in_one_query(tree: Any, django_assert_num_queries: Any) -> None:
    origin = new_model(tree.commune_a, "Gốc", dt.date(2024, 2, 1))
    new_model(tree.branch_a1, "Bản sao 1", dt.date(2025, 3, 1), origin=origin)
    new_model(tree.commune_b, "Bản sao ở Tân An", dt.date(2025, 4, 1), origin=origin)
    gone = new_model(tree.branch_a2, "Mô hình đã giải thể", dt.date(2025, 1, 10))
    actions.change_club_status(actor=None, club=gone, status="dissolved",
                               changed_on=dt.date(2025, 6, 30), reason="Không duy trì")
    later = new_model(tree.branch_a2, "Mô hình tạm ngưng sau kỳ", dt.date(2024, 5, 1))
    actions.change_club_status(actor=None, club=later, status="paused",
                               changed_on=timezone.localdate(), reason="Tạm ngưng")
    new_club(tree.commune_a, name="CLB không phải mô hình", founded=dt.date(2025, 2, 2))
    with django_assert_num_queries(1):
        counts = selectors.model_counts(tree.commune_a.path, dt.date(2025, 1, 1),
                                        dt.date(2025, 6, 30))
    # active on 30/06/2025: the origin, replica 1 and the one paused after the period
    assert counts == {"active": 3, "new": 2, "replicated": 1, "dissolved": 1}
    province = selectors.model_counts(tree.province.path, dt.date(2025, 1, 1),
                                      dt.date(2025, 12, 31))
    assert province["new"] == 3 and province["replicated"] == 2
