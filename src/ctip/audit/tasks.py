"""The daily audit checkpoint, run by ``ctip worker`` (see ``ctip.core.scheduler``)."""

from __future__ import annotations

import logging
from typing import Any

from django_tasks import task

logger = logging.getLogger("ctip.audit")


def run_daily_checkpoint() -> dict[str, Any]:
    """Verify the trail; when intact, write and announce a signed checkpoint, otherwise alert
    the top auditors with the problems found."""
    from ctip.audit.checkpoints import announce, write_checkpoint
    from ctip.audit.verify import verify_chain

    result = verify_chain()
    if not result.ok:
        logger.error("audit trail check failed: %s", "; ".join(result.problems))
        return {"ok": False, "problems": len(result.problems),
                "alerted": announce(None, result.problems)}
    checkpoint = write_checkpoint("daily")
    return {"ok": True, "seq": checkpoint.seq, "count": checkpoint.count,
            "emails": announce(checkpoint)}


@task()
def write_daily_checkpoint() -> dict[str, Any]:
    return run_daily_checkpoint()
