"""The own-account page, the lightest page of a signed-in person (decision 0066): what it
shows comes from her snapshot (decision 0060), so it costs one query, her access tokens, and
every change to her units or devices shows on the next request."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from ctip.units.actions import update_unit
from tests.conftest import login_client

PROFILE = reverse("accounts:profile")


def test_the_own_account_page_reads_only_the_access_tokens(users: Any, tree: Any) -> None:
    client = login_client(users["viewer"])
    assert client.get(PROFILE).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(PROFILE)
    assert response.status_code == 200
    assert [q["sql"] for q in queries.captured_queries if "api_accesstoken" not in q["sql"]] \
        == []
    assert len(queries.captured_queries) == 1
    page = response.content.decode()
    assert "Tài khoản của bạn" in page
    assert tree.province.name in page  # her home unit and the unit of her role
    assert "Bật" in page  # two-step sign-in: she has a device


def test_a_renamed_unit_and_a_new_device_show_on_the_next_request(users: Any,
                                                                   tree: Any) -> None:
    person = users["speaker"]  # no second step required, none set up
    client = Client()
    client.force_login(person)
    page = client.get(PROFILE).content.decode()
    assert "Tắt" in page and person.home_unit.name in page
    update_unit(actor=users["province_officer"], unit=person.home_unit,
                name="Tên mới của đơn vị")
    page = client.get(PROFILE).content.decode()
    assert page.count("Tên mới của đơn vị") == 2  # her home unit and the unit of her role
    TOTPDevice.objects.create(user=person, name="phone", confirmed=True)
    response = client.get(PROFILE)
    # with a device she must now pass the second step first: the snapshot saw the device
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_verify"))
