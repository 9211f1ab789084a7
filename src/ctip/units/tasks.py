"""A restructuring confirmed by an officer, run by ``ctip worker`` (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from ctip.units import jobs  # which imports this module: the module, not its names


@task()
def run_restructuring(job_id: int) -> str:
    """A move, merger or split queued from its page (``ctip.units.jobs.run``)."""
    return jobs.run(job_id)
