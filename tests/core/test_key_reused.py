"""A submission key sent again with other content (decision 0107): a form page shown again from
the phone's cache or the browser's history carries a key already used for an earlier entry.
Her new entry is refused with the reason and a new key, never answered with the earlier record
(which dropped it without a word); the same content sent again is still answered once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.urls import reverse

from ctip.cases.models import Situation
from ctip.core.models import SubmissionKey
from ctip.outreach.models import Activity
from tests.api.conftest import api_for as api_for  # noqa: F401  (fixture)
from tests.api.test_activities_api import URL, body
from tests.core.test_idempotency import keyed
from tests.outreach.test_activity_views import as_post, read_form

pytestmark = pytest.mark.django_db

REUSED = "Trang nhập này đã được dùng để lưu một mục khác"


def test_a_form_shown_again_with_a_used_key_saves_her_new_entry_on_the_second_press(
        tree: Any, users: Any, formats: Any, client_for: Any) -> None:
    client = client_for(users["branch_head"])
    url = reverse("outreach:activity_create")
    page = client.get(url)  # the page the service worker kept
    first = as_post(read_form(page), format=formats["meeting"].pk, title="Sinh hoạt tháng 11",
                    participants_women="18", participants_men="4")
    assert client.post(url, first).status_code == 302
    # the same page, from the cache, with her next activity typed into it
    second = dict(first, title="Nói chuyện ở trường", participants_women="30")
    refused = client.post(url, second)
    text = refused.content.decode()
    assert refused.status_code == 200 and REUSED in text
    assert list(Activity.objects.values_list("title", flat=True)) == ["Sinh hoạt tháng 11"]
    # what she typed is still there, under a new key: saving again records it
    shown = read_form(refused).values
    assert shown["title"] == ["Nói chuyện ở trường"]
    assert keyed(refused) != first["idempotency_key"]
    again = as_post(read_form(refused))
    assert client.post(url, again).status_code == 302
    assert sorted(Activity.objects.values_list("title", flat=True)) == [
        "Nói chuyện ở trường", "Sinh hoạt tháng 11"]
    # and the first page sent again as it was is still answered with its own record
    assert client.post(url, first).status_code == 302
    assert Activity.objects.count() == 2


def test_the_api_refuses_a_used_uuid_with_other_content(users: Any, tree: Any, formats: Any,
                                                        api_for: Any) -> None:
    api = api_for(users["commune_officer"])
    sent = body(tree.commune_a, formats["meeting"])
    assert api.post(URL, sent).status_code == 201
    assert api.post(URL, sent).status_code == 200  # the same entry again: answered once
    other = dict(sent, title="Buổi khác", participants_women=12)
    refused = api.post(URL, other)
    assert refused.status_code == 422 and REUSED in refused.json()["detail"]
    batch = api.post(f"{URL}/batch", {"items": [sent, other]}).json()
    assert [a["status"] for a in batch] == [200, 422]
    assert list(Activity.objects.values_list("title", flat=True)) == [sent["title"]]

    situation = {"uuid": str(uuid.uuid4()), "unit_id": tree.commune_a.pk,
                 "category": "missing", "description": "Mất liên lạc với con gái"}
    assert api.post("/api/v1/situations", situation).status_code == 201
    changed = dict(situation, description="Một người khác mất liên lạc")
    assert api.post("/api/v1/situations", changed).status_code == 422
    assert Situation.objects.count() == 1


def test_a_cache_that_fails_after_a_write_does_not_fail_the_page(
        tree: Any, users: Any, formats: Any, client_for: Any, monkeypatch: Any) -> None:
    """The replica's note of her write is a cache write after the commit: the cache down
    must not show an error page for a saved entry (she would send it again)."""
    from ctip.core import dbrouter

    class Down:
        def set(self, *_args: Any, **_kwargs: Any) -> None:
            raise ConnectionError("cache server went away")

        get = set

    client = client_for(users["branch_head"])
    url = reverse("outreach:activity_create")
    data = as_post(read_form(client.get(url)), format=formats["meeting"].pk,
                   title="Sinh hoạt", participants_women="18", participants_men="4")
    monkeypatch.setattr(dbrouter, "replica_alias", lambda: "replica")  # a replica is set up
    monkeypatch.setattr(dbrouter, "cache", Down())
    saved = client.post(url, data)
    assert saved.status_code == 302 and Activity.objects.count() == 1
    assert dbrouter.wrote_recently(saved.wsgi_request) is True  # unknown: read the primary
    assert SubmissionKey.objects.get(key=data["idempotency_key"]).digest


def test_a_report_attachment_sent_twice_is_attached_once(tree: Any, users: Any,
                                                         client_for: Any) -> None:
    """The attachment form was the one create of a report's page without a key: sent again
    after an error page (the file was kept), it attached the file a second time."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.core.test_one_round import _draft

    report = _draft(tree)
    client = client_for(users["commune_officer"])
    url = reverse("reports:report_attach", args=[report.pk])
    page = client.get(reverse("reports:report_detail", args=[report.pk])).content.decode()
    assert f'action="{url}"' in page and 'name="idempotency_key"' in page
    key = str(uuid.uuid4())
    for _sent in range(2):
        upload = SimpleUploadedFile("danh-sach.pdf", b"%PDF-1.4\n1 0 obj\n%%EOF\n",
                                    content_type="application/pdf")
        answer = client.post(url, {"idempotency_key": key, "caption": "Danh sách",
                                   "file": upload})
        assert answer.status_code == 302, answer.content.decode()[:2000]
    assert report.attachments.count() == 1


def test_a_batch_sent_again_after_her_unit_changed_goes_on_past_the_entry(
        users: Any, tree: Any, formats: Any, api_for: Any) -> None:
    """An entry saved at the first send, whose record has since left her scope (she was moved
    to another commune), is answered as sent; the items after it are still recorded, where
    the whole batch used to be refused (404) and her queue stuck for good."""
    from ctip.accounts.models import RoleAssignment
    from ctip.accounts.policy import forget

    officer = users["commune_officer"]
    api = api_for(officer)
    saved = body(tree.commune_a, formats["meeting"], title="Đã gửi")
    assert api.post(f"{URL}/batch", {"items": [saved]}).json()[0]["status"] == 201
    RoleAssignment.objects.filter(user=officer).update(unit=tree.commune_b)
    forget(officer)
    later = body(tree.commune_b, formats["meeting"], title="Ở xã mới")
    answer = api.post(f"{URL}/batch", {"items": [saved, later]})
    assert answer.status_code == 200, answer.content
    assert [(a["status"], a.get("record")) for a in answer.json()][0] == (200, None)
    assert answer.json()[1]["status"] == 201
    assert set(Activity.objects.values_list("title", flat=True)) == {"Ở xã mới", "Đã gửi"}


def test_one_entry_sent_again_after_her_unit_changed_is_answered_as_sent(
        users: Any, tree: Any, formats: Any, api_for: Any) -> None:
    """``POST /activities`` and ``POST /situations`` sent again (the first answer lost) after
    she was moved to another commune: saved at the first send, so answered 200 as sent, not
    404 or 422, which a client takes for "not saved" and sends again elsewhere; an activity now
    outside her scope is not shown (a report stays hers to read); nothing is saved twice."""
    from ctip.accounts.models import RoleAssignment
    from ctip.accounts.policy import forget

    officer = users["commune_officer"]
    api = api_for(officer)
    activity = body(tree.commune_a, formats["meeting"], title="Đã gửi một lần")
    situation = {"uuid": str(uuid.uuid4()), "unit_id": tree.commune_a.pk,
                 "category": "recruitment", "description": "Người lạ hứa việc làm ở nước ngoài."}
    assert api.post(URL, activity).status_code == 201
    reported = api.post("/api/v1/situations", situation)
    assert reported.status_code == 201
    RoleAssignment.objects.filter(user=officer).update(unit=tree.commune_b)
    forget(officer)

    again = api.post(URL, activity)
    assert again.status_code == 200, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["saved"] is True and again.json()["uuid"] == activity["uuid"]
    assert "id" not in again.json() and "Đã gửi" not in again.content.decode()
    assert Activity.objects.filter(title="Đã gửi một lần").count() == 1

    again = api.post("/api/v1/situations", situation)
    assert again.status_code == 200, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["code"] == reported.json()["code"]
    assert Situation.objects.count() == 1
    # a new report for the commune she left is still refused, naming the field
    refused = api.post("/api/v1/situations", situation | {"uuid": str(uuid.uuid4())})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "unit_id"
    assert Situation.objects.count() == 1
