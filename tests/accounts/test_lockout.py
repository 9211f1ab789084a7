"""Sign-in lockout that cannot be used against the account's owner (issue 12, point 3).

Locks are per (account, address); refused tries never extend a lock; the account alone gets a
growing, capped delay when failures come from several addresses; administrators are told; and
failed sign-ins cannot flood the audit trail."""

from __future__ import annotations

import re
from typing import Any
from unittest import mock

from django.contrib.auth import authenticate
from django.db.models import Sum
from django.test import Client, RequestFactory
from django.urls import reverse

from ctip.accounts.lockout import AUDIT_PER_ADDRESS_PER_DAY, AUDIT_PER_DAY
from ctip.accounts.models import SignInFailure
from ctip.audit.models import AuditEvent
from ctip.cases.models import Notification
from ctip.core import request_context
from tests.accounts.test_login import travel
from tests.conftest import PASSWORD, login_client

ATTACKER = "203.0.113.66"
OFFICE = "198.51.100.10"


def sign_in(username: str, password: str, address: str, client: Client | None = None,
            **extra: str) -> Any:
    return (client or Client()).post(reverse("accounts:login"),
                                     {"username": username, "password": password},
                                     REMOTE_ADDR=address, **extra)


def same_page(response: Any) -> str:
    """The page without what differs on every response (the CSRF token, CSP nonces)."""
    body = response.content.decode()
    body = re.sub(r'"X-CSRFToken": "[^"]*"', "", body)
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body)
    return re.sub(r'nonce="[^"]*"', "", body)


def fail(username: str, address: str, times: int = 5) -> None:
    for _ in range(times):
        sign_in(username, "wrong-password-x", address)


def test_the_lock_holds_the_address_not_the_account(users: Any) -> None:
    user = users["commune_officer"]
    fail(user.username, ATTACKER)
    locked = sign_in(user.username, PASSWORD, ATTACKER)
    assert locked.status_code == 429
    assert locked.context["minutes"] == 30
    # The owner, at her office, signs in.
    assert sign_in(user.username, PASSWORD, OFFICE).status_code == 302


def test_tries_during_a_lock_do_not_extend_it(users: Any) -> None:
    user = users["commune_officer"]
    fail(user.username, ATTACKER)
    for minutes in (5, 10, 20, 29):
        with travel(minutes=minutes):
            response = sign_in(user.username, "wrong-password-x", ATTACKER)
            assert response.status_code == 429
            # The wait announced shrinks: the lock still ends 30 minutes after it began.
            assert response.context["minutes"] == 30 - minutes
    with travel(minutes=31):
        assert sign_in(user.username, PASSWORD, ATTACKER).status_code == 302


def test_one_try_every_29_minutes_does_not_keep_the_owner_out(users: Any) -> None:
    """The attack the review used: it kept the account locked for ever."""
    user = users["system_admin"]
    fail(user.username, ATTACKER)
    owner_got_in_at_office = []
    owner_got_in_from_same_address = []
    for step in range(1, 9):  # four hours
        minutes = 29 * step
        with travel(minutes=minutes):
            sign_in(user.username, "wrong-password-x", ATTACKER)
        with travel(minutes=minutes + 1):
            owner_got_in_at_office.append(
                sign_in(user.username, PASSWORD, OFFICE).status_code == 302)
        with travel(minutes=minutes + 2):
            owner_got_in_from_same_address.append(
                sign_in(user.username, PASSWORD, ATTACKER).status_code == 302)
    assert all(owner_got_in_at_office)
    # Even behind the attacker's own address she is never kept out for more than one lock.
    assert any(owner_got_in_from_same_address)


def test_the_locked_answer_does_not_tell_whether_the_account_exists(users: Any) -> None:
    fail("xa", ATTACKER)
    fail("nobody-here", ATTACKER)
    known = sign_in("xa", PASSWORD, ATTACKER)
    unknown = sign_in("nobody-here", PASSWORD, ATTACKER)
    assert known.status_code == unknown.status_code == 429
    assert same_page(known) == same_page(unknown)
    body = known.content.decode()
    # Vietnamese, how long, and whom to call.
    assert "30 phút" in body
    assert re.search(r"cán bộ quản lý tài khoản", body)


def test_failures_from_many_addresses_slow_the_account_down_with_a_cap(
        users: Any, settings: Any) -> None:
    user = users["commune_officer"]
    threshold = settings.CTIP_LOGIN_ACCOUNT_THRESHOLD
    assert threshold == 10
    fail(user.username, "203.0.113.1")
    # One address alone cannot slow the account down.
    assert sign_in(user.username, PASSWORD, OFFICE).status_code == 302
    fail(user.username, "203.0.113.1")  # refused, not counted: that pair is locked
    fail(user.username, "203.0.113.2")  # the threshold is reached: one minute for everyone
    delayed = sign_in(user.username, PASSWORD, OFFICE)
    assert delayed.status_code == 429 and delayed.context["minutes"] == 1
    with travel(minutes=1, seconds=5):
        assert sign_in(user.username, PASSWORD, OFFICE).status_code == 302
    # Her success does not help the guesser: each new failure doubles the delay ...
    waits = []
    offset = 1.2
    for n in range(3, 6):
        with travel(minutes=offset):
            sign_in(user.username, "wrong-password-x", f"203.0.113.{n}")
            waits.append(sign_in(user.username, PASSWORD, OFFICE).context["minutes"])
        offset += waits[-1] + 0.1
    assert waits == [2, 4, 8]
    # ... up to the cap, and never beyond; tries during the delay do not count.
    with travel(minutes=offset):
        fail(user.username, "203.0.113.6")
        assert sign_in(user.username, PASSWORD, OFFICE).context["minutes"] == 15
    with travel(minutes=offset + 15.1):
        assert sign_in(user.username, PASSWORD, OFFICE).status_code == 302


def test_administrators_are_told_on_their_home_page(users: Any) -> None:
    user = users["commune_officer"]
    fail(user.username, ATTACKER)
    fail(user.username, ATTACKER)  # refused tries: still one notice
    notices = Notification.objects.filter(kind=Notification.Kind.SIGN_IN)
    told = {n.user.username for n in notices}
    # Those who can reset her password, at her commune and above; not the others.
    assert {"admin", "tinh"} <= told
    assert not told & {"xa", "caobang", "hotro", "kiemtoan"}
    assert notices.filter(user=users["system_admin"]).count() == 1
    home = login_client(users["system_admin"]).get(reverse("core:home"))
    body = home.content.decode()
    assert "xa" in body and ATTACKER in body
    assert reverse("accounts:user_detail", args=[user.pk]) in body
    # Unknown usernames are in the audit trail only.
    fail("nobody-here", ATTACKER)
    assert Notification.objects.filter(kind=Notification.Kind.SIGN_IN).count() == len(told)


def test_a_flood_on_one_account_writes_two_audit_events(users: Any) -> None:
    before = AuditEvent.objects.count()
    for _ in range(60):
        sign_in("xa", "wrong-password-x", ATTACKER)
    events = AuditEvent.objects.filter(action__startswith="auth.")
    assert sorted(events.values_list("action", flat=True)) == ["auth.locked_out",
                                                               "auth.login_failed"]
    assert AuditEvent.objects.count() - before == 2
    counted = SignInFailure.objects.get(username="xa", ip_address=ATTACKER)
    assert counted.failures == 60


def test_a_thousand_failures_write_a_bounded_number_of_audit_rows(users: Any) -> None:
    """Many usernames from many addresses: the budgets hold, every failure is still counted."""
    before = AuditEvent.objects.count()
    factory = RequestFactory()
    for i in range(1000):
        # Straight to authentication (axes, the signals): the full page costs too much time.
        address = f"203.0.113.{i % 12}"
        request = factory.post(reverse("accounts:login"), REMOTE_ADDR=address)
        with request_context.bind(request_context.RequestContext(ip_address=address)):
            assert authenticate(request, username=f"guess{i % 250}", password="x") is None
    written = AuditEvent.objects.count() - before
    failed = AuditEvent.objects.filter(action="auth.login_failed").count()
    assert failed <= AUDIT_PER_DAY
    assert written <= 2 * AUDIT_PER_DAY + 12 + 1
    summaries = AuditEvent.objects.filter(action="auth.login_failed_summary")
    assert summaries.exists()
    per_address = AuditEvent.objects.filter(action="auth.login_failed").values_list(
        "ip_address", flat=True)
    for address in set(per_address):
        assert list(per_address).count(address) <= AUDIT_PER_ADDRESS_PER_DAY
    total = SignInFailure.objects.exclude(username="").aggregate(n=Sum("failures"))["n"]
    assert total == 1000


def test_the_lock_follows_the_real_client_behind_the_proxy(users: Any, settings: Any) -> None:
    settings.CTIP_TRUSTED_PROXIES = frozenset({"127.0.0.1"})
    user = users["commune_officer"]
    for _ in range(5):
        sign_in(user.username, "wrong-password-x", "127.0.0.1",
                HTTP_X_FORWARDED_FOR=f"10.0.0.1, {ATTACKER}")
    assert sign_in(user.username, PASSWORD, "127.0.0.1",
                   HTTP_X_FORWARDED_FOR=ATTACKER).status_code == 429
    # Everyone else comes through the same proxy and is not locked.
    assert sign_in(user.username, PASSWORD, "127.0.0.1",
                   HTTP_X_FORWARDED_FOR=OFFICE).status_code == 302
    event = AuditEvent.objects.get(action="auth.locked_out")
    assert event.ip_address == ATTACKER


def test_a_password_reset_lifts_every_lock(users: Any) -> None:
    from ctip.accounts.actions import reset_password

    user = users["commune_officer"]
    fail(user.username, "203.0.113.1")
    fail(user.username, "203.0.113.2")
    assert sign_in(user.username, PASSWORD, OFFICE).status_code == 429
    password = reset_password(actor=users["province_officer"], user=user)
    assert sign_in(user.username, password, "203.0.113.1").status_code == 302


def test_old_failure_counts_are_dropped(users: Any) -> None:
    sign_in("xa", "wrong-password-x", ATTACKER)
    with travel(days=91):
        sign_in("xa", "wrong-password-x", ATTACKER)
    assert SignInFailure.objects.count() == 1
    # The audit events stay: they are the evidence.
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 2


def test_administrators_are_told_even_when_the_audit_budget_is_spent(users: Any) -> None:
    from ctip.accounts import lockout

    with mock.patch.object(lockout, "AUDIT_PER_ADDRESS_PER_DAY", 0):
        fail("xa", ATTACKER)
    assert not AuditEvent.objects.filter(action="auth.locked_out").exists()
    assert AuditEvent.objects.filter(action="auth.login_failed_summary").count() == 1
    assert Notification.objects.filter(kind=Notification.Kind.SIGN_IN,
                                       user=users["system_admin"]).count() == 1
