"""Two-step sign-in (TOTP): enforced for roles that see identities, optional for everyone."""

from __future__ import annotations

import base64
import datetime as dt
import re
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ctip.accounts.enrolment import issue_code
from ctip.audit.models import AuditEvent, Outcome
from tests.conftest import PASSWORD

SETUP = "/accounts/two-step/setup/"
VERIFY = "/accounts/two-step/verify/"


def sign_in(user: Any) -> Client:
    client = Client()
    response = client.post(reverse("accounts:login"),
                           {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """What the authenticator app shows now (or ``steps_ahead`` periods later)."""
    device.refresh_from_db()
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits,
                 drift=device.drift + steps_ahead)
    return f"{value:0{device.digits}d}"


def begin(client: Client, user: Any, next_url: str = "") -> TOTPDevice:
    """Type the enrolment code an administrator issued; the app's device is created then."""
    enrolment_code = issue_code(actor=None, user=user)
    response = client.post(SETUP, {"enrolment_code": enrolment_code, "next": next_url})
    assert response.status_code == 200, response.content
    return TOTPDevice.objects.get(user=user)


def wrong(device: TOTPDevice) -> str:
    right = code(device)
    return "000000" if right != "000000" else "111111"


def past_throttle() -> Any:
    """django-otp makes the next try wait after a wrong code; step past that wait."""
    real_now = timezone.now
    return mock.patch("django.utils.timezone.now",
                      lambda: real_now() + dt.timedelta(seconds=5))


def test_setup_pages_use_the_urls_the_tests_assume() -> None:
    assert reverse("accounts:otp_setup") == SETUP
    assert reverse("accounts:otp_verify") == VERIFY


@pytest.mark.parametrize("role", ["case_worker", "system_admin"])
def test_identity_roles_must_set_up_two_step_on_every_page(users: Any, role: str) -> None:
    client = sign_in(users[role])
    for url in (reverse("core:home"), reverse("accounts:profile"), reverse("org:tree"),
                reverse("accounts:password_change"), "/accounts/users/",
                reverse("accounts:login")):
        response = client.get(url, follow=True)
        assert response.redirect_chain, url
        assert response.redirect_chain[-1][0].startswith(SETUP), url
        assert response.status_code == 200
    # No device yet: the verify page sends her to set one up.
    response = client.get(VERIFY)
    assert response.status_code == 302 and response["Location"].startswith(SETUP)
    # Switching the language and signing out are always possible.
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    response = client.post(reverse("accounts:logout"))
    assert response["Location"] == reverse("accounts:login")


def test_the_setup_redirect_keeps_where_she_was_going(users: Any) -> None:
    client = sign_in(users["case_worker"])
    response = client.get(reverse("org:tree"))
    assert response["Location"] == f"{SETUP}?next=%2Funits%2F"


@pytest.mark.parametrize("role", ["case_worker", "system_admin"])
def test_setting_up_with_a_valid_code_opens_the_application(users: Any, role: str) -> None:
    user = users[role]
    client = sign_in(user)
    enrolment_code = issue_code(actor=None, user=user)
    page = client.post(SETUP, {"enrolment_code": enrolment_code.lower(), "next": "/"})
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    body = page.content.decode()
    assert base64.b32encode(device.bin_key).decode() in body
    assert "no-store" in page["Cache-Control"]  # the secret is not kept by any cache
    response = client.post(SETUP, {"token": code(device), "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    device.refresh_from_db()
    assert device.confirmed
    home = client.get(reverse("core:home"))
    assert home.status_code == 200
    assert AuditEvent.objects.filter(action="user.otp_enabled", actor=user).count() == 1


def test_the_qr_code_is_an_inline_svg(users: Any) -> None:
    client = sign_in(users["case_worker"])
    body = client.post(SETUP, {"enrolment_code": issue_code(actor=None, user=users[
        "case_worker"])}).content.decode()
    sources = re.findall(r'<img[^>]*\ssrc="([^"]+)"', body)
    assert len(sources) == 1
    prefix = "data:image/svg+xml;base64,"
    assert sources[0].startswith(prefix)
    svg = base64.b64decode(sources[0][len(prefix):]).decode()
    assert "<svg" in svg and "<path" in svg
    # Nothing about the secret leaves the server: no external image, script or style.
    assert not re.search(r'(src|href)="(https?:)?//', body)


def test_a_wrong_code_is_refused_and_audited(users: Any) -> None:
    user = users["case_worker"]
    client = sign_in(user)
    device = begin(client, user)
    response = client.post(SETUP, {"token": wrong(device), "next": "/"})
    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    device.refresh_from_db()
    assert not device.confirmed
    event = AuditEvent.objects.get(action="auth.otp_failed")
    assert event.outcome == Outcome.REFUSED and event.actor == user
    assert client.get(reverse("core:home"))["Location"].startswith(SETUP)
    # Once the short wait after a wrong code has passed, the right code still works.
    with past_throttle():
        response = client.post(SETUP, {"token": code(device), "next": "/"})
    assert response.status_code == 302


def test_letters_are_not_a_code(users: Any) -> None:
    client = sign_in(users["case_worker"])
    begin(client, users["case_worker"])
    response = client.post(SETUP, {"token": "abcdef"})
    assert response.status_code == 200 and response.context["form"].errors["token"]


def test_next_sign_in_asks_for_a_code_and_audits_wrong_ones(users: Any) -> None:
    user = users["case_worker"]
    client = sign_in(user)
    device = begin(client, user)
    client.post(SETUP, {"token": code(device)})

    client = sign_in(user)
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fapp%2F"
    # While unverified she cannot change her password either.
    response = client.get(reverse("accounts:password_change"))
    assert response["Location"].startswith(VERIFY)

    response = client.post(VERIFY, {"token": wrong(device), "next": "/"})
    assert response.status_code == 200 and response.context["form"].errors
    failed = AuditEvent.objects.filter(action="auth.otp_failed", actor=user)
    assert failed.count() == 1 and failed.get().outcome == Outcome.REFUSED
    assert client.get(reverse("core:home")).status_code == 302

    # The code of the setup step was used already; the app's next code works.
    with past_throttle():
        response = client.post(VERIFY, {"token": code(device, steps_ahead=1), "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get(reverse("core:home")).status_code == 200
    assert AuditEvent.objects.filter(action="auth.otp_verified", actor=user).count() == 1


def test_a_used_code_cannot_be_replayed(users: Any) -> None:
    user = users["case_worker"]
    client = sign_in(user)
    device = begin(client, user)
    used = code(device)
    client.post(SETUP, {"token": used})
    client = sign_in(user)
    response = client.post(VERIFY, {"token": used, "next": "/"})
    assert response.status_code == 200
    assert client.get(reverse("core:home")).status_code == 302


def test_a_password_alone_cannot_register_another_device(users: Any) -> None:
    """Someone with the password but not the phone must not get past the second step by
    setting up their own authenticator."""
    user = users["case_worker"]
    client = sign_in(user)
    client.post(SETUP, {"token": code(begin(client, user))})

    thief = sign_in(user)
    response = thief.get(SETUP)
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    response = thief.post(SETUP, {"token": "123456", "next": "/"})
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=user).count() == 1
    assert thief.get(reverse("core:home"))["Location"].startswith(VERIFY)


def test_commune_officer_is_not_forced_but_can_turn_it_on(users: Any) -> None:
    user = users["commune_officer"]
    client = sign_in(user)
    assert client.get(reverse("core:home")).status_code == 200
    profile = client.get(reverse("accounts:profile"))
    assert profile.status_code == 200
    assert f'href="{SETUP}"' in profile.content.decode()
    assert profile.context["has_device"] is False

    page = client.get(SETUP)
    assert page.status_code == 200
    assert page.context["required"] is False
    device = begin(client, user)
    response = client.post(SETUP, {"token": code(device), "next": reverse("accounts:profile")})
    assert response["Location"] == reverse("accounts:profile")
    profile = client.get(reverse("accounts:profile"))
    assert profile.context["has_device"] is True
    assert f'href="{SETUP}"' not in profile.content.decode()
    # Visiting the setup page again does not add a second device.
    assert client.get(SETUP)["Location"] == reverse("accounts:profile")
    assert TOTPDevice.objects.filter(user=user).count() == 1

    client.post(reverse("accounts:logout"))
    client = sign_in(user)
    assert client.get(reverse("core:home"))["Location"].startswith(VERIFY)
    response = client.post(VERIFY, {"token": code(device, steps_ahead=1), "next": "/"})
    assert response.status_code == 302
    assert client.get(reverse("core:home")).status_code == 200


def test_verify_does_not_follow_a_foreign_next(users: Any) -> None:
    user = users["commune_officer"]
    client = sign_in(user)
    device = begin(client, user)
    response = client.post(SETUP, {"token": code(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"
