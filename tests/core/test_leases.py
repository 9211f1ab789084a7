"""Leases of running tasks (``ctip.core.leases``, decision 0028), in process: a task whose
lease expired is queued again until its last attempt, then marked failed with its give-up hook
run; a live lease is left alone; two reapers never both act. The real worker killed with
SIGKILL is in ``test_task_kills.py``."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ctip.core import leases
from ctip.core.models import TaskLease

pytestmark = pytest.mark.django_db
PDF_TASK = "ctip.reports.tasks.build_report_pdf"


def _running(path: str, args: list[Any], *, started_ago: float,
             attempt: int | None, beat_ago: float | None = None) -> DBTaskResult:
    now = timezone.now()
    result = DBTaskResult.objects.create(
        id=uuid.uuid4(), status="RUNNING", args_kwargs={"args": args, "kwargs": {}},
        task_path=path, backend_name="default", run_after=now,
        started_at=now - dt.timedelta(seconds=started_ago), worker_ids=["dead"])
    if attempt is not None:
        TaskLease.objects.create(
            task_id=result.pk, worker_id="dead", attempt=attempt,
            heartbeat_at=now - dt.timedelta(seconds=beat_ago if beat_ago is not None
                                            else started_ago))
    return result


def test_an_expired_lease_is_queued_again_then_failed_after_the_last_attempt(
        settings: Any, tree: Any) -> None:
    from ctip.reports import actions
    from ctip.reports.models import Export, ReportType

    settings.CTIP_TASK_LEASE_SECONDS = 10
    settings.CTIP_TASK_ATTEMPTS = 2
    report = actions.create_or_get_draft(
        actor=None, unit=tree.commune_a, report_type=ReportType.objects.get(code="monthly"),
        start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 31))
    export = Export.objects.create(report=report, status=Export.Status.RUNNING, progress=40)
    result = _running(PDF_TASK, [export.pk], started_ago=30, attempt=1)

    assert leases.reap() == {"requeued": 1, "failed": 0}
    result.refresh_from_db()
    assert result.status == "READY" and result.started_at is None
    assert leases.reap() == {"requeued": 0, "failed": 0}  # nothing running any more

    # the second attempt's worker dies too: the last attempt, so it fails, and says so
    now = timezone.now()
    DBTaskResult.objects.filter(pk=result.pk).update(
        status="RUNNING", started_at=now - dt.timedelta(seconds=30))
    TaskLease.objects.filter(task_id=result.pk).update(
        attempt=2, heartbeat_at=now - dt.timedelta(seconds=30))
    assert leases.reap() == {"requeued": 0, "failed": 1}
    result.refresh_from_db()
    assert result.status == "FAILED" and result.finished_at is not None
    assert result.exception_class_path == "ctip.core.leases.LeaseExpiredError"
    assert not TaskLease.objects.filter(task_id=result.pk).exists()
    export.refresh_from_db()
    assert export.status == Export.Status.FAILED
    assert export.error == "Tiến trình chạy nền đã dừng khi đang tạo tệp PDF."
    assert leases.reap() == {"requeued": 0, "failed": 0}


def test_a_live_lease_is_left_alone(settings: Any) -> None:
    settings.CTIP_TASK_LEASE_SECONDS = 10
    # running for long, but its worker renews the lease
    alive = _running("ctip.cases.tasks.send_daily_digest", [], started_ago=300, attempt=1,
                     beat_ago=2)
    # just claimed, no lease taken yet
    fresh = _running("ctip.cases.tasks.send_daily_digest", [], started_ago=1, attempt=None)
    assert leases.reap() == {"requeued": 0, "failed": 0}
    assert leases.expired_count() == 0
    for result in (alive, fresh):
        result.refresh_from_db()
        assert result.status == "RUNNING"


def test_a_claimed_task_without_a_lease_expires_too(settings: Any) -> None:
    settings.CTIP_TASK_LEASE_SECONDS = 10
    result = _running("ctip.cases.tasks.send_daily_digest", [], started_ago=30, attempt=None)
    assert leases.expired_count() == 1
    assert leases.reap() == {"requeued": 1, "failed": 0}
    result.refresh_from_db()
    assert result.status == "READY"


def test_take_counts_attempts_and_release_forgets(settings: Any) -> None:
    task_id = uuid.uuid4()
    assert leases.take(task_id, "w1") == 1
    assert leases.take(task_id, "w2") == 2
    lease = TaskLease.objects.get(task_id=task_id)
    assert lease.worker_id == "w2"
    before = lease.heartbeat_at
    leases.renew(task_id, "w1")  # a worker that lost the lease cannot renew it
    assert TaskLease.objects.get(task_id=task_id).heartbeat_at == before
    leases.renew(task_id, "w2")
    assert TaskLease.objects.get(task_id=task_id).heartbeat_at >= before
    leases.release(task_id, "w1")  # the one thought dead ends: the new holder keeps it
    assert TaskLease.objects.get(task_id=task_id).worker_id == "w2"
    leases.release(task_id, "w2")
    assert not TaskLease.objects.filter(task_id=task_id).exists()
