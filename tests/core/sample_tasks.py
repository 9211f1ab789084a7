"""A task for scheduler tests: it counts its runs."""

from django_tasks import task

RUNS: list[str] = []


@task()
def remember_run() -> None:
    RUNS.append("ran")
