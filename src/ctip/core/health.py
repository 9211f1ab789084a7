"""Is the background work alive? The worker's heartbeat and the age of the oldest queued task,
for ``/healthz`` and ``ctip check``.

``ctip worker`` records a heartbeat every ``BEAT`` seconds (a ``ScheduledRun`` row named
``worker.heartbeat``), from a thread of its own, whether or not it runs the scheduler.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max

from ctip.core.models import ScheduledRun

logger = logging.getLogger("ctip.worker")
HEARTBEAT = "worker.heartbeat"
BEAT = 30


def beat(now: dt.datetime | None = None) -> None:
    ScheduledRun.objects.update_or_create(name=HEARTBEAT,
                                          defaults={"last_run_at": now or timezone.now()})


def start_heartbeat(stop: threading.Event) -> threading.Thread:
    def loop() -> None:
        while not stop.is_set():
            try:
                close_old_connections()
                beat()
            except Exception:  # a failed beat must not kill the worker  # noqa: BLE001
                logger.exception("worker heartbeat failed")
            stop.wait(BEAT)

    thread = threading.Thread(target=loop, name="ctip-heartbeat", daemon=True)
    thread.start()
    return thread


def worker_running(now: dt.datetime | None = None) -> bool:
    """Whether a worker takes the queued tasks: tasks go through the database queue and a
    worker's heartbeat is recent (``CTIP_HEALTH_WORKER_SECONDS``). Without a queue (the
    tests' immediate backend) tasks run as they are enqueued: ``True`` too."""
    if not uses_queue():
        return True
    beat = (ScheduledRun.objects.filter(name=HEARTBEAT)
            .values_list("last_run_at", flat=True).first())
    limit = dt.timedelta(seconds=settings.CTIP_HEALTH_WORKER_SECONDS)
    return beat is not None and (now or timezone.now()) - beat <= limit


def uses_queue() -> bool:
    """Whether tasks go through the database queue (and so need ``ctip worker``)."""
    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend)


@dataclass(frozen=True)
class Health:
    queue: bool
    worker_age: int | None  # seconds since the last heartbeat; None: never
    queue_age: int | None  # seconds the oldest ready task has waited; None: none waiting

    @property
    def worker_alive(self) -> bool:
        return not self.queue or (self.worker_age is not None
                                  and self.worker_age <= settings.CTIP_HEALTH_WORKER_SECONDS)

    @property
    def queue_moving(self) -> bool:
        return self.queue_age is None or self.queue_age <= settings.CTIP_HEALTH_QUEUE_SECONDS

    @property
    def ok(self) -> bool:
        return self.worker_alive and self.queue_moving


def oldest_waiting(now: dt.datetime) -> dt.datetime | None:
    """Since when the oldest task ready to run has been waiting (a deferred task waits from
    its ``run_after``)."""
    ready = DBTaskResult.objects.ready()
    undeferred = (ready.filter(run_after=get_date_max()).order_by("enqueued_at")
                  .values_list("enqueued_at", flat=True).first())
    deferred = (ready.exclude(run_after=get_date_max()).order_by("run_after")
                .values_list("run_after", flat=True).first())
    candidates = [t for t in (undeferred, deferred) if t is not None and t <= now]
    return min(candidates) if candidates else None


def health(now: dt.datetime | None = None) -> Health:
    now = now or timezone.now()
    queue = uses_queue()
    last = (ScheduledRun.objects.filter(name=HEARTBEAT)
            .values_list("last_run_at", flat=True).first())
    try:
        waiting = oldest_waiting(now)
    except DatabaseError:
        waiting = None
    return Health(queue=queue,
                  worker_age=None if last is None else max(0, int((now - last).total_seconds())),
                  queue_age=None if waiting is None else int((now - waiting).total_seconds()))
