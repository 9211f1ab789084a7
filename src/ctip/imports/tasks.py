"""The preview and the import of a spreadsheet, run by ``ctip worker`` (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from ctip.imports import pipeline  # which imports this module: the module, not its names


@task()
def run_import(job_id: int, job_round: int | None = None) -> str:
    """An import confirmed in its preview (``ctip.imports.pipeline.run_job``)."""
    return pipeline.run_job(job_id, job_round)


@task()
def run_preview(job_id: int, job_round: int | None = None) -> str:
    """The check of a file before its import (``ctip.imports.pipeline.run_preview_job``);
    ``job_round``: the round it was queued for (``core.jobstate``; ``None``: queued before
    rounds were kept)."""
    return pipeline.run_preview_job(job_id, job_round)
