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
