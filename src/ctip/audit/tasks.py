"""The daily audit checkpoint, run by ``ctip worker`` (see ``ctip.core.scheduler``)."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone
from django_tasks import task

from ctip.audit.checkpoints import ACTION, announce, write_checkpoint
from ctip.audit.models import AuditEvent
from ctip.audit.verify import verify_chain
from ctip.core.faults import pause

logger = logging.getLogger("ctip.audit")


def run_daily_checkpoint() -> dict[str, Any]:
    """Verify the trail; when intact, write and announce a signed checkpoint, otherwise alert
    the top auditors with the problems found. Once a day: run again the same day, it does
    nothing."""
    start_of_day = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    if AuditEvent.objects.filter(action=ACTION, changes__reason="daily",
                                 occurred_at__gte=start_of_day).exists():
        # a second run the same day (its worker died after writing, core.leases): nothing to do
        return {"ok": True, "skipped": "already written today"}
    result = verify_chain()
    if not result.ok:
        logger.error("audit trail check failed: %s", "; ".join(result.problems))
        return {"ok": False, "problems": len(result.problems),
                "alerted": announce(None, result.problems)}
    checkpoint = write_checkpoint("daily")
    pause("checkpoint.after_write")
    return {"ok": True, "seq": checkpoint.seq, "count": checkpoint.count,
            "emails": announce(checkpoint)}


@task()
def write_daily_checkpoint() -> dict[str, Any]:
    return run_daily_checkpoint()
