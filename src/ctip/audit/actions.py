"""Writing audit events. Every action calls ``record`` inside its own transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from ctip.audit.keys import load_keys
from ctip.audit.models import AuditEvent, ChainHead, Outcome
from ctip.core import request_context


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return {"id": value.pk, "label": str(value)}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    target_label: str | None = None,
    unit_path: str = "",
    changes: dict[str, Any] | None = None,
    outcome: str = Outcome.OK,
) -> AuditEvent:
    """Append an event to the chain, in the caller's transaction."""
    ctx = request_context.current()
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    ring = load_keys()
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
        event = AuditEvent(
            occurred_at=timezone.now(),
            actor=actor_obj,
            actor_label=actor_obj.get_username() if actor_obj else (str(actor) if actor else ""),
            action=action,
            outcome=outcome,
            target_type=target._meta.label_lower if target is not None else "",
            target_id=str(target.pk) if target is not None and target.pk is not None else "",
            target_label=(target_label if target_label is not None else str(target or ""))[:255],
            unit_path=unit_path,
            changes=_jsonable(changes or {}),
            ip_address=ctx.ip_address,
            via=ctx.via,
            prev_hash=head.last_hash,
            key_id=ring.current,
        )
        event.hash = event.compute_hash(ring.keys[ring.current])
        event.save(force_insert=True)
        head.last_hash = event.hash
        head.count += 1
        head.save(update_fields=["last_hash", "count"])
    return event


def record_refusal(*, actor: Any, action: str, target_label: str = "",
                   unit_path: str = "", changes: dict[str, Any] | None = None) -> AuditEvent:
    """Record a refused attempt. Written in its own transaction so it survives a rollback."""
    with transaction.atomic(durable=not transaction.get_connection().in_atomic_block):
        return record(
            actor=actor,
            action=action,
            target_label=target_label,
            unit_path=unit_path,
            changes=changes,
            outcome=Outcome.REFUSED,
        )
