"""Account safety on every request: two-factor sign-in for the roles that can see identities
(and for everyone who turned it on), then a forced password change after an administrator set
the password.

Until the second step is done, only signing out, switching the language and the two-step pages
themselves are reachable; the password change page is not, so that a stolen password alone cannot
be used to take over an account.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import get_script_prefix, reverse
from django.utils.functional import LazyObject, empty
from django.utils.http import urlencode
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware as DjangoOTPMiddleware

from ctip.accounts.policy import has_capability
from ctip.accounts.principal import DEVICES_ATTR, has_device, session_device

OTP_EXEMPT = ("accounts:logout", "accounts:otp_setup", "accounts:otp_verify", "set_language")
PASSWORD_CHANGE_EXEMPT = (*OTP_EXEMPT, "accounts:password_change")


def resolved(user: Any) -> Any:
    """The user behind Django's lazy ``request.user``, read now. The same object the lazy one
    would give on every use, without the wrapper's cost on each of the hundred or so times a
    page reads her (decision 0071). Unwrapped to the end: django-otp's lazy user wraps the
    authentication middleware's, and gives it back as it is."""
    while isinstance(user, LazyObject):
        if user._wrapped is empty:  # noqa: SLF001  (Django's lazy object has no public door)
            user._setup()  # noqa: SLF001
        user = user._wrapped  # noqa: SLF001
    return user


def otp_required(user: object) -> bool:
    return has_capability(user, settings.CTIP_OTP_REQUIRED_CAPABILITY)


def _next(request: HttpRequest) -> str:
    return urlencode({"next": request.get_full_path()})


@cache
def _paths_under(names: tuple[str, ...], prefix: str) -> frozenset[str]:
    return frozenset(reverse(name) for name in names)


def _paths(names: tuple[str, ...]) -> frozenset[str]:
    """The addresses of these pages (reversed once per script prefix, not on every request)."""
    return _paths_under(names, get_script_prefix())


class OTPMiddleware(DjangoOTPMiddleware):  # type: ignore[misc]  # django-otp has no hints
    """django-otp's middleware, the session's device taken from the signed-in user's snapshot
    (``ctip.accounts.principal``) instead of a query; the same checks: the device must be the
    user's and confirmed, and a session naming another forgets it."""

    def _verify_user_sync(self, request: HttpRequest, user: Any) -> Any:
        if not user.is_authenticated or not hasattr(user, DEVICES_ATTR):
            return super()._verify_user_sync(request, user)
        self._init_user_fields(user)
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        device = (session_device(user, self._normalize_persistent_id(persistent_id))
                  if persistent_id else None)
        user.otp_device = self._finalize_device(request, user, device)
        return user


class AccountSecurityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user = resolved(request.user)
        if user.is_authenticated and not request.path.startswith(settings.STATIC_URL):
            if not user.is_verified() and request.path not in _paths(OTP_EXEMPT):
                if has_device(user):
                    return redirect(f"{reverse('accounts:otp_verify')}?{_next(request)}")
                if otp_required(user):
                    return redirect(f"{reverse('accounts:otp_setup')}?{_next(request)}")
            if (getattr(user, "must_change_password", False)
                    and request.path not in _paths(PASSWORD_CHANGE_EXEMPT)):
                return redirect(reverse("accounts:password_change"))
        return self.get_response(request)
