"""Periodic jobs run by ``ctip worker``: no cron to set up.

A job names a django-tasks task by dotted path and when it is due (every N minutes, or daily
at a local time). The worker's scheduler thread wakes every ``TICK`` seconds, and for each due
job records the run and enqueues the task, inside one transaction that locks the job's row, so
two workers never enqueue the same run twice.

A job that keeps reads fast (``in_web``: the roll-ups' compaction) is also run by the web
process when no worker runs it (``ctip serve`` alone, or no task queue at all): after a
response, at most once every ``CTIP_WEB_JOBS_SECONDS`` per process (``after_request``),
claimed on the same row, so web processes and workers together still run each run once.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from ctip.core import health
from ctip.core.models import ScheduledRun

logger = logging.getLogger("ctip.scheduler")
TICK = 30


@dataclass(frozen=True)
class Job:
    name: str
    task: str  # dotted path of a django-tasks task
    every: dt.timedelta | None = None
    daily_at: dt.time | None = None
    #: A plain function (dotted path) the web process runs itself when no worker does.
    in_web: str | None = None

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
        every=dt.timedelta(minutes=10), in_web="ctip.reports.rollups.compact"),
    # identities wiped CTIP_ANONYMISE_AFTER_YEARS after every case of the person closed
    Job("cases.anonymise_due", "ctip.cases.tasks.anonymise_due", daily_at=dt.time(3, 0)),
    # off (the task returns at once) while CTIP_BACKUP_DIR is unset
    Job("core.backup", "ctip.ops.tasks.scheduled_backup", daily_at=_backup_time()),
]


def run_due_jobs(now: dt.datetime | None = None, jobs: list[Job] | None = None) -> list[str]:
    """Enqueue every due job once; return the names enqueued."""
    now = now or timezone.now()
    enqueued = []
    for job in jobs if jobs is not None else JOBS:
        with transaction.atomic():
            task = _claim(job, job.task, now)
            if task is not None:
                transaction.on_commit(task.enqueue)
                enqueued.append(job.name)
    return enqueued


def _claim(job: Job, target: str, now: dt.datetime) -> Any:
    """In the caller's transaction: when ``job`` is due, record this run (its row locked) and
    return ``target`` imported; ``None`` when not due or not found."""
    row, _created = ScheduledRun.objects.select_for_update().get_or_create(
        name=job.name, defaults={"last_run_at": now - dt.timedelta(days=3650)})
    last = None if _created else row.last_run_at
    if not job.due(last, now):
        return None
    try:
        found = import_string(target)
    except ImportError:
        logger.warning("scheduled job %s: %s not found", job.name, target)
        return None
    row.last_run_at = now
    row.save(update_fields=["last_run_at"])
    return found


def run_in_web(now: dt.datetime | None = None, jobs: list[Job] | None = None) -> list[str]:
    """Run the due ``in_web`` jobs here when no worker runs the scheduler: tasks run without a
    queue (no worker at all), or the worker's heartbeat is older than the health limit.
    Return the names run."""
    now = now or timezone.now()
    if health.uses_queue():
        beat = (ScheduledRun.objects.filter(name=health.HEARTBEAT)
                .values_list("last_run_at", flat=True).first())
        limit = dt.timedelta(seconds=settings.CTIP_HEALTH_WORKER_SECONDS)
        if beat is not None and now - beat <= limit:
            return []
    done = []
    for job in jobs if jobs is not None else JOBS:
        if job.in_web is None:
            continue
        with transaction.atomic():
            function = _claim(job, job.in_web, now)
        if function is not None:
            function()
            done.append(job.name)
    return done


_next_web_check = 0.0


def after_request(**_kwargs: Any) -> None:
    """``request_finished``: ``run_in_web`` at most once every ``CTIP_WEB_JOBS_SECONDS`` in this
    process (0: never). A failure is logged, never shown to anyone."""
    global _next_web_check  # noqa: PLW0603 (a per-process clock)
    every = settings.CTIP_WEB_JOBS_SECONDS
    if not every or time.monotonic() < _next_web_check:
        return
    _next_web_check = time.monotonic() + every
    try:
        names = run_in_web()
        if names:
            logger.info("ran in the web process: %s", ", ".join(names))
    except Exception:  # the answer has gone; the next check tries again  # noqa: BLE001
        logger.exception("web process jobs failed")


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
