"""The cross-border exchange log: only at border units, with clear refusals of bad input."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ctip.accounts.policy import NotInScope
from ctip.audit.models import AuditEvent, Outcome
from ctip.community import actions
from ctip.community.models import Exchange
from ctip.core.errors import ActionError
from ctip.outreach.actions import create_topic, set_archived
from ctip.units.actions import update_unit


@pytest.fixture
def border(tree: Any, users: Any) -> Any:
    """Commune A flagged as a border commune by the province."""
    return update_unit(actor=users["province_officer"], unit=tree.commune_a, is_border=True)


@pytest.fixture
def topics(db: Any) -> dict[str, Any]:
    trick = create_topic(actor=None, name="Thủ đoạn việc nhẹ lương cao", kind="trick")
    law = create_topic(actor=None, name="Luật Phòng, chống mua bán người 2024", kind="law")
    old = create_topic(actor=None, name="Chủ đề cũ đã lưu trữ")
    set_archived(actor=None, obj=old)
    return {"trick": trick, "law": law, "old": old}


def record(unit: Any, date: dt.date, *, actor: Any = None, area: str = "Huyện Chantrea, "
           "tỉnh Svay Rieng", participants: int = 30, **kwargs: Any) -> Exchange:
    return actions.create_exchange(actor=actor, unit=unit, date=date, counterpart_area=area,
                                   participants=participants, **kwargs)


def test_an_exchange_at_a_unit_not_flagged_border_is_refused(tree: Any, users: Any,
                                                             client_for: Any) -> None:
    officer = users["commune_officer"]
    with pytest.raises(ActionError) as err:
        record(tree.commune_a, dt.date(2026, 5, 20), actor=officer)
    assert err.value.field == "unit" and "Xã Đức Hòa" in err.value.message
    client = client_for(officer)
    page = client.get(reverse("community:exchange_create"))
    assert page.context["no_border_unit"]
    assert list(page.context["form"].fields["unit"].queryset) == []
    response = client.post(reverse("community:exchange_create"), {
        "unit": tree.commune_a.pk, "date": "20/05/2026", "counterpart_country": "Campuchia",
        "counterpart_area": "Xã Đôn, huyện Chantrea", "participants": "30"})
    assert response.status_code == 200 and "unit" in response.context["form"].errors
    assert "Xã Đôn, huyện Chantrea" in response.content.decode()  # the input is kept
    assert not Exchange.objects.exists()


def test_a_border_commune_records_an_exchange(tree: Any, users: Any, client_for: Any,
                                              border: Any, topics: Any) -> None:
    assert border.is_border
    client = client_for(users["commune_officer"])
    form = client.get(reverse("community:exchange_create")).context["form"]
    # the border commune and the units below it (a border area covers its branches)
    assert set(form.fields["unit"].queryset) == {tree.commune_a, tree.branch_a1,
                                                 tree.branch_a2, tree.group_a1}
    assert topics["old"] not in form.fields["topics"].queryset
    assert topics["trick"] in form.fields["topics"].queryset
    response = client.post(reverse("community:exchange_create"), {
        "unit": tree.commune_a.pk, "date": "20/05/2026", "counterpart_country": "Campuchia",
        "counterpart_area": "Xã Đôn, huyện Chantrea, tỉnh Svay Rieng",
        "topics": [topics["trick"].pk, topics["law"].pk], "participants": "42",
        "information_shared": "Hai bên trao đổi về các vụ dụ dỗ lao động sang làm việc.",
        "follow_up": "Lập nhóm liên lạc; gặp lại tháng 8."})
    exchange = Exchange.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("community:exchange_detail", args=[exchange.pk])
    assert exchange.unit_path == tree.commune_a.path and exchange.participants == 42
    assert set(exchange.topics.all()) == {topics["trick"], topics["law"]}
    event = AuditEvent.objects.get(action="exchange.created", target_id=str(exchange.pk))
    assert event.actor == users["commune_officer"] and event.changes["participants"] == 42
    body = client.get(response["Location"]).content.decode()
    for text in ("20/05/2026", "Xã Đôn, huyện Chantrea, tỉnh Svay Rieng", "Campuchia",
                 "Thủ đoạn việc nhẹ lương cao", "Lập nhóm liên lạc; gặp lại tháng 8."):
        assert text in body
    assert reverse("community:exchange_edit", args=[exchange.pk]) in body


def test_bad_numbers_and_dates_are_refused(tree: Any, users: Any, border: Any,
                                           client_for: Any, topics: Any) -> None:
    with pytest.raises(ActionError) as err:
        record(border, dt.date(2026, 5, 20), participants=-4)
    assert err.value.field == "participants"
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ActionError) as err:
        record(border, tomorrow)
    assert err.value.field == "date" and tomorrow.strftime("%d/%m/%Y") in err.value.message
    with pytest.raises(ActionError) as err:
        record(border, dt.date(2026, 5, 20), area="   ")
    assert err.value.field == "counterpart_area"
    with pytest.raises(ActionError) as err:
        record(border, dt.date(2026, 5, 20), topics=[topics["old"]])
    assert err.value.field == "topics"
    response = client_for(users["commune_officer"]).post(
        reverse("community:exchange_create"), {
            "unit": tree.commune_a.pk, "date": "20/05/2026",
            "counterpart_country": "Campuchia", "counterpart_area": "Xã Đôn",
            "participants": "-4"})
    assert "participants" in response.context["form"].errors
    assert not Exchange.objects.exists()


def test_scope_of_exchanges(tree: Any, users: Any, border: Any, client_for: Any) -> None:
    commune_b = update_unit(actor=users["province_officer"], unit=tree.commune_b,
                            is_border=True)
    with pytest.raises(NotInScope):
        record(commune_b, dt.date(2026, 5, 20), actor=users["commune_officer"])
    theirs = record(commune_b, dt.date(2026, 5, 20), actor=users["province_officer"])
    url = reverse("community:exchange_detail", args=[theirs.pk])
    response = client_for(users["commune_officer"]).get(url)
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="access.refused", outcome=Outcome.REFUSED,
                                     actor=users["commune_officer"], target_label=url).exists()
    assert client_for(users["commune_officer"]).get(
        reverse("community:exchange_edit", args=[theirs.pk])).status_code == 404
    assert client_for(users["province_officer"]).get(url).status_code == 200
    # a branch head records nothing at the commune, even a border one
    with pytest.raises(NotInScope):
        record(border, dt.date(2026, 5, 20), actor=users["branch_head"])


def test_the_list_filters_by_period(tree: Any, users: Any, border: Any,
                                    client_for: Any) -> None:
    commune_b = update_unit(actor=users["province_officer"], unit=tree.commune_b,
                            is_border=True)
    record(border, dt.date(2026, 1, 15), area="Xã Một", participants=10)
    record(border, dt.date(2026, 4, 2), area="Xã Hai", participants=20)
    record(border, dt.date(2026, 6, 30), area="Xã Ba", participants=40)
    record(commune_b, dt.date(2026, 4, 10), area="Xã Của Tân An", participants=5)
    client = client_for(users["commune_officer"])
    url = reverse("community:exchange_list")

    def areas(params: dict[str, Any]) -> list[str]:
        return [e.counterpart_area for e in client.get(url, params).context["page"]]

    assert areas({}) == ["Xã Ba", "Xã Hai", "Xã Một"]  # newest first, own commune only
    assert areas({"start": "01/04/2026", "end": "30/06/2026"}) == ["Xã Ba", "Xã Hai"]
    assert areas({"end": "31/03/2026"}) == ["Xã Một"]
    response = client.get(url, {"start": "01/04/2026", "end": "30/06/2026"})
    assert response.context["totals"] == {"exchanges": 2, "participants": 60}
    body = response.content.decode()
    assert "Xã Ba" in body and "Xã Một" not in body
    response = client.get(url, {"start": "30/06/2026", "end": "01/04/2026"})
    assert "end" in response.context["form"].errors
    province = client_for(users["province_officer"])
    rows = [e.counterpart_area for e in province.get(
        url, {"start": "01/04/2026", "end": "30/04/2026"}).context["page"]]
    assert rows == ["Xã Của Tân An", "Xã Hai"]
    rows = [e.counterpart_area for e in province.get(
        url, {"unit": tree.commune_b.pk}).context["page"]]
    assert rows == ["Xã Của Tân An"]


def test_edit_keeps_an_exchange_whose_unit_lost_the_border_flag(tree: Any, users: Any,
                                                                border: Any,
                                                                client_for: Any) -> None:
    exchange = record(border, dt.date(2026, 3, 3), actor=users["commune_officer"])
    update_unit(actor=users["province_officer"], unit=tree.commune_a, is_border=False)
    client = client_for(users["commune_officer"])
    response = client.post(reverse("community:exchange_edit", args=[exchange.pk]), {
        "unit": tree.commune_a.pk, "date": "03/03/2026", "counterpart_country": "Campuchia",
        "counterpart_area": "Huyện Chantrea, tỉnh Svay Rieng", "participants": "35",
        "follow_up": "Gửi danh sách đầu mối"})
    assert response.status_code == 302, response.context["form"].errors
    exchange.refresh_from_db()
    assert exchange.participants == 35 and exchange.follow_up == "Gửi danh sách đầu mối"
    event = AuditEvent.objects.get(action="exchange.updated", target_id=str(exchange.pk))
    assert set(event.changes) == {"participants", "follow_up"}


def test_html_in_exchange_text_is_escaped(tree: Any, users: Any, border: Any,
                                          client_for: Any) -> None:
    exchange = record(border, dt.date(2026, 3, 3), area="<img src=x onerror=alert(1)>",
                      information_shared="<script>alert('x')</script>")
    client = client_for(users["commune_officer"])
    for url in (reverse("community:exchange_detail", args=[exchange.pk]),
                reverse("community:exchange_list")):
        body = client.get(url).content.decode()
        assert "<img src=x" not in body and "<script>alert" not in body
        assert "&lt;img src=x onerror=alert(1)&gt;" in body
