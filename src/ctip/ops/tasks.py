"""Background work of the operations (django-tasks), run by ``ctip worker``.

- ``scheduled_backup``: the daily backup with retention (``ctip.ops.operations``), queued by
  the scheduler's ``core.backup`` job (``ctip.core.scheduler.JOBS``).
"""

from __future__ import annotations

from typing import Any

from django_tasks import task

from ctip.ops.operations import run_scheduled_backup


@task()
def scheduled_backup() -> dict[str, Any]:
    return run_scheduled_backup()
