"""Tasks queued before decision 0053 moved their functions keep running after the upgrade.

The database backend stores each queued task by the dotted path of its function and imports
that path when a worker picks it up. Decision 0053 moved the import pipeline's tasks to
``ctip.imports.tasks`` and the daily backup to ``ctip.ops.tasks``; a task queued under the old
path would fail to import and never run (an officer's import left "đang chờ"). This migration
points every task not yet finished at its new home. A later move adds its pair to MOVED and
a migration of its own that calls ``repoint``.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

MOVED = {
    "ctip.core.tasks.run_import": "ctip.imports.tasks.run_import",
    "ctip.core.tasks.run_preview": "ctip.imports.tasks.run_preview",
    "ctip.core.tasks.scheduled_backup": "ctip.ops.tasks.scheduled_backup",
}
UNFINISHED = ("READY", "RUNNING")


def repoint(apps: Any, schema_editor: Any, moved: dict[str, str] = MOVED) -> int:
    """Point the unfinished tasks queued under an old path at the new one; the count moved."""
    results = apps.get_model("django_tasks_database", "DBTaskResult").objects
    return sum(results.filter(task_path=old, status__in=UNFINISHED).update(task_path=new)
               for old, new in moved.items())


def forwards(apps: Any, schema_editor: Any) -> None:
    repoint(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_import_job_preview"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
