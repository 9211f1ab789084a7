"""Background work of the core app (django-tasks), run by ``ctip worker``.

- ``deliver_mail``: one e-mail, tried again with growing delays when the server fails
  (``ctip.core.mail``).
"""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def deliver_mail(message: dict[str, Any], attempt: int = 1) -> str:
    from ctip.core.mail import deliver

    return deliver(message, attempt)


@task()
def run_import(job_id: int) -> str:
    """An import confirmed in its preview (``ctip.core.imports.run_job``)."""
    from ctip.core.imports import run_job

    return run_job(job_id)


@task()
def run_preview(job_id: int) -> str:
    """The check of a file before its import (``ctip.core.imports.run_preview_job``)."""
    from ctip.core.imports import run_preview_job

    return run_preview_job(job_id)
