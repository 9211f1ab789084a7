"""Creating, checking and revoking personal access tokens.

A token reads ``ctip_<prefix>_<secret>``. ``authenticate`` finds it by its hash, refuses it when
expired, revoked or belonging to an inactive user, and narrows the user's grants to the token's
roles for the length of the request (``accounts.policy`` then decides everything as for the
pages). A use is recorded in the audit trail at most once an hour per token (``USE_EVENT_EVERY``)
so that a phone syncing every minute does not flood the chain; ``last_used_at`` is exact to that.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ctip.accounts.capabilities import Role
from ctip.accounts.policy import forget, grants_of
from ctip.api.models import AccessToken
from ctip.audit.actions import record
from ctip.core.errors import ActionError
from ctip.core.text import nfc

DEFAULT_DAYS = 90
MAX_DAYS = 365
MAX_PER_USER = 20
USE_EVENT_EVERY = dt.timedelta(hours=1)
PREFIX_CHARS = 8


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Issued:
    token: AccessToken
    secret: str  # shown once, never stored


def _home_path(user: Any) -> str:
    home = getattr(user, "home_unit", None)
    return home.path if home is not None else ""


def held_roles(user: Any) -> list[str]:
    return sorted({g.role for g in grants_of(user)})


@transaction.atomic
def create_token(*, actor: Any, user: Any, name: str, days: int = DEFAULT_DAYS,
                 roles: list[str] | None = None) -> Issued:
    """A new token for ``user`` (``actor`` is the user herself, or None for ``ctip tokens``)."""
    if actor is not None and actor.pk != user.pk:
        raise ActionError(_("You can create tokens only for yourself."))
    name = " ".join(nfc(name or "").split())
    if not name:
        raise ActionError(_("Name the device the token is for."), field="name")
    if len(name) > 100:
        raise ActionError(_("The device name can have at most 100 characters."), field="name")
    if not 1 <= days <= MAX_DAYS:
        raise ActionError(_("A token lasts from 1 to %(n)d days.") % {"n": MAX_DAYS},
                          field="days")
    if not user.is_active:
        raise ActionError(_("The account is deactivated."))
    roles = sorted(set(roles or []))
    unknown = [r for r in roles if r not in Role.values]
    if unknown:
        raise ActionError(_("Unknown role: %(role)s.") % {"role": ", ".join(unknown)},
                          field="roles")
    held = held_roles(user)
    if not held:
        raise ActionError(_("The account holds no role: a token would open nothing."))
    if any(r not in held for r in roles):
        raise ActionError(_("A token can carry only roles the account holds."), field="roles")
    if AccessToken.objects.usable().filter(user=user).count() >= MAX_PER_USER:
        raise ActionError(_("At most %(n)d tokens can be valid at once: revoke one first.")
                          % {"n": MAX_PER_USER})
    prefix = secrets.token_hex(PREFIX_CHARS // 2)
    while AccessToken.objects.filter(prefix=prefix).exists():  # 2^32: practically never
        prefix = secrets.token_hex(PREFIX_CHARS // 2)
    secret = f"ctip_{prefix}_{secrets.token_urlsafe(32)}"
    token = AccessToken.objects.create(
        user=user, name=name, prefix=prefix, digest=digest(secret), roles=roles,
        expires_at=timezone.now() + dt.timedelta(days=days))
    record(actor=actor if actor is not None else "ctip tokens", action="token.created",
           target=token, unit_path=_home_path(user),
           changes={"user": user.get_username(), "name": name, "roles": roles or "all",
                    "expires_at": token.expires_at.isoformat()})
    return Issued(token, secret)


@transaction.atomic
def revoke_token(*, actor: Any, token: AccessToken) -> AccessToken:
    token = AccessToken.objects.select_for_update().get(pk=token.pk)
    if actor is not None and actor.pk != token.user_id:
        raise ActionError(_("You can revoke only your own tokens."))
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.revoked_by = actor if actor is not None else None
    token.save(update_fields=["revoked_at", "revoked_by"])
    record(actor=actor if actor is not None else "ctip tokens", action="token.revoked",
           target=token, unit_path=_home_path(token.user),
           changes={"user": token.user.get_username(), "name": token.name})
    return token


class TokenRefused(Exception):  # noqa: N818  (a refusal with a reason for the client)
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def authenticate(raw: str) -> Any:
    """The user a token stands for, with her grants narrowed to the token's roles; raises
    ``TokenRefused`` with the reason in Vietnamese."""
    raw = raw.strip()
    if not raw.startswith("ctip_") or len(raw) > 200:
        raise TokenRefused(_("The access token is not valid."))
    token = (AccessToken.objects.select_related("user", "user__home_unit")
             .filter(digest=digest(raw)).first())
    if token is None:
        raise TokenRefused(_("The access token is not valid."))
    if token.revoked_at is not None:
        raise TokenRefused(_("The access token has been revoked."))
    now = timezone.now()
    if token.expires_at <= now:
        raise TokenRefused(_("The access token has expired: create a new one on your "
                             "profile page."))
    user: Any = token.user
    if not user.is_active:
        raise TokenRefused(_("The account is deactivated."))
    user._ctip_token = token  # ``grants_of`` keeps to the token's roles
    forget(user)
    if token.last_used_at is None or now - token.last_used_at >= USE_EVENT_EVERY:
        with transaction.atomic():
            token.last_used_at = now
            token.save(update_fields=["last_used_at"])
            record(actor=user, action="token.used", target=token, unit_path=_home_path(user),
                   changes={"name": token.name})
    return user
