"""Activities through the API: the same rules, scope and writes as the pages."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.utils import timezone

from ctip.api import activities as api_activities
from ctip.audit.models import AuditEvent
from ctip.org.models import Unit
from ctip.outreach.actions import create_campaign
from ctip.outreach.models import Activity
from ctip.units.actions import move_subtree
from tests.conftest import log_activity

URL = "/api/v1/activities"


def body(unit: Any, fmt: Any, **changes: Any) -> dict[str, Any]:
    return {"uuid": str(uuid.uuid4()), "unit_id": unit.pk, "format_id": fmt.pk,
            "date": "2026-07-20", "title": "Nói chuyện chuyên đề", "participants_women": 30,
            "participants_men": 10, **changes}


def test_create_is_idempotent_by_uuid(users: Any, tree: Any, formats: Any, api_for: Any
                                      ) -> None:
    api = api_for(users["commune_officer"])
    sent = body(tree.commune_a, formats["meeting"])
    first = api.post(URL, sent)
    assert first.status_code == 201, first.content
    again = api.post(URL, sent)
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Activity.objects.count() == 1
    assert first.json()["participants_total"] == 40
    assert AuditEvent.objects.filter(action="activity.created").count() == 1


def test_refused_create_is_problem_json_naming_the_field(users: Any, tree: Any, formats: Any,
                                                         api_for: Any) -> None:
    api = api_for(users["commune_officer"])
    answer = api.post(URL, body(tree.commune_a, formats["meeting"], participants_total=99))
    assert answer.status_code == 422
    assert answer["Content-Type"] == "application/problem+json"
    problem = answer.json()
    assert problem["errors"][0]["field"] == "participants_total"
    assert "không phải" in problem["detail"] or "Tổng" in problem["detail"] or problem["detail"]
    assert Activity.objects.count() == 0
    # the refused key is free again: the corrected entry goes through with the same uuid
    fixed = api.post(URL, body(tree.commune_a, formats["meeting"]) | {"uuid": problem.get(
        "uuid", str(uuid.uuid4()))})
    assert fixed.status_code == 201


def test_bad_input_names_fields_in_vietnamese(users: Any, tree: Any, formats: Any,
                                              api_for: Any) -> None:
    api = api_for(users["commune_officer"])
    answer = api.post(URL, body(tree.commune_a, formats["meeting"], colour="red",
                                participants_men="many", date="2026-13-45"))
    assert answer.status_code == 422
    fields = {e["field"]: e["message"] for e in answer.json()["errors"]}
    assert set(fields) >= {"colour", "participants_men", "date"}
    assert fields["colour"] == "Trường không được nhận."
    malformed = api.client.post(URL, "{not json", content_type="application/json",
                                headers={"Authorization": f"Bearer {api.secret}"})
    assert malformed.status_code in {400, 422}
    assert malformed["Content-Type"] == "application/problem+json"
    huge = api.get(f"{URL}/{2**64}")
    assert huge.status_code in {404, 422}
    assert Activity.objects.count() == 0


def test_out_of_scope_unit_is_refused(users: Any, tree: Any, formats: Any,
                                      api_for: Any) -> None:
    api = api_for(users["commune_officer"])
    answer = api.post(URL, body(tree.other_commune, formats["meeting"]))
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "unit_id"
    other = log_activity(tree.other_commune, formats["meeting"])
    assert api.get(f"{URL}/{other.pk}").status_code == 404
    assert AuditEvent.objects.filter(action="access.refused").exists()


def test_list_filters_and_cursor(users: Any, tree: Any, formats: Any, api_for: Any) -> None:
    for day in range(1, 8):
        log_activity(tree.commune_a, formats["meeting"], date=dt.date(2026, 7, day),
                     title=f"Buổi {day}")
    log_activity(tree.commune_b, formats["meeting"], date=dt.date(2026, 7, 3))
    log_activity(tree.other_commune, formats["meeting"], date=dt.date(2026, 7, 3))
    api = api_for(users["province_officer"])
    seen: list[int] = []
    cursor = None
    while True:
        page = api.get(URL, {"limit": 3, "unit": tree.commune_a.pk,
                             **({"cursor": cursor} if cursor else {})}).json()
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 7
    everything = api.get(URL, {"limit": 100}).json()["items"]
    assert len(everything) == 8  # not the other province's
    window = api.get(URL, {"start": "2026-07-03", "end": "2026-07-03"}).json()["items"]
    assert len(window) == 2
    assert api.get(URL, {"cursor": "%%%"}).status_code == 422


def test_update_needs_the_current_version(users: Any, tree: Any, formats: Any,
                                          api_for: Any) -> None:
    api = api_for(users["commune_officer"])
    created = api.post(URL, body(tree.commune_a, formats["meeting"]))
    record = created.json()
    etag = created["ETag"]
    path = f"{URL}/{record['id']}"
    change = {k: v for k, v in body(tree.commune_a, formats["meeting"]).items() if k != "uuid"}
    assert api.put(path, change).status_code == 428
    first = api.put(path, change | {"title": "Đổi tên lần 1"}, HTTP_IF_MATCH=etag) \
        if False else api.put(path, change | {"title": "Đổi tên lần 1"}, **{"If-Match": etag})
    assert first.status_code == 200, first.content
    stale = api.put(path, change | {"title": "Đổi tên lần 2"}, **{"If-Match": etag})
    assert stale.status_code == 409
    assert stale.json()["current"]["title"] == "Đổi tên lần 1"
    assert Activity.objects.get().title == "Đổi tên lần 1"
    assert api.delete(path, **{"If-Match": etag}).status_code == 409
    assert api.delete(path, **{"If-Match": first["ETag"]}).status_code == 204
    assert not Activity.objects.exists()


def test_a_viewer_cannot_write(users: Any, tree: Any, formats: Any, api_for: Any) -> None:
    api = api_for(users["viewer"])
    assert api.post(URL, body(tree.province, formats["meeting"])).status_code == 404
    assert api.get(URL).status_code == 200


def test_a_queued_batch_sent_twice_creates_nothing_new(users: Any, tree: Any, formats: Any,
                                                       api_for: Any) -> None:
    api = api_for(users["commune_officer"])
    items = [body(tree.commune_a, formats["meeting"], title=f"Buổi {i}") for i in range(5)]
    items.append(body(tree.commune_a, formats["meeting"], participants_total=1))  # refused
    items.append({"uuid": "not-a-uuid", "title": 3})
    first = api.post(f"{URL}/batch", {"items": items})
    assert first.status_code == 200, first.content
    assert [a["status"] for a in first.json()] == [201] * 5 + [422, 422]
    assert first.json()[5]["problem"]["errors"][0]["field"] == "participants_total"
    again = api.post(f"{URL}/batch", {"items": items}).json()
    assert [a["status"] for a in again] == [200] * 5 + [422, 422]
    assert Activity.objects.count() == 5


def test_each_item_of_a_batch_is_checked_on_its_own(users: Any, tree: Any, formats: Any,
                                                     api_for: Any) -> None:
    """What a batch looks up once (units, formats, catalogues) never lets an item through that
    would be refused alone, nor refuses one that would pass."""
    api = api_for(users["commune_officer"])
    mine = body(tree.commune_a, formats["meeting"], title="Của xã")
    items = [body(tree.commune_b, formats["meeting"], title="Xã khác"), mine,
             body(tree.commune_b, formats["meeting"], title="Xã khác nữa"),
             body(tree.commune_a, formats["meeting"], title="Chủ đề lạ", topic_ids=[999_999]),
             body(tree.commune_a, formats["meeting"], title="Của xã nữa")]
    answers = api.post(f"{URL}/batch", {"items": items}).json()
    assert [a["status"] for a in answers] == [422, 201, 422, 422, 201]
    assert [a["problem"]["errors"][0]["field"] for a in answers if a["status"] == 422] == [
        "unit_id", "unit_id", "topic_ids"]
    assert sorted(Activity.objects.values_list("title", flat=True)) == ["Của xã", "Của xã nữa"]


def test_a_wrong_method_is_a_problem_too(users: Any, api_for: Any) -> None:
    answer = api_for(users["commune_officer"]).get(f"{URL}/batch")
    assert answer.status_code == 405
    assert answer["Content-Type"] == "application/problem+json"
    assert "POST" in answer["Allow"]


def test_a_refusal_lists_every_rule_broken(users: Any, tree: Any, formats: Any,
                                           api_for: Any) -> None:
    today = timezone.localdate()
    campaign = create_campaign(actor=None, unit=tree.branch_a2, name="Tháng hành động",
                               starts_on=today - dt.timedelta(days=30),
                               ends_on=today + dt.timedelta(days=30))
    api = api_for(users["commune_officer"])
    answer = api.post("/api/v1/activities", {
        "uuid": str(uuid.uuid4()), "unit_id": tree.branch_a1.pk,
        "format_id": formats["meeting"].pk, "date": (today + dt.timedelta(days=5)).isoformat(),
        "title": "Nói chuyện", "campaign_id": campaign.pk, "participants_total": 100_000})
    assert answer.status_code == 422, answer.content
    assert answer["Content-Type"] == "application/problem+json"
    fields = {e["field"] for e in answer.json()["errors"]}
    assert {"date", "campaign", "participants_total"} <= fields
    assert all(e["message"] for e in answer.json()["errors"])


def test_a_device_replaces_an_activity_of_the_old_provinces_campaign_after_the_move(
        users: Any, tree: Any, formats: Any, api_for: Any) -> None:
    """After her commune moved, the campaign it was recorded under is no longer hers to
    choose, but a replacement that keeps it is accepted; a new activity cannot take it."""
    from ctip.units.actions import move_subtree

    campaign = create_campaign(actor=None, unit=tree.province, name="Tháng hành động",
                               starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2026, 7, 31))
    activity = log_activity(tree.commune_a, formats["meeting"], date=dt.date(2026, 7, 20),
                            campaign=campaign)
    move_subtree(actor=None, unit=tree.commune_a, new_parent=tree.other_province)
    api = api_for(users["commune_officer"])
    path = f"{URL}/{activity.pk}"
    etag = api.get(path)["ETag"]
    change = {k: v for k, v in body(tree.commune_a, formats["meeting"],
                                    campaign_id=campaign.pk).items() if k != "uuid"}
    replaced = api.put(path, change | {"title": activity.title}, **{"If-Match": etag})
    assert replaced.status_code == 200, replaced.content
    assert replaced.json()["campaign_id"] == campaign.pk
    refused = api.post(URL, body(tree.commune_a, formats["meeting"], campaign_id=campaign.pk,
                                 title="Buổi mới"))
    assert refused.status_code == 422


def test_a_batch_from_a_phone_across_a_move_records_every_item_at_the_new_place(
        tree: Any, users: Any, formats: Any, api_for: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The batch reads each unit once for its items; a unit moved between two items is read
    again (``org.held``, decision 0102)."""
    submit, calls = api_activities.submit_once, []

    def moving_after_the_first(**kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:  # committed before the second item's own transaction
            move_subtree(actor=None, unit=tree.commune_a, new_parent=tree.other_province)
        return submit(**kwargs)

    monkeypatch.setattr(api_activities, "submit_once", moving_after_the_first)
    meeting = formats["meeting"]
    items = [body(tree.commune_a, meeting, title=f"Buổi {i} trong lúc chuyển") for i in range(3)]
    answers = api_for(users["commune_officer"]).post(f"{URL}/batch", {"items": items}).json()
    assert [a["status"] for a in answers] == [201, 201, 201], answers
    new = Unit.objects.get(pk=tree.commune_a.pk).path
    paths = Activity.objects.filter(title__contains="trong lúc chuyển").order_by("title")
    assert [a.unit_path for a in paths] == [new, new, new]  # the first one moved with it


def test_a_busy_database_is_503_with_when_to_send_again(users: Any, tree: Any, formats: Any,
                                                        api_for: Any, monkeypatch: Any
                                                        ) -> None:
    """A province's restructuring holds SQLite's lock (decision 0103): a phone's entry that
    waits past the busy timeout is told to send again, and the same entry then goes through
    once (decision 0105)."""
    from django.db import OperationalError

    from ctip.outreach import actions

    def locked(**_kwargs: Any) -> Any:
        raise OperationalError("database is locked")

    api = api_for(users["commune_officer"])
    sent = body(tree.commune_a, formats["meeting"])
    monkeypatch.setattr(actions, "create_activity", locked)
    answer = api.post(URL, sent)
    assert answer.status_code == 503 and answer["Retry-After"] == "60"
    assert answer["Content-Type"] == "application/problem+json"
    assert "gửi lại" in answer.json()["detail"]
    monkeypatch.undo()
    assert api.post(URL, sent).status_code == 201
    assert Activity.objects.count() == 1
