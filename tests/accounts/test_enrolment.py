"""Two-step enrolment needs a one-time code issued by an administrator (issue 12, point 3):
a password alone no longer lets anyone register her own authenticator."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ctip.accounts.enrolment import MAX_TRIES, issue_code
from ctip.accounts.models import EnrolmentCode, User
from ctip.audit.models import AuditEvent, Outcome
from ctip.core.codes import ALPHABET
from tests.accounts.test_otp import SETUP, code, sign_in
from tests.conftest import login_client

CODE_RE = re.compile(rf"\b[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}\b")


def test_opening_the_setup_page_creates_nothing_and_shows_no_secret(users: Any) -> None:
    user = users["case_worker"]
    client = sign_in(user)
    for _ in range(3):
        page = client.get(SETUP)
        assert page.status_code == 200
        assert "enrolment_code" in page.context["form"].fields
        assert "secret" not in page.context and "<img" not in page.content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()
    # A made-up code creates nothing either, and is audited.
    page = client.post(SETUP, {"enrolment_code": "AAAA-BBBB-CCCC"})
    assert page.status_code == 200 and page.context["form"].errors["enrolment_code"]
    assert "Hỏi cán bộ" in page.content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()
    event = AuditEvent.objects.get(action="auth.enrolment_code_failed")
    assert event.outcome == Outcome.REFUSED and event.actor == user
    # A token without the enrolment step does nothing.
    assert client.post(SETUP, {"token": "123456"}).status_code == 200
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_an_administrator_issues_a_code_shown_once_and_stored_hashed(users: Any) -> None:
    admin, target = users["system_admin"], users["case_worker"]
    client = login_client(admin)
    detail = client.get(reverse("accounts:user_detail", args=[target.pk])).content.decode()
    url = reverse("accounts:enrolment_code_issue", args=[target.pk])
    assert f'action="{url}"' in detail
    assert client.get(url).status_code == 405
    page = client.post(url)
    assert page.status_code == 200
    assert "no-cache" in page["Cache-Control"] or "no-store" in page["Cache-Control"]
    shown = CODE_RE.findall(page.content.decode())
    assert len(shown) == 1
    stored = EnrolmentCode.objects.get(user=target)
    assert shown[0] not in stored.code_hash and check_password(shown[0], stored.code_hash)
    assert stored.issued_by == admin
    assert dt.timedelta(hours=71) < stored.expires_at - stored.issued_at <= dt.timedelta(hours=72)
    event = AuditEvent.objects.get(action="user.enrolment_code_issued")
    assert event.actor == admin and event.target_id == str(target.pk)
    assert shown[0] not in str(event.content())
    # A second code replaces the first.
    again = CODE_RE.findall(client.post(url).content.decode())[0]
    victim = sign_in(target)
    assert victim.post(SETUP, {"enrolment_code": shown[0]}).context["form"].errors
    assert "secret" in victim.post(SETUP, {"enrolment_code": again}).context


def test_only_who_could_reset_the_password_may_issue_a_code(users: Any) -> None:
    target = users["case_worker"]
    url = reverse("accounts:enrolment_code_issue", args=[target.pk])
    # A commune officer at the same unit holds no identity capability: refused.
    response = login_client(users["commune_officer"]).post(url, follow=True)
    assert not EnrolmentCode.objects.exists()
    assert response.status_code in {200, 404}
    # Nobody issues her own code, and other provinces see nothing.
    assert login_client(users["other_officer"]).post(url).status_code == 404
    admin = users["system_admin"]
    login_client(admin).post(reverse("accounts:enrolment_code_issue", args=[admin.pk]))
    assert not EnrolmentCode.objects.exists()
    # Signed out: sent to the sign-in page.
    assert Client().post(url).status_code == 302


def test_the_code_works_once(users: Any) -> None:
    user = users["case_worker"]
    enrolment_code = issue_code(actor=None, user=user)
    client = sign_in(user)
    client.post(SETUP, {"enrolment_code": enrolment_code})
    device = TOTPDevice.objects.get(user=user)
    assert client.post(SETUP, {"token": code(device)}).status_code == 302
    spent = EnrolmentCode.objects.get(user=user)
    assert spent.used_at is not None
    event = AuditEvent.objects.get(action="user.otp_enabled")
    assert event.changes["enrolment_code"] == spent.pk
    # Her device is registered; a thief with the password and the old code gets nowhere.
    TOTPDevice.objects.filter(user=user).delete()
    thief = sign_in(user)
    assert thief.post(SETUP, {"enrolment_code": enrolment_code}).context["form"].errors
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_the_code_expires_and_wrong_tries_void_it(users: Any) -> None:
    user = users["case_worker"]
    enrolment_code = issue_code(actor=None, user=user)
    client = sign_in(user)
    issued = EnrolmentCode.objects.get(user=user)
    EnrolmentCode.objects.filter(pk=issued.pk).update(expires_at=timezone.now())
    assert client.post(SETUP, {"enrolment_code": enrolment_code}).context["form"].errors
    EnrolmentCode.objects.filter(pk=issued.pk).update(expires_at=issued.expires_at)
    for _ in range(MAX_TRIES):
        client.post(SETUP, {"enrolment_code": "2345-6789-ABCD"})
    assert client.post(SETUP, {"enrolment_code": enrolment_code}).context["form"].errors
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_createadmin_prints_the_first_administrators_code(tree: Any, capsys: Any) -> None:
    call_command("createadmin", username="quantri", unit_code="80")
    out = capsys.readouterr().out
    (shown,) = CODE_RE.findall(out)
    user = User.objects.get(username="quantri")
    assert check_password(shown, EnrolmentCode.objects.get(user=user).code_hash)
