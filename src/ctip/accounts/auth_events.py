"""Audit events for sign-in, sign-out, failed sign-ins and lockouts.

Django and django-axes announce these through signals; this module only records them. Each event
is stamped with the home unit of the account concerned, so that auditors of that unit see it.
Failed sign-ins and lockouts are counted and aggregated by ``ctip.accounts.lockout``.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from ctip.accounts import lockout
from ctip.audit.actions import record
from ctip.core.client import client_ip


def _home_path(user: Any) -> str:
    home = getattr(user, "home_unit", None)
    return home.path if home is not None else ""


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(actor=user, action="auth.login", target=user, unit_path=_home_path(user))


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(actor=user, action="auth.logout", target=user, unit_path=_home_path(user))


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None,
                  **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    lockout.note_failure(username, client_ip(request) if request is not None else None)


@receiver(user_locked_out)
def _locked_out(sender: Any, request: Any = None, username: str | None = None,
                ip_address: str | None = None, **kwargs: Any) -> None:
    lockout.note_lockout(str(username or "")[:150], ip_address)
