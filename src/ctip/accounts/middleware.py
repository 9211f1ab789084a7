"""Account safety on every request: a forced password change, and two-factor sign-in for the
roles that can see identities."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import user_has_device

from ctip.accounts.policy import has_capability

ALWAYS_ALLOWED = ("accounts:logout", "accounts:password_change", "accounts:otp_setup",
                  "accounts:otp_verify", "set_language")


def otp_required(user: object) -> bool:
    return has_capability(user, settings.CTIP_OTP_REQUIRED_CAPABILITY)


def _next(request: HttpRequest) -> str:
    return urlencode({"next": request.get_full_path()})


class AccountSecurityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not request.path.startswith(settings.STATIC_URL):
            allowed = {reverse(name) for name in ALWAYS_ALLOWED}
            if request.path not in allowed:
                if not user.is_verified():  # type: ignore[union-attr]
                    if user_has_device(user):
                        return redirect(f"{reverse('accounts:otp_verify')}?{_next(request)}")
                    if otp_required(user):
                        return redirect(f"{reverse('accounts:otp_setup')}?{_next(request)}")
                if getattr(user, "must_change_password", False):
                    return redirect(reverse("accounts:password_change"))
        return self.get_response(request)
