"""Account safety on every request: two-factor sign-in for the roles that can see identities
(and for everyone who turned it on), then a forced password change after an administrator set
the password.

Until the second step is done, only signing out, switching the language and the two-step pages
themselves are reachable; the password change page is not, so that a stolen password alone cannot
be used to take over an account.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import user_has_device

from ctip.accounts.policy import has_capability

OTP_EXEMPT = ("accounts:logout", "accounts:otp_setup", "accounts:otp_verify", "set_language")
PASSWORD_CHANGE_EXEMPT = (*OTP_EXEMPT, "accounts:password_change")


def otp_required(user: object) -> bool:
    return has_capability(user, settings.CTIP_OTP_REQUIRED_CAPABILITY)


def _next(request: HttpRequest) -> str:
    return urlencode({"next": request.get_full_path()})


def _paths(names: tuple[str, ...]) -> set[str]:
    return {reverse(name) for name in names}


class AccountSecurityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not request.path.startswith(settings.STATIC_URL):
            if not user.is_verified() and request.path not in _paths(OTP_EXEMPT):
                if user_has_device(user):
                    return redirect(f"{reverse('accounts:otp_verify')}?{_next(request)}")
                if otp_required(user):
                    return redirect(f"{reverse('accounts:otp_setup')}?{_next(request)}")
            if (getattr(user, "must_change_password", False)
                    and request.path not in _paths(PASSWORD_CHANGE_EXEMPT)):
                return redirect(reverse("accounts:password_change"))
        return self.get_response(request)
