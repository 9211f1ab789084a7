"""Signing in: Argon2 hashes, audited sign-ins and refusals, lockout, idle timeout."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import identify_hasher, make_password
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from ctip.audit.models import AuditEvent, Outcome
from tests.conftest import PASSWORD


def sign_in(client: Client, username: str, password: str, **extra: str) -> Any:
    return client.post(reverse("accounts:login"),
                       {"username": username, "password": password, **extra})


@pytest.fixture(scope="module")
def production_hashers() -> list[str]:
    """PASSWORD_HASHERS as a deployment computes them: the settings module evaluated in a fresh
    interpreter, where pytest is not loaded and CTIP_TESTING is unset."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"CTIP_TESTING", "DJANGO_SETTINGS_MODULE"}}
    env["SECRET_KEY"] = "only-for-this-check"  # noqa: S105
    code = ("import json, sys; from ctip import settings; "
            "assert 'pytest' not in sys.modules and not settings.TESTING; "
            "print(json.dumps(settings.PASSWORD_HASHERS))")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,  # noqa: S603
                            text=True, check=True, timeout=60)
    return list(json.loads(result.stdout))


def test_production_hashes_passwords_with_argon2(production_hashers: list[str]) -> None:
    assert production_hashers[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert not any("MD5" in h for h in production_hashers)
    # The test run only puts the fast MD5 hasher in front of the same list.
    assert django_settings.PASSWORD_HASHERS[1:] == production_hashers


def test_argon2_works_and_older_hashes_are_upgraded_at_sign_in(
        users: Any, production_hashers: list[str]) -> None:
    user = users["commune_officer"]
    with override_settings(PASSWORD_HASHERS=production_hashers):
        user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
        user.save(update_fields=["password"])
        assert sign_in(Client(), user.username, PASSWORD).status_code == 302
        user.refresh_from_db()
        assert identify_hasher(user.password).algorithm == "argon2"
        assert user.password.startswith("argon2$argon2id$")


def test_successful_sign_in_is_audited(users: Any, tree: Any) -> None:
    user = users["commune_officer"]
    client = Client()
    response = sign_in(client, user.username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert client.get(reverse("core:home")).status_code == 200
    (event,) = AuditEvent.objects.filter(action="auth.login")
    assert event.actor == user and event.outcome == Outcome.OK
    assert event.unit_path == tree.commune_a.path
    user.refresh_from_db()
    assert user.last_login is not None


def test_sign_in_does_not_follow_a_foreign_next(users: Any) -> None:
    response = sign_in(Client(), users["commune_officer"].username, PASSWORD,
                       next="https://evil.example/steal")
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")


def test_failed_sign_in_is_refused_and_audited(users: Any, tree: Any) -> None:
    client = Client()
    response = sign_in(client, "xa", "not-the-password")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert client.get(reverse("core:home")).status_code == 302
    (event,) = AuditEvent.objects.filter(action="auth.login_failed")
    assert event.outcome == Outcome.REFUSED
    assert event.target_label == "xa"
    assert event.actor is None
    assert event.unit_path == tree.commune_a.path
    assert "not-the-password" not in json.dumps(event.content())
    assert not AuditEvent.objects.filter(action="auth.login").exists()


def test_unknown_and_known_usernames_get_the_same_answer(users: Any) -> None:
    known = sign_in(Client(), "xa", "not-the-password")
    unknown = sign_in(Client(), "nobody-here", "not-the-password")
    assert known.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()
    event = AuditEvent.objects.get(action="auth.login_failed", target_label="nobody-here")
    assert event.unit_path == ""


def test_repeated_failures_lock_the_account_at_that_address(users: Any, settings: Any) -> None:
    user = users["commune_officer"]
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    for _ in range(limit - 1):
        assert sign_in(Client(), user.username, "wrong-password-x").status_code == 200
    assert not AuditEvent.objects.filter(action="auth.locked_out").exists()
    response = sign_in(Client(), user.username, "wrong-password-x")
    assert response.status_code == 429
    locked = AuditEvent.objects.get(action="auth.locked_out")
    assert locked.outcome == Outcome.REFUSED and locked.target_label == user.username

    # Now even the right password is refused, with the lockout page.
    client = Client()
    response = sign_in(client, user.username, PASSWORD)
    assert response.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in response.templates]
    assert response.context["minutes"] == 30
    assert client.get(reverse("core:home")).status_code == 302
    assert not AuditEvent.objects.filter(action="auth.login").exists()
    # The failures are counted; the audit trail has one event for them and one for the lock.
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 1

    # The lock holds this username at this address: a colleague behind it signs in.
    assert sign_in(Client(), users["speaker"].username, PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_cool_off(users: Any, settings: Any) -> None:
    user = users["commune_officer"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), user.username, "wrong-password-x")
    assert sign_in(Client(), user.username, PASSWORD).status_code == 429
    with travel(minutes=31):
        assert sign_in(Client(), user.username, PASSWORD).status_code == 302


def test_a_successful_sign_in_clears_earlier_failures(users: Any, settings: Any) -> None:
    user = users["commune_officer"]
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(Client(), user.username, "wrong-password-x")
    assert sign_in(Client(), user.username, PASSWORD).status_code == 302
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(Client(), user.username, "wrong-password-x")
    assert sign_in(Client(), user.username, PASSWORD).status_code == 302


def test_disabled_accounts_cannot_sign_in(users: Any) -> None:
    user = users["commune_officer"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = sign_in(Client(), user.username, PASSWORD)
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="auth.login_failed").exists()


def test_sign_out_needs_post_and_is_audited(users: Any) -> None:
    client = Client()
    sign_in(client, users["commune_officer"].username, PASSWORD)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"), follow=True)
    assert response.redirect_chain == [(reverse("accounts:login"), 302)]
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    assert 'class="message success"' in response.content.decode()
    assert AuditEvent.objects.filter(action="auth.logout",
                                     actor=users["commune_officer"]).count() == 1
    assert client.get(reverse("core:home")).status_code == 302


# --- Idle timeout ----------------------------------------------------------------------------

def test_idle_timeout_settings() -> None:
    assert django_settings.SESSION_COOKIE_AGE == 30 * 60
    # the expiry moves with the requests, but the session is written at most once a minute
    # (tests/core/test_cheap_requests.py)
    assert django_settings.SESSION_SAVE_EVERY_REQUEST is False
    assert django_settings.CTIP_SESSION_RENEW_SECONDS == 60
    # read from the shared cache, written to the database too (tests/core/test_cheap_requests.py)
    assert django_settings.SESSION_ENGINE == "ctip.core.sessions"


@contextmanager
def travel(**delta: float) -> Iterator[None]:
    """Move the server's clock forward by ``delta`` for sessions, lockouts and audit alike."""
    real_now = timezone.now
    offset = dt.timedelta(**delta)

    def later() -> dt.datetime:
        return real_now() + offset

    # django-axes imported ``now`` by name, so its copies are moved too.
    with mock.patch("django.utils.timezone.now", later), \
            mock.patch("axes.handlers.proxy.now", later), mock.patch("axes.attempts.now", later):
        yield


def test_an_active_session_stays_and_an_idle_one_ends(users: Any) -> None:
    client = Client()
    assert sign_in(client, users["commune_officer"].username, PASSWORD).status_code == 302
    home = reverse("core:home")
    assert client.get(home).status_code == 200
    # Every request pushes the expiry back: 25 + 25 + 25 minutes of steady work is fine,
    # although it is longer than the 30-minute timeout.
    for minutes in (25, 50, 75):
        with travel(minutes=minutes):
            assert client.get(home).status_code == 200, minutes
    # 31 minutes without a request after the last one: signed out.
    with travel(minutes=75 + 31):
        response = client.get(home)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert client.get(home).status_code == 302


@pytest.mark.parametrize("waiting", ["import", "export", "restructuring"])
def test_a_page_asking_for_its_progress_does_not_keep_her_signed_in(
        waiting: str, users: Any) -> None:
    """A page left open on an import, a PDF export or a restructuring asks for its progress
    every few seconds (``?poll=1``): she may have walked away from it, so its requests do not
    push the idle timeout back; a request she makes does."""
    from ctip.core.models import ImportJob
    from ctip.reports.actions import create_or_get_draft
    from ctip.reports.models import Export, ReportType
    from ctip.units.models import Restructuring

    officer = users["province_officer"]
    if waiting == "import":
        job = ImportJob.objects.create(kind="activities", owner=officer, file_name="a.xlsx",
                                       digest="0" * 64, stash_key="1" * 32,
                                       status=ImportJob.Status.RUNNING)
        url = reverse("core:import_job", args=[job.pk])
    elif waiting == "export":
        report = create_or_get_draft(actor=None, unit=officer.home_unit,
                                     report_type=ReportType.objects.order_by("pk").first(),
                                     start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 31))
        export = Export.objects.create(report=report, status=Export.Status.RUNNING)
        url = reverse("reports:export_status", args=[export.pk])
    else:
        job = Restructuring.objects.create(kind="move", owner=officer, unit=officer.home_unit,
                                           unit_name="Tỉnh", params={})
        url = reverse("org:restructuring", args=[job.pk])
    client = Client()
    assert sign_in(client, officer.username, PASSWORD).status_code == 302
    page = client.get(url).content.decode()
    assert f"{url}?poll=1" in page  # what the page asks with, every few seconds
    for minutes in (10, 20, 29):  # polled for half an hour: nobody is there
        with travel(minutes=minutes):
            assert client.get(f"{url}?poll=1", HTTP_HX_REQUEST="true").status_code == 200
    with travel(minutes=31):
        polled = client.get(f"{url}?poll=1", HTTP_HX_REQUEST="true")
        response = client.get(url)
    # the part asked for by htmx sends the whole page to sign in, not the sign-in page into
    # the part, and she comes back to the page, not to its poll
    assert polled["HX-Redirect"].startswith(reverse("accounts:login"))
    assert "poll" not in polled["HX-Redirect"] and "next=" in polled["HX-Redirect"]
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    # and a request she makes keeps her in, as before
    assert sign_in(client, officer.username, PASSWORD).status_code == 302
    with travel(minutes=20):
        client.get(url)
    with travel(minutes=45):
        assert client.get(url).status_code == 200


def test_a_session_past_its_expiry_in_the_database_is_signed_out(users: Any) -> None:
    """The row is the record: once the cache has lost its copy (a cache restarted empty), the
    row's expiry decides."""
    client = Client()
    sign_in(client, users["commune_officer"].username, PASSWORD)
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    session = Session.objects.get(session_key=key)
    assert session.expire_date - timezone.now() <= dt.timedelta(minutes=30)
    assert session.expire_date - timezone.now() > dt.timedelta(minutes=29)
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1))
    cache.clear()
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_session_cookie_is_protected(users: Any) -> None:
    client = Client()
    sign_in(client, users["commune_officer"].username, PASSWORD)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
