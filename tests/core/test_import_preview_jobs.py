"""The check of a file (the preview) as a task of the worker, on the same job as the import:
its progress page survives a reload, the check is shown when the worker is done, the web
process checks it itself when no worker takes the queue, and a check run twice or given up
says what happened."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.urls import reverse

from ctip.core.models import ImportJob
from ctip.imports import pipeline as imports
from ctip.outreach.models import Activity
from tests.core.test_legacy_import import ACTIVITY_HEADER, MEETING, _xlsx


def _file() -> Any:
    return _xlsx([ACTIVITY_HEADER,
                  ["17/07/2026", "27943", MEETING, "Buổi 1", 2, 1, 3],
                  ["18/07/2026", "27943", MEETING, "Buổi 2", 2, 1, 3]])


@pytest.fixture
def no_worker_yet(monkeypatch: Any) -> list[int]:
    """A queue whose worker has not taken the check yet: what was queued is listed."""
    from ctip.imports import tasks

    queued: list[int] = []

    def enqueue(job_id: int, job_round: int | None = None) -> None:
        queued.append(job_id)

    monkeypatch.setattr(tasks, "run_preview", SimpleNamespace(enqueue=enqueue))
    return queued


def test_the_check_runs_in_the_worker_and_its_page_survives_a_reload(
        tree: Any, users: Any, formats: Any, client_for: Any, no_worker_yet: list[int]) -> None:
    client = client_for(users["commune_officer"])
    url = reverse("outreach:activity_import")
    response = client.post(url, {"file": _file()})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("core:import_job", args=[job.pk])
    assert no_worker_yet == [job.pk] and job.status == ImportJob.Status.PREVIEWING
    for _reload in range(2):  # the page shows the progress, and asks for it again
        page = client.get(reverse("core:import_job", args=[job.pk]))
        body = page.content.decode()
        assert page.status_code == 200 and "<progress" in body
        assert f'{reverse("core:import_job", args=[job.pk])}?poll=1&amp;seen=' in body
        assert 'hx-trigger="every' in body
    # someone else: 404, for the job's page and for its check
    other = client_for(users["province_officer"])
    assert other.get(reverse("core:import_job", args=[job.pk])).status_code == 404
    assert imports.run_preview_job(job.pk) == ImportJob.Status.PREVIEWED  # the worker
    assert other.get(f"{url}?job={job.pk}").status_code == 404
    # the job's page now leads to the check, shown on the import page with "Import"
    asked = client.get(f'{reverse("core:import_job", args=[job.pk])}?poll=1',
                       HTTP_HX_REQUEST="true")  # the waiting page, by htmx: it goes there
    assert asked["HX-Redirect"] == f"{url}?job={job.pk}"
    page = client.get(reverse("core:import_job", args=[job.pk]))
    assert page.status_code == 302 and page["Location"] == f"{url}?job={job.pk}"
    check = client.get(page["Location"])
    assert check.status_code == 200 and check.context["plan"].ok and check.context["token"]
    assert not Activity.objects.exists()  # the check wrote nothing
    done = client.post(url, {"token": check.context["token"], "apply": "1"})
    assert done.status_code == 302 and Activity.objects.count() == 2
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE  # the same job checked, then imported
    assert ImportJob.objects.count() == 1


def test_confirming_before_the_check_is_done_imports_nothing(
        tree: Any, users: Any, formats: Any, client_for: Any, no_worker_yet: list[int]) -> None:
    officer = users["commune_officer"]
    token = imports.stash(officer, "a.xlsx", _file().read())
    job = imports.start_preview(imports.kind("activities"), officer, token=token)
    assert job is not None and job.status == ImportJob.Status.PREVIEWING
    assert imports.start_job(imports.kind("activities"), officer, token) is None
    assert not Activity.objects.exists()


def test_without_a_worker_the_web_process_checks_the_file(
        tree: Any, users: Any, formats: Any, client_for: Any, monkeypatch: Any) -> None:
    from ctip.core import health
    from ctip.imports import tasks

    def refuse(*_args: Any) -> None:
        raise AssertionError("queued although no worker takes the queue")

    monkeypatch.setattr(health, "uses_queue", lambda: True)  # a queue, no heartbeat
    monkeypatch.setattr(tasks, "run_preview", SimpleNamespace(enqueue=refuse))
    page = client_for(users["commune_officer"]).post(reverse("outreach:activity_import"),
                                                     {"file": _file()})
    assert page.status_code == 200 and page.context["plan"].ok and page.context["token"]
    assert ImportJob.objects.get().status == ImportJob.Status.PREVIEWED


def test_a_check_run_twice_checks_once_and_a_given_up_one_says_so(
        tree: Any, users: Any, formats: Any, client_for: Any, no_worker_yet: list[int]) -> None:
    from ctip.core.leases import _GIVE_UP

    officer = users["commune_officer"]
    kind = imports.kind("activities")
    job = imports.start_preview(kind, officer, name="a.xlsx", data=_file().read())
    assert job is not None
    assert imports.run_preview_job(job.pk) == imports.run_preview_job(job.pk) == "previewed"
    plan = imports.preview_of(ImportJob.objects.get(pk=job.pk))
    assert plan is not None and len(plan.rows) == 2
    # the kept check is read only as the server wrote it
    path = imports.pending_dir() / f"{job.stash_key}.plan"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\n ", 1))
    assert imports.preview_of(job) is None

    stuck = imports.start_preview(kind, officer, name="b.xlsx", data=_file().read())
    assert stuck is not None
    _GIVE_UP["ctip.imports.tasks.run_preview"]([stuck.pk], {})
    stuck.refresh_from_db()
    assert stuck.status == ImportJob.Status.FAILED and stuck.message
    page = client_for(officer).get(reverse("core:import_job", args=[stuck.pk]))
    assert stuck.message in page.content.decode()
