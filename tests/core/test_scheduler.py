from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest

from ctip.core.scheduler import Job, run_due_jobs
from tests.core import sample_tasks

HCM = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
DAILY = Job("test.daily", "tests.core.sample_tasks.remember_run", daily_at=dt.time(7, 0))
EVERY = Job("test.every", "tests.core.sample_tasks.remember_run",
            every=dt.timedelta(minutes=10))


@pytest.fixture(autouse=True)
def _reset() -> None:
    sample_tasks.RUNS.clear()


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=HCM)


@pytest.mark.django_db
def test_daily_job_runs_once_a_day_after_its_local_time(
        django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert run_due_jobs(at(27, 6, 59), [DAILY]) == []
        assert run_due_jobs(at(27, 7, 0), [DAILY]) == ["test.daily"]
        assert run_due_jobs(at(27, 7, 30), [DAILY]) == []  # a restart that day: no repeat
        assert run_due_jobs(at(27, 23, 59), [DAILY]) == []
        assert run_due_jobs(at(28, 7, 1), [DAILY]) == ["test.daily"]
    assert sample_tasks.RUNS == ["ran", "ran"]


@pytest.mark.django_db
def test_interval_job() -> None:
    assert run_due_jobs(at(27, 8, 0), [EVERY]) == ["test.every"]
    assert run_due_jobs(at(27, 8, 9), [EVERY]) == []
    assert run_due_jobs(at(27, 8, 10), [EVERY]) == ["test.every"]


@pytest.mark.django_db
def test_a_missing_task_is_skipped_not_fatal() -> None:
    ghost = Job("test.ghost", "tests.core.sample_tasks.nothing_here", every=dt.timedelta(1))
    assert run_due_jobs(at(27, 8), [ghost, EVERY]) == ["test.every"]


# --- The web process folds the roll-ups when no worker runs -----------------------------------


def _pending_deltas() -> int:
    from ctip.reports.models import ActivityMonth

    return ActivityMonth.objects.filter(delta=True).count()


@pytest.fixture
def web_jobs(settings: Any, monkeypatch: Any) -> None:
    from ctip.core import scheduler

    settings.CTIP_WEB_JOBS_SECONDS = 60
    monkeypatch.setattr(scheduler, "_next_web_check", 0.0)


def test_a_page_served_without_a_worker_folds_the_pending_roll_up_deltas(
        tree: Any, users: Any, formats: Any, client_for: Any, web_jobs: None) -> None:
    from django.urls import reverse

    from ctip.reports import rollups
    from tests.conftest import log_activity

    for day in (3, 4, 5):
        log_activity(tree.branch_a1, formats["meeting"], date=dt.date(2026, 7, day))
    assert _pending_deltas() > 0
    client = client_for(users["commune_officer"])
    assert client.get(reverse("core:home")).status_code == 200
    assert _pending_deltas() == 0
    assert not any(rollups.differences().values())   # folded, nothing lost
    # at most one check a minute per process: the next page does not look again
    log_activity(tree.branch_a1, formats["meeting"], date=dt.date(2026, 7, 6))
    client.get(reverse("core:home"))
    assert _pending_deltas() > 0


def test_a_running_worker_keeps_the_compaction_to_itself(
        tree: Any, users: Any, formats: Any, client_for: Any, web_jobs: None,
        monkeypatch: Any) -> None:
    from django.urls import reverse

    from ctip.core import health
    from tests.conftest import log_activity

    monkeypatch.setattr(health, "uses_queue", lambda: True)
    health.beat()
    log_activity(tree.branch_a1, formats["meeting"], date=dt.date(2026, 7, 3))
    client_for(users["commune_officer"]).get(reverse("core:home"))
    assert _pending_deltas() > 0


@pytest.mark.django_db
def test_a_web_process_and_a_worker_claim_the_same_run_once(monkeypatch: Any) -> None:
    from ctip.core import health, scheduler

    job = Job("test.web", "tests.core.sample_tasks.remember_run",
              every=dt.timedelta(minutes=10), in_web="tests.core.sample_tasks.remember_run_here")
    monkeypatch.setattr(health, "uses_queue", lambda: True)
    now = at(5, 9)
    # no heartbeat at all: the web process runs it; the worker's scheduler then finds it done
    assert scheduler.run_in_web(now=now, jobs=[job]) == ["test.web"]
    assert run_due_jobs(now=now + dt.timedelta(minutes=1), jobs=[job]) == []
    assert scheduler.run_in_web(now=now + dt.timedelta(minutes=2), jobs=[job]) == []
    assert sample_tasks.RUNS == ["here"]
    # a worker alive (a fresh heartbeat): the web process leaves the next run to it
    health.beat(now + dt.timedelta(minutes=20))
    assert scheduler.run_in_web(now=now + dt.timedelta(minutes=21), jobs=[job]) == []
    assert sample_tasks.RUNS == ["here"]
