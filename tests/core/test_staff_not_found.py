"""A signed-in officer who asks the staff application for something that is not there (a
record that does not exist, or one outside her units: the same answer) stays in the staff
frame, with her menu and a way back to her work. Every other 404 is the bulletin's page, and
the JSON API answers its own (decision 0086)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.cases.case_helpers import matrix_case

pytestmark = pytest.mark.django_db

STAFF_TITLE = "Không tìm thấy"


def _body(response: Any) -> str:
    """The page without what differs per request (the CSRF token, the policy's nonce, the
    address the language switch returns to)."""
    html = response.content.decode()
    html = re.sub(r'name="next" type="hidden" value="[^"]*"', "", html)
    html = re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', r"\1", html)
    return re.sub(r'nonce="[^"]+"', "", html)


def test_a_record_outside_her_units_and_one_that_does_not_exist_answer_the_same_staff_page(
        tree: Any, users: Any, client_for: Any) -> None:
    outside = matrix_case(tree, users, inside=False)
    client = client_for(users["case_worker"])
    out_of_scope = client.get(reverse("cases:case_detail", args=[outside.pk]))
    missing = client.get(reverse("cases:case_detail", args=[outside.pk + 10_000]))
    for response in (out_of_scope, missing):
        assert response.status_code == 404
        html = response.content.decode()
        assert f"<h1>{STAFF_TITLE}</h1>" in html
        assert "không thuộc các đơn vị bạn phụ trách" in html
        assert f'href="{reverse("core:home")}"' in html  # back to her work
        assert f'action="{reverse("accounts:logout")}"' in html  # her frame, signed in
        assert reverse("portal:search") not in html  # not the bulletin's page
        assert outside.code not in html
    assert _body(out_of_scope) == _body(missing)


def test_other_addresses_and_visitors_get_the_bulletins_page(
        tree: Any, users: Any, client_for: Any, client: Any) -> None:
    outside = matrix_case(tree, users, inside=False)
    signed_in = client_for(users["case_worker"])
    for who, path in ((signed_in, "/khong-co-trang-nay/"), (client, "/khong-co-trang-nay/"),
                      (client, reverse("cases:case_detail", args=[outside.pk]))):
        response = who.get(path, follow=True)
        html = response.content.decode()
        if response.redirect_chain:  # a visitor is asked to sign in first, not told
            assert reverse("accounts:login") in response.redirect_chain[-1][0]
            continue
        assert response.status_code == 404
        assert reverse("portal:search") in html, path
        assert f"<h1>{STAFF_TITLE}</h1>" not in html


def test_the_api_answers_its_own_404(tree: Any, users: Any) -> None:
    from ctip.api.tokens import create_token

    secret = create_token(actor=None, user=users["commune_officer"], name="điện thoại").secret
    response = Client().get("/api/v1/activities/999999999",
                            headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/")
    assert response.json()["status"] == 404  # problem+json, not a page
