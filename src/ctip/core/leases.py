"""Leases and heartbeats of running tasks: work that finishes or says it failed (decision 0028).

django-tasks' database worker marks a task RUNNING when it claims it and SUCCESSFUL or FAILED
when it returns; a worker killed in between (kill -9, out of memory, power cut) leaves it
RUNNING for ever. ``ctip worker`` therefore runs ``LeasedWorker``, the library's ``Worker``
with ``run_task`` extended (its extension point; nothing of the library is copied or patched):

- before a task runs, the worker takes its **lease** (a ``TaskLease`` row: worker, attempt
  number, heartbeat) and renews the heartbeat every ``lease / 4`` seconds from a thread of
  its own while the task runs; the lease is released when the task returns or raises;
- every worker **reaps** expired leases every few seconds (``reap``): a RUNNING task whose
  heartbeat is older than ``CTIP_TASK_LEASE_SECONDS`` had its worker die under it. It is queued
  again (the same task row, so whoever waits on it keeps waiting on it) until it has been
  tried ``CTIP_TASK_ATTEMPTS`` times, then marked FAILED (``LeaseExpired``), and the task's
  give-up hook (``on_given_up``) records the failure where a page shows it (a PDF export's
  row, for example). Each change is one conditional UPDATE, so two reapers never both act;
- a task that ends FAILED in a living worker (it raised past its own guard, or the worker was
  stopped under it) is given up the same way, at once.

Because a task can run again after a partial run, every task is written to be safe to run
twice (see each ``tasks.py``).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.compat import TaskResultStatus, task_finished  # the worker's own
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from ctip.core import files
from ctip.core.models import TaskLease

logger = logging.getLogger("ctip.worker")

GiveUp = Callable[[list[Any], dict[str, Any]], None]
_GIVE_UP: dict[str, GiveUp] = {}
_running = threading.local()  # the worker running a task in this thread (``worker_id``)


class LeaseExpiredError(Exception):
    """The worker running the task stopped (its lease expired) too many times."""


def lease_seconds() -> float:
    return float(getattr(settings, "CTIP_TASK_LEASE_SECONDS", 60))


def max_attempts() -> int:
    return max(1, int(getattr(settings, "CTIP_TASK_ATTEMPTS", 3)))


def beat_seconds() -> float:
    return max(0.5, lease_seconds() / 4)


def on_given_up(task_path: str) -> Callable[[GiveUp], GiveUp]:
    """Register what to do when the task ``task_path`` is given up after its last lease
    expired: called with the task's args and kwargs, in the transaction that marks it FAILED."""
    def register(function: GiveUp) -> GiveUp:
        _GIVE_UP[task_path] = function
        return function
    return register


@receiver(task_finished)
def _settle_files(sender: Any, **kwargs: Any) -> None:
    """The files a task wrote for rows it did not save are removed (``core.files``)."""
    files.settle()


@receiver(task_finished)
def _failed_task_gives_up(sender: Any, task_result: Any, **kwargs: Any) -> None:
    """A task that ended FAILED (it raised past its own guard: the write of its failure failed
    too, or the worker stopped under it with SIGTERM or Ctrl+C, which the library catches) is
    given up as one whose worker died: its hook records the failure where a page shows it,
    instead of the page waiting for ever. The worker sends this signal itself, outside any
    guard: it must never raise here."""
    try:
        if task_result.status != TaskResultStatus.FAILED:
            return
        holder = getattr(_running, "worker_id", None)
        if holder is not None and TaskLease.objects.filter(task_id=task_result.id).exclude(
                worker_id=holder).exists():
            return  # thought dead, its task was given to another worker, which runs it now
        path = task_result.task.module_path
        import_string(path)  # registers the task module's give-up hook
        hook = _GIVE_UP.get(path)
        if hook is not None:
            hook(list(task_result.args), dict(task_result.kwargs))
    except Exception:
        logger.exception("task %s: its failure could not be recorded",
                         getattr(task_result, "id", "?"))


def take(task_id: Any, worker_id: str) -> int:
    """Take the lease of a task about to run; return its attempt number (1 the first time)."""
    now = timezone.now()
    with transaction.atomic():
        lease = TaskLease.objects.select_for_update().filter(task_id=task_id).first()
        if lease is None:
            TaskLease.objects.create(task_id=task_id, worker_id=worker_id, attempt=1,
                                     heartbeat_at=now)
            return 1
        lease.attempt += 1
        lease.worker_id = worker_id
        lease.heartbeat_at = now
        lease.save(update_fields=["attempt", "worker_id", "heartbeat_at"])
        return lease.attempt


def renew(task_id: Any, worker_id: str) -> None:
    TaskLease.objects.filter(task_id=task_id, worker_id=worker_id).update(
        heartbeat_at=timezone.now())


def release(task_id: Any, worker_id: str) -> None:
    """Give the lease back when the task returns. Only its holder's: a worker thought dead
    that ends after its task was given to another leaves the other's lease, which would
    otherwise look expired and have the task queued a third time while it runs."""
    TaskLease.objects.filter(task_id=task_id, worker_id=worker_id).delete()


def _keep_renewing(task_id: Any, worker_id: str, stop: threading.Event) -> None:
    try:
        while not stop.wait(beat_seconds()):
            try:
                renew(task_id, worker_id)
            except Exception:  # a missed beat must not kill the task  # noqa: BLE001
                logger.exception("lease renewal of task %s failed", task_id)
    finally:
        connection.close()  # this thread's own connection


def _give_up(result: DBTaskResult, attempt: int, now: dt.datetime) -> bool:
    message = (f"{LeaseExpiredError.__module__}.{LeaseExpiredError.__qualname__}: the worker "
               f"running this task stopped {attempt} time(s); given up after "
               f"{max_attempts()} attempt(s)\n")
    with transaction.atomic():
        changed = DBTaskResult.objects.filter(pk=result.pk, status="RUNNING").update(
            status="FAILED", finished_at=now, return_value=None, traceback=message,
            exception_class_path=f"{LeaseExpiredError.__module__}.LeaseExpiredError")
        if not changed:
            return False
        TaskLease.objects.filter(task_id=result.pk).delete()
        try:
            import_string(result.task_path)  # registers the task module's give-up hook
        except ImportError:
            logger.warning("task %s: %s not found", result.pk, result.task_path)
        hook = _GIVE_UP.get(result.task_path)
        if hook is not None:
            hook(list(result.args_kwargs.get("args", [])),
                 dict(result.args_kwargs.get("kwargs", {})))
    return True


def reap(now: dt.datetime | None = None) -> dict[str, int]:
    """Queue again, or fail, every RUNNING task whose lease has expired."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=lease_seconds())
    counts = {"requeued": 0, "failed": 0}
    for result in DBTaskResult.objects.running().filter(started_at__lt=cutoff):
        lease = TaskLease.objects.filter(task_id=result.pk).first()
        if lease is not None and lease.heartbeat_at >= cutoff:
            continue  # alive: its worker is renewing the lease
        attempt = lease.attempt if lease is not None else 1
        if attempt < max_attempts():
            changed = DBTaskResult.objects.filter(
                pk=result.pk, status="RUNNING", started_at=result.started_at,
            ).update(status="READY", started_at=None)
            if changed:
                counts["requeued"] += 1
                logger.warning("task %s (%s): worker stopped during attempt %d; queued again",
                               result.pk, result.task_path, attempt)
        elif _give_up(result, attempt, now):
            counts["failed"] += 1
            logger.error("task %s (%s): worker stopped during attempt %d; marked failed",
                         result.pk, result.task_path, attempt)
    return counts


def expired_count(now: dt.datetime | None = None) -> int:
    """RUNNING tasks whose lease has expired and that no worker has reaped yet."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=lease_seconds())
    fresh = TaskLease.objects.filter(heartbeat_at__gte=cutoff).values("task_id")
    return DBTaskResult.objects.running().filter(started_at__lt=cutoff).exclude(
        pk__in=fresh).count()


def start_reaper(stop: threading.Event) -> threading.Thread:
    def loop() -> None:
        while not stop.is_set():
            try:
                close_old_connections()
                reap()
            except Exception:  # a bad round must not kill the worker  # noqa: BLE001
                logger.exception("reaping expired task leases failed")
            stop.wait(beat_seconds())
        connection.close()

    thread = threading.Thread(target=loop, name="ctip-leases", daemon=True)
    thread.start()
    return thread


class LeasedWorker(Worker):
    """django-tasks' database worker, each task run under a renewed lease."""

    def run_task(self, db_task_result: DBTaskResult) -> None:
        task_id = db_task_result.pk
        attempt = take(task_id, self.worker_id)
        if attempt > 1:
            logger.warning("task %s (%s): attempt %d", task_id, db_task_result.task_path,
                           attempt)
        stop = threading.Event()
        renewer = threading.Thread(target=_keep_renewing, args=(task_id, self.worker_id, stop),
                                   name="ctip-lease", daemon=True)
        renewer.start()
        _running.worker_id = self.worker_id
        try:
            super().run_task(db_task_result)
        finally:
            _running.worker_id = None
            stop.set()
            renewer.join()
            release(task_id, self.worker_id)
