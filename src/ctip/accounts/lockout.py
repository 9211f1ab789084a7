"""Sign-in lockout that cannot be turned against the account's owner.

- **The pair (account, address) is locked**, not the account: after ``AXES_FAILURE_LIMIT``
  failures for one username from one client address, that address may not try that username
  for ``AXES_COOLOFF_TIME`` hours. The owner signing in from another address is not blocked.
- **A running lock is never extended**: attempts refused during a lock are not counted
  (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False``), so the lock ends at the time
  announced when it began.
- **The account alone gets a growing delay** when failures come from several addresses (a
  password guessed from many machines): once the failures for the username within the cool-off
  window reach ``CTIP_LOGIN_ACCOUNT_THRESHOLD``, each further failure makes every address wait
  ``CTIP_LOGIN_ACCOUNT_DELAY_MINUTES`` x 2^n minutes, at most
  ``CTIP_LOGIN_ACCOUNT_DELAY_CAP_MINUTES``.
  One address alone can never reach the threshold, because its own pair lock stops counting.
- **Failed sign-ins are counted, not each written to the audit trail** (``SignInFailure``): one
  event per (username, address, hour), one when the pair is locked, within a daily budget per
  address and overall; a summary event when a budget is spent.
- **Administrators are told**: when a pair is locked for an existing account, those who hold
  ``user.manage`` over the account's home unit get a notification on their home page (once a
  day per account).

The client address is ``ctip.core.client.client_ip`` here as everywhere
(``AXES_CLIENT_IP_CALLABLE``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Sum
from django.utils import timezone

from ctip.accounts.models import SignInFailure, User
from ctip.accounts.signals import sign_in_locked
from ctip.audit.actions import record_refusal

# Daily budgets of individual audit events for failed sign-ins.
AUDIT_PER_ADDRESS_PER_DAY = 20
AUDIT_PER_DAY = 200
# The counts are operational data (the audit events are the evidence): kept this long.
KEEP_COUNTS = dt.timedelta(days=90)


def _cool_off() -> dt.timedelta:
    return dt.timedelta(hours=float(settings.AXES_COOLOFF_TIME))


def _recent(username: str) -> Any:
    return AccessAttempt.objects.filter(username=username,
                                        attempt_time__gte=timezone.now() - _cool_off())


def pair_locked_until(username: str, ip_address: str | None) -> dt.datetime | None:
    """When the lock of (username, address) ends, if that pair reached the failure limit."""
    found = _recent(username).filter(ip_address=ip_address).aggregate(
        total=Sum("failures_since_start"), last=Max("attempt_time"))
    if (found["total"] or 0) >= settings.AXES_FAILURE_LIMIT and found["last"] is not None:
        return found["last"] + _cool_off()  # type: ignore[no-any-return]
    return None


def account_delayed_until(username: str) -> dt.datetime | None:
    """When the account's growing delay ends, if failures from all addresses reached the
    threshold within the cool-off window."""
    found = _recent(username).aggregate(total=Sum("failures_since_start"),
                                        last=Max("attempt_time"))
    over = (found["total"] or 0) - settings.CTIP_LOGIN_ACCOUNT_THRESHOLD
    if over < 0 or found["last"] is None:
        return None
    cap = dt.timedelta(minutes=settings.CTIP_LOGIN_ACCOUNT_DELAY_CAP_MINUTES)
    delay = dt.timedelta(minutes=settings.CTIP_LOGIN_ACCOUNT_DELAY_MINUTES) * (2 ** min(over, 16))
    return found["last"] + min(delay, cap)  # type: ignore[no-any-return]


def locked_until(username: str, ip_address: str | None) -> dt.datetime | None:
    """When this address may try this username again, or None if it may now."""
    now = timezone.now()
    ends = [t for t in (pair_locked_until(username, ip_address),
                        account_delayed_until(username)) if t is not None and t > now]
    return max(ends) if ends else None


class LockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler, plus the account's growing delay (``AXES_HANDLER``)."""

    def is_locked(self, request: Any, credentials: dict[str, Any] | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        username = get_client_username(request, credentials)
        if not username:
            return False
        until = account_delayed_until(str(username))
        return until is not None and until > timezone.now()


# --- Failed sign-ins: counted, audited within budgets ---------------------------------------

def _window(now: dt.datetime) -> dt.datetime:
    return now.replace(minute=0, second=0, microsecond=0)


def day_start(now: dt.datetime) -> dt.datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _home_path_of(username: str) -> str:
    user = User.objects.filter(username=username).select_related("home_unit").first()
    return user.home_unit.path if user is not None and user.home_unit is not None else ""


def _count(username: str, ip_address: str, now: dt.datetime) -> tuple[SignInFailure, bool]:
    with transaction.atomic():
        row, created = SignInFailure.objects.get_or_create(
            username=username, ip_address=ip_address, window_start=_window(now),
            defaults={"first_at": now, "last_at": now})
        SignInFailure.objects.filter(pk=row.pk).update(failures=F("failures") + 1, last_at=now)
    return row, created


def _within_budget(ip_address: str, now: dt.datetime) -> tuple[bool, str | None]:
    """Whether one more individual event fits today's budgets; else which budget is spent
    (the address, or "" for the overall one)."""
    today = SignInFailure.objects.filter(window_start__gte=day_start(now), audited=True)
    if today.count() >= AUDIT_PER_DAY:
        return False, ""
    if today.filter(ip_address=ip_address).count() >= AUDIT_PER_ADDRESS_PER_DAY:
        return False, ip_address
    return True, None


def _summary(spent: str, now: dt.datetime) -> None:
    """Count a failure beyond a budget; the first one of the day writes the summary event."""
    day = day_start(now)
    with transaction.atomic():
        row, created = SignInFailure.objects.get_or_create(
            username="", ip_address=spent, window_start=day,
            defaults={"first_at": now, "last_at": now})
        SignInFailure.objects.filter(pk=row.pk).update(failures=F("failures") + 1, last_at=now)
    if created:
        record_refusal(actor=None, action="auth.login_failed_summary",
                       target_label=spent or "*",
                       changes={"address": spent or "*", "day": day.date().isoformat(),
                                "budget": AUDIT_PER_ADDRESS_PER_DAY if spent else AUDIT_PER_DAY,
                                "counted_in": "accounts.SignInFailure"})


def note_failure(username: str, ip_address: str | None) -> None:
    """Count one failed sign-in; write its audit event when it is the first of its
    (username, address, hour) and today's budgets allow."""
    now = timezone.now()
    address = ip_address or ""
    row, created = _count(username, address, now)
    if not created:
        return
    SignInFailure.objects.filter(window_start__lt=now - KEEP_COUNTS).delete()
    fits, spent = _within_budget(address, now)
    if not fits:
        _summary(spent or "", now)
        return
    SignInFailure.objects.filter(pk=row.pk).update(audited=True)
    record_refusal(actor=None, action="auth.login_failed", target_label=username,
                   unit_path=_home_path_of(username), changes={"window": row.window_start})


def note_lockout(username: str, ip_address: str | None) -> None:
    """The pair (username, address) is locked: record it once and tell the administrators."""
    now = timezone.now()
    address = ip_address or ""
    with transaction.atomic():
        row = (SignInFailure.objects.select_for_update()
               .filter(username=username, ip_address=address, window_start=_window(now))
               .first())
        if row is None or row.lock_recorded:
            return
        row.lock_recorded = True
        row.save(update_fields=["lock_recorded"])
    until = locked_until(username, ip_address)
    if row.audited:  # within today's budget (see ``note_failure``)
        record_refusal(actor=None, action="auth.locked_out", target_label=username,
                       unit_path=_home_path_of(username),
                       changes={"until": until, "address": address})
    # The notices do not depend on the audit budget: an attack that spends it is when they
    # matter most (they are bounded by one a day per account and administrator).
    sign_in_locked.send(sender=User, username=username, address=address, until=until)
