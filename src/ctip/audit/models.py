"""Append-only audit events, chained by a keyed hash.

Each event stores an HMAC-SHA256 of its own content and of the hash of the event before it, under
a key kept outside the database (``ctip.audit.keys``; the event names the key's id), so an
edited, inserted or deleted event breaks the chain (``ctip audit verify``) and someone without
the key cannot recompute the hashes after it. Signed checkpoints outside the database
(``ctip.audit.checkpoints``) catch the newest events being cut off. Database triggers (see the
migration) refuse UPDATE and DELETE on the table; the application has no path for either.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ctip.audit.keys import load_keys
from ctip.org.paths import TreePathField

GENESIS_HASH = "0" * 64


class Outcome(models.TextChoices):
    OK = "ok", _("done")
    REFUSED = "refused", _("refused")


class AuditEvent(models.Model):
    occurred_at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("actor"),
        db_constraint=False,
    )
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.OK
    )
    target_type = models.CharField(_("object type"), max_length=80, blank=True)
    target_id = models.CharField(_("object id"), max_length=64, blank=True)
    target_label = models.CharField(_("object"), max_length=255, blank=True)
    unit_path = TreePathField(_("unit path"), blank=True, place="then")
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    via = models.CharField(_("channel"), max_length=20, blank=True)
    prev_hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=32, blank=True, default="")
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action} {self.target_label}"

    def content(self) -> dict[str, Any]:
        return event_content(self)

    def payload(self) -> str:
        return event_payload(self)

    def compute_hash(self, key: bytes | None = None) -> str:
        """The event's keyed hash under ``key`` (by default the key named by ``key_id``)."""
        if key is None:
            found = load_keys().key(self.key_id)
            if found is None:
                raise LookupError(f"unknown audit key {self.key_id!r}")
            key = found
        return keyed_hash(self, key)


# Functions rather than methods only, so that migrations can apply them to historical models.
def event_content(event: Any) -> dict[str, Any]:
    return {
        "occurred_at": event.occurred_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "outcome": event.outcome,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "unit_path": event.unit_path,
        "changes": event.changes,
        "ip_address": event.ip_address,
        "via": event.via,
    }


def event_payload(event: Any) -> str:
    return json.dumps(event_content(event), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"), default=str)


def keyed_hash(event: Any, key: bytes) -> str:
    """HMAC-SHA256 over the previous hash, the key id and the canonical content."""
    message = f"{event.prev_hash}|{event.key_id}|{event_payload(event)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def legacy_hash(event: Any) -> str:
    """The unkeyed SHA-256 of events written before decision 0023 (checked before re-chaining)."""
    return hashlib.sha256(f"{event.prev_hash}|{event_payload(event)}".encode()).hexdigest()


class ChainHead(models.Model):
    """One row holding the newest hash; locking it serialises writers of the chain."""

    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.count} events, last {self.last_hash[:12]}"
