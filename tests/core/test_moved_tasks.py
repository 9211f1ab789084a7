"""A task queued before its function moved still runs after the upgrade (decision 0053).

The worker imports a queued task by the dotted path stored with it. Moving a task's function
without repointing what is queued leaves an officer's import waiting forever. The migration
``core.0006_queued_tasks_moved`` repoints what has not finished; these tests run it on rows
queued under the old paths and check that the worker can load each one.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from django_tasks.base import Task
from django_tasks_db.models import DBTaskResult, get_date_max

moved = importlib.import_module("ctip.core.migrations.0006_queued_tasks_moved")

pytestmark = pytest.mark.django_db


def queue(path: str, status: str = "READY", **fields: Any) -> DBTaskResult:
    """A row as the database backend stores a task to run as soon as a worker is free."""
    return DBTaskResult.objects.create(
        task_path=path, status=status, args_kwargs={"args": [7], "kwargs": {}},
        backend_name="default", run_after=get_date_max(), exception_class_path="",
        traceback="", **fields)


@pytest.mark.parametrize("old", sorted(moved.MOVED))
def test_a_task_queued_under_its_old_path_is_loaded_from_the_new_one(old: str) -> None:
    waiting, running = queue(old), queue(old, status="RUNNING")

    assert moved.repoint(apps, None) == 2

    for row in (waiting, running):
        row.refresh_from_db()
        assert row.task_path == moved.MOVED[old]
        task = row.task  # what the worker does with the row
        assert isinstance(task, Task)
        assert task.func.__name__ == old.rsplit(".", 1)[1]
        assert row.args_kwargs == {"args": [7], "kwargs": {}}


def test_what_has_finished_keeps_its_history() -> None:
    done = queue("ctip.core.tasks.run_import", status="SUCCESSFUL")
    failed = queue("ctip.core.tasks.scheduled_backup", status="FAILED")

    assert moved.repoint(apps, None) == 0

    for row in (done, failed):
        before = row.task_path
        row.refresh_from_db()
        assert row.task_path == before


def test_no_old_path_is_still_a_task() -> None:
    """An old path that still imports would be a copy, not a move: the map would be wrong."""
    for old in moved.MOVED:
        module, name = old.rsplit(".", 1)
        assert not hasattr(importlib.import_module(module), name), old
