"""Who is calling the API, what she may do, and how often.

Every operation names the capabilities it needs with ``needs("activity.view")`` (its ``auth``):

- a personal access token (``Authorization: Bearer ctip_…``, ``api.tokens``), the user's grants
  narrowed to the token's roles; or the site's own session, with Django's CSRF check on every
  unsafe method (the ``X-CSRFToken`` header), so a page's script or a service worker can call
  the API as the signed-in officer;
- then the capability somewhere, as ``accounts.access.requires`` does for pages: a missing one
  is ``NotInScope`` → 404 and a refusal event; object scope is the selectors' business;
- then the rate limit: ``settings.CTIP_API_RATE`` requests a minute per token (per user for
  sessions), 429 with ``Retry-After`` beyond.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer
from ninja.utils import check_csrf

from ctip.accounts.policy import NotInScope, has_capability
from ctip.api import tokens
from ctip.api.errors import Problem
from ctip.core.ratelimit import Limit

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class ApiRequest(HttpRequest):
    """A request past ``Needs``: ``auth`` is the user the token or the session stands for."""

    auth: Any
DEFAULT_RATE = 600  # requests a minute


def rate_limit(key: str) -> None:
    limit = getattr(settings, "CTIP_API_RATE", DEFAULT_RATE)
    retry = Limit("api-rate", limit, 60).spend(key)
    if retry:
        raise Problem(429, "rate-limited", _("Too many requests: wait a minute and try again."),
                      _("At most %(n)d requests a minute per token.") % {"n": limit},
                      headers={"Retry-After": str(retry)})


class Needs(HttpBearer):
    """Token or session, then one of ``capabilities`` somewhere ("signed_in": none needed)."""

    def __init__(self, *capabilities: str) -> None:
        super().__init__()
        self.capabilities = capabilities

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _sep, raw = header.partition(" ")
            if scheme.lower() != "bearer" or not raw:
                raise Problem(401, "unauthenticated", _("Use “Authorization: Bearer <token>”."),
                              headers={"WWW-Authenticate": 'Bearer realm="ctip"'})
            return self.authenticate(request, raw)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            raise AuthenticationError
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise Problem(403, "csrf", _("The CSRF check failed: send the X-CSRFToken header "
                                         "with the csrftoken cookie's value."))
        rate_limit(f"user:{user.pk}")
        return self._check(request, user)

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        try:
            user = tokens.authenticate(token)
        except tokens.TokenRefused as exc:
            raise Problem(401, "token-refused", exc.message,
                          headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
                          ) from None
        rate_limit(f"token:{user._ctip_token.pk}")
        request.user = user
        return self._check(request, user)

    def _check(self, request: HttpRequest, user: Any) -> Any:
        if self.capabilities != ("signed_in",) and not any(
                has_capability(user, c) for c in self.capabilities):
            raise NotInScope(f"missing capability {' or '.join(self.capabilities)}")
        return user


def needs(*capabilities: str) -> Needs:
    return Needs(*capabilities)
