"""Personal access tokens: hashed, expiring, revocable, never more than the user's roles,
created on the profile page or by ``ctip tokens create`` (printed once), audited."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ctip.api.models import AccessToken
from ctip.api.tokens import create_token, digest
from ctip.audit.models import AuditEvent
from tests.api.conftest import ApiClient


def test_the_command_prints_the_token_once_and_stores_its_hash(users: Any) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("tokens", "create", "--user", "xa", "--name", "Điện thoại của Lan",
                 stdout=out, stderr=err)
    secret = out.getvalue().strip()
    token = AccessToken.objects.get()
    assert secret.startswith(f"ctip_{token.prefix}_")
    assert token.digest == digest(secret) and secret not in str(vars(token))
    assert "shown only now" in err.getvalue()
    assert AuditEvent.objects.filter(action="token.created", target_id=str(token.pk)).exists()
    answer = ApiClient(secret).get("/api/v1/units")
    assert answer.status_code == 200
    assert AuditEvent.objects.filter(action="token.used", target_id=str(token.pk)).count() == 1
    ApiClient(secret).get("/api/v1/units")  # used again within the hour: one event
    assert AuditEvent.objects.filter(action="token.used").count() == 1
    call_command("tokens", "revoke", token.prefix, stdout=io.StringIO())
    refused = ApiClient(secret).get("/api/v1/units")
    assert refused.status_code == 401
    assert refused.json()["detail"] == "Mã truy cập đã bị thu hồi."
    assert AuditEvent.objects.filter(action="token.revoked").exists()


def test_expired_wrong_and_malformed_tokens_are_401(users: Any) -> None:
    issued = create_token(actor=None, user=users["commune_officer"], name="cũ", days=1)
    AccessToken.objects.filter(pk=issued.token.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1))
    expired = ApiClient(issued.secret).get("/api/v1/units")
    assert expired.status_code == 401 and "hết hạn" in expired.json()["detail"]
    assert ApiClient(issued.secret + "x").get("/api/v1/units").status_code == 401
    basic = Client().get("/api/v1/units", headers={"Authorization": "Basic eDp5"})
    assert basic.status_code == 401
    assert basic["Content-Type"] == "application/problem+json"
    assert Client().get("/api/v1/units").status_code == 401


def test_a_token_is_limited_to_the_roles_chosen_and_held(tree: Any, users: Any) -> None:
    from ctip.accounts.actions import grant_role, revoke_role
    from ctip.accounts.capabilities import Role

    officer = users["commune_officer"]
    with pytest.raises(Exception, match="vai trò"):
        create_token(actor=None, user=officer, name="x", roles=[Role.SYSTEM_ADMIN])
    grant_role(actor=None, user=officer, role=Role.CASE_WORKER, unit=tree.commune_a)
    narrow = create_token(actor=None, user=officer, name="chỉ hỗ trợ",
                          roles=[Role.CASE_WORKER]).secret
    # the case worker role does not record activities: the token cannot either
    assert ApiClient(narrow).get("/api/v1/activities").status_code == 404
    full = create_token(actor=None, user=officer, name="đủ").secret
    assert ApiClient(full).get("/api/v1/activities").status_code == 200
    # a role revoked from the user is gone from her tokens at once
    assignment = officer.role_assignments.get(role=Role.COMMUNE_OFFICER)
    revoke_role(actor=None, assignment=assignment)
    assert ApiClient(full).get("/api/v1/activities").status_code == 404


def test_tokens_are_listed_created_and_revoked_on_the_profile(users: Any,
                                                              client_for: Any) -> None:
    from tests.outreach.test_activity_views import as_post, read_form

    client = client_for(users["commune_officer"])
    page = client.get(reverse("api_tokens:create"))
    data = as_post(read_form(page), name="Điện thoại Zalo", days="30")
    created = client.post(reverse("api_tokens:create"), data)
    assert created.status_code == 200
    token = AccessToken.objects.get()
    body = created.content.decode()
    assert f"ctip_{token.prefix}_" in body
    assert "no-store" in created.get("Cache-Control", "") or "max-age=0" in created.get(
        "Cache-Control", "")
    again = client.post(reverse("api_tokens:create"), data)  # a double click: one token
    assert again.status_code == 302 and AccessToken.objects.count() == 1
    profile = client.get(reverse("accounts:profile")).content.decode()
    assert "Điện thoại Zalo" in profile and token.prefix in profile
    secret = re.search(r"ctip_[0-9a-f]{8}_[\w-]+", body)
    assert secret is not None and secret.group(0) not in profile
    other = client_for(users["province_officer"])
    assert other.post(reverse("api_tokens:revoke", args=[token.pk])).status_code == 404
    assert client.post(reverse("api_tokens:revoke", args=[token.pk])).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_session_callers_need_the_csrf_header_for_writes(tree: Any, users: Any,
                                                         formats: Any) -> None:
    from tests.conftest import login_client

    client = login_client(users["commune_officer"])
    client.handler.enforce_csrf_checks = True
    assert client.get("/api/v1/units").status_code == 200
    body = {"uuid": "5b0c8f9e-0d7f-4c47-9d55-2f7f3c1a9b10", "unit_id": tree.commune_a.pk,
            "format_id": formats["meeting"].pk, "date": "2026-07-20", "title": "Buổi nói chuyện",
            "participants_women": 3, "participants_men": 1}
    import json

    refused = client.post("/api/v1/activities", json.dumps(body),
                          content_type="application/json")
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    client.get(reverse("accounts:profile"))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    sent = client.post("/api/v1/activities", json.dumps(body), content_type="application/json",
                       headers={"X-CSRFToken": token})
    assert sent.status_code == 201, sent.content


def test_rate_limit_per_token(users: Any, settings: Any) -> None:
    from django.core.cache import cache

    cache.clear()
    settings.CTIP_API_RATE = 3
    api = ApiClient(create_token(actor=None, user=users["viewer"], name="x").secret)
    answers = [api.get("/api/v1/units").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    other = ApiClient(create_token(actor=None, user=users["viewer"], name="y").secret)
    assert other.get("/api/v1/units").status_code == 200
    cache.clear()


def test_a_tokens_limit_holds_when_her_grants_are_read_again(tree: Any, users: Any) -> None:
    """A phone's batch reads her grants again after a unit moved (decision 0102): a token
    limited to some of her roles stays limited to them."""
    from ctip.accounts.actions import grant_role
    from ctip.accounts.capabilities import Role
    from ctip.accounts.policy import forget, grants_of
    from ctip.api.tokens import authenticate

    officer = users["commune_officer"]
    grant_role(actor=None, user=officer, role=Role.CASE_WORKER, unit=tree.commune_a)
    narrow = create_token(actor=None, user=officer, name="chỉ hỗ trợ",
                          roles=[Role.CASE_WORKER]).secret
    user = authenticate(narrow)
    assert {g.role for g in grants_of(user)} == {Role.CASE_WORKER}
    forget(user)
    assert {g.role for g in grants_of(user)} == {Role.CASE_WORKER}
