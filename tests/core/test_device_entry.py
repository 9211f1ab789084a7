"""A refused offline entry corrected in a form leaves the device only once the form is saved
(decision record 0108): the form sends the entry's UUID (``device_entry``), and the page after a
save, and only that page, names it in its message, so that ``ctip/js/offline.js`` removes it.
The browser's side is ``tests/e2e/test_offline.py``."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.urls import reverse

from ctip.outreach.models import Activity
from tests.conftest import log_activity
from tests.outreach.test_activity_views import as_post, essentials, read_form

pytestmark = pytest.mark.django_db

NAMED = re.compile(r'class="message device-entry-([0-9a-f-]{36}) (?:success|info)"')


def named(response: Any) -> list[str]:
    return NAMED.findall(response.content.decode())


def test_a_saved_activity_names_the_entry_it_corrected_once(tree: Any, users: Any,
                                                            formats: Any,
                                                            client_for: Any) -> None:
    client = client_for(users["branch_head"])
    entry = str(uuid.uuid4())
    form = read_form(client.get(reverse("outreach:activity_create")))
    sent = as_post(form, **essentials(tree, formats), device_entry=entry)
    saved = client.post(reverse("outreach:activity_create"), sent, follow=True)
    assert named(saved) == [entry]
    # the page after it says nothing more: the message is shown once
    assert named(client.get(reverse("outreach:activity_list"))) == []
    # the same form sent again (its answer lost): already saved, and it names the entry again
    again = client.post(reverse("outreach:activity_create"), sent, follow=True)
    assert named(again) == [entry] and Activity.objects.count() == 1


def test_a_refused_correction_names_nothing(tree: Any, users: Any, formats: Any,
                                            client_for: Any) -> None:
    client = client_for(users["branch_head"])
    refused = client.post(reverse("outreach:activity_create"), essentials(
        tree, formats, participants_total="10", device_entry=str(uuid.uuid4())))
    assert refused.status_code == 200 and refused.context["form"].errors
    assert named(refused) == [] and "device-entry-" not in refused.content.decode()
    assert not Activity.objects.exists()


@pytest.mark.parametrize("sent", ["", "not-a-uuid", '" onmouseover="alert(1)',
                                  "x" * 10_000, "5C4E2B9A-6F0D-4B7E-9C1A-2D3E4F5A6B7C<b>"])
def test_only_a_uuid_is_written_back_into_the_page(sent: str, tree: Any, users: Any,
                                                   formats: Any, client_for: Any) -> None:
    client = client_for(users["branch_head"])
    saved = client.post(reverse("outreach:activity_create"),
                        essentials(tree, formats, device_entry=sent), follow=True)
    html = saved.content.decode()
    assert Activity.objects.count() == 1  # saved as any form is: the field is the device's
    assert "device-entry-" not in html and "onmouseover" not in html and "<b>" not in html


def test_a_saved_edit_and_a_saved_situation_name_their_entries(tree: Any, users: Any,
                                                               formats: Any,
                                                               client_for: Any) -> None:
    activity = log_activity(tree.branch_a1, formats["meeting"], actor=users["branch_head"])
    client = client_for(users["commune_officer"])
    url = reverse("outreach:activity_edit", args=[activity.pk])
    edit = str(uuid.uuid4())
    saved = client.post(url, as_post(read_form(client.get(url)), participants_total="",
                                     device_entry=edit), follow=True)
    assert named(saved) == [edit]

    head = client_for(users["branch_head"])
    report = str(uuid.uuid4())
    saved = head.post(reverse("cases:situation_create"), {
        "category": "recruitment", "urgency": "high", "unit": tree.branch_a1.pk,
        "description": "Có người lạ mời chị em đi làm ở nước ngoài.", "source": "member",
        "device_entry": report}, follow=True)
    assert named(saved) == [report]
