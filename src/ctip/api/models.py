"""Personal access tokens for the API: one per named device, stored hashed, expiring,
revocable, never more than the user's own roles."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AccessTokenQuerySet(models.QuerySet["AccessToken"]):
    def usable(self) -> AccessTokenQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class AccessToken(models.Model):
    """The token itself is shown once; only its SHA-256 is kept (it is 256 random bits, so a
    plain hash is enough, and it does not depend on the secret key). ``prefix`` (the first
    characters, shown in lists) lets a person recognise a token without it being usable."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="access_tokens")
    name = models.CharField(_("device"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    # The roles the token carries; empty: all the user's roles. Whatever is listed, the token
    # never carries a role the user no longer holds (it is checked on every request).
    roles = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    objects = AccessTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("access token")
        verbose_name_plural = _("access tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return usable(self.revoked_at, self.expires_at, timezone.now())


def usable(revoked_at: datetime.datetime | None, expires_at: datetime.datetime,
           now: datetime.datetime) -> bool:
    """Whether a token so revoked and expiring can be used at ``now`` (also for plain rows)."""
    return revoked_at is None and expires_at > now
