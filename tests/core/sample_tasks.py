"""A task for scheduler tests: it counts its runs."""

from django_tasks import task

RUNS: list[str] = []


@task()
def remember_run() -> None:
    RUNS.append("ran")


def remember_run_here() -> None:
    """The same, as a plain function: what a web process runs itself (``Job.in_web``)."""
    RUNS.append("here")
