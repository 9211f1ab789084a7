"""Periodic jobs run by ``ctip worker``: no cron to set up.

A job names a django-tasks task by dotted path and when it is due (every N minutes, or daily
at a local time). The worker's scheduler thread wakes every ``TICK`` seconds, and for each due
job records the run and enqueues the task, inside one transaction that locks the job's row, so
two workers never enqueue the same run twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from ctip.core.models import ScheduledRun

logger = logging.getLogger("ctip.scheduler")
TICK = 30


@dataclass(frozen=True)
class Job:
    name: str
    task: str  # dotted path of a django-tasks task
    every: dt.timedelta | None = None
    daily_at: dt.time | None = None

    def due(self, last: dt.datetime | None, now: dt.datetime) -> bool:
        if self.every is not None:
            return last is None or now - last >= self.every
        assert self.daily_at is not None  # noqa: S101
        local = timezone.localtime(now)
        today_at = local.replace(hour=self.daily_at.hour, minute=self.daily_at.minute,
                                 second=0, microsecond=0)
        if local < today_at:
            return False
        return last is None or timezone.localtime(last) < today_at


def _backup_time() -> dt.time:
    from django.conf import settings

    try:
        hour, minute = (int(part) for part in str(settings.CTIP_BACKUP_AT).split(":"))
        return dt.time(hour, minute)
    except (ValueError, TypeError):
        logger.warning("CTIP_BACKUP_AT=%r is not HH:MM; backing up at 02:30",
                       settings.CTIP_BACKUP_AT)
        return dt.time(2, 30)


JOBS: list[Job] = [
    Job("portal.publish_scheduled", "ctip.portal.tasks.publish_scheduled",
        every=dt.timedelta(minutes=1)),
    Job("cases.daily_digest", "ctip.cases.tasks.send_daily_digest", daily_at=dt.time(7, 0)),
    Job("reports.reminders", "ctip.reports.tasks.send_report_reminders", daily_at=dt.time(8, 0)),
    Job("audit.daily_checkpoint", "ctip.audit.tasks.write_daily_checkpoint",
        daily_at=dt.time(2, 0)),
    Job("reports.compact_rollups", "ctip.reports.tasks.compact_rollups",
        every=dt.timedelta(minutes=10)),
    # identities wiped CTIP_ANONYMISE_AFTER_YEARS after every case of the person closed
    Job("cases.anonymise_due", "ctip.cases.tasks.anonymise_due", daily_at=dt.time(3, 0)),
    # off (the task returns at once) while CTIP_BACKUP_DIR is unset
    Job("core.backup", "ctip.core.tasks.scheduled_backup", daily_at=_backup_time()),
]


def run_due_jobs(now: dt.datetime | None = None, jobs: list[Job] | None = None) -> list[str]:
    """Enqueue every due job once; return the names enqueued."""
    now = now or timezone.now()
    enqueued = []
    for job in jobs if jobs is not None else JOBS:
        with transaction.atomic():
            row, _created = ScheduledRun.objects.select_for_update().get_or_create(
                name=job.name, defaults={"last_run_at": now - dt.timedelta(days=3650)})
            last = None if _created else row.last_run_at
            if not job.due(last, now):
                continue
            try:
                task = import_string(job.task)
            except ImportError:
                logger.warning("scheduled job %s: task %s not found", job.name, job.task)
                continue
            row.last_run_at = now
            row.save(update_fields=["last_run_at"])
            transaction.on_commit(task.enqueue)
            enqueued.append(job.name)
    return enqueued


def start_in_background(stop: threading.Event) -> threading.Thread:
    def loop() -> None:
        while not stop.is_set():
            try:
                names = run_due_jobs()
                if names:
                    logger.info("enqueued %s", ", ".join(names))
            except Exception:  # a bad tick must not kill the worker
                logger.exception("scheduler tick failed")
            stop.wait(TICK)

    thread = threading.Thread(target=loop, name="ctip-scheduler", daemon=True)
    thread.start()
    return thread
