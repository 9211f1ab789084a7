"""Two runs of one background job at once (a worker thought dead has its task given to another
while it still runs; an export taken back from a stalled worker) do its work once, and the one
that ends last never undoes the other: a finished import is not turned into "failed" or back
into "checked", a finished PDF is not removed (``core.jobstate``).

Each test runs the other run inside the first, at the point where the two overlap, so the
interleaving is the same on every run of the test."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from ctip.audit.models import AuditEvent
from ctip.core.models import ImportJob
from ctip.imports import pipeline as imports
from ctip.outreach.models import Activity
from ctip.reports import pdf
from ctip.reports.models import Export, Report
from ctip.reports.tasks import run_export
from tests.core.test_import_pipeline import DIVIDED, _divided_file, _queued_job
from tests.core.test_legacy_import import old_communes as old_communes  # noqa: F401  (fixture)
from tests.reports.own_database import BOTH, TREE, run_on_own_database
from tests.reports.test_export_retry import report as report  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _imported_once(job: ImportJob) -> None:
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.message
    assert job.message == "" and job.result["rows"] == 3
    assert Activity.objects.count() == 3
    assert AuditEvent.objects.filter(action="activity.imported").count() == 1


def test_two_runs_of_an_import_at_once_import_it_once(tree: Any, users: Any, formats: Any,
                                                      old_communes: Any,
                                                      monkeypatch: Any) -> None:
    job = _queued_job(users, _divided_file(), monkeypatch,
                      {DIVIDED: str(old_communes["27964"].pk)})
    seen: list[str] = []

    def the_other_run(point: str) -> None:
        # both runs have read the file; the other one imports it while this one waits
        if point == "import.before_write" and not seen:
            seen.append(point)
            assert imports.run_job(job.pk) == ImportJob.Status.DONE

    applied: list[int] = []
    apply_parsed = imports.apply_parsed

    def counted(*args: Any, **kwargs: Any) -> Any:
        applied.append(1)
        return apply_parsed(*args, **kwargs)

    monkeypatch.setattr(imports, "pause", the_other_run)
    monkeypatch.setattr(imports, "apply_parsed", counted)
    assert imports.run_job(job.pk) == ImportJob.Status.DONE
    assert seen
    _imported_once(job)
    # the second waited for the first and found it done: it did not go through the rows again
    assert len(applied) == 1


def test_a_run_that_finds_the_file_gone_leaves_a_finished_import_done(
        tree: Any, users: Any, formats: Any, old_communes: Any, monkeypatch: Any) -> None:
    job = _queued_job(users, _divided_file(), monkeypatch,
                      {DIVIDED: str(old_communes["27964"].pk)})
    stashed = imports._stashed

    def late(key: str, digest: str) -> bytes | None:
        # this run has marked the job running; the other one finishes it and removes its file
        monkeypatch.setattr(imports, "_stashed", stashed)
        assert imports.run_job(job.pk) == ImportJob.Status.DONE
        return stashed(key, digest)

    monkeypatch.setattr(imports, "_stashed", late)
    assert imports.run_job(job.pk) == ImportJob.Status.DONE
    _imported_once(job)


def test_a_run_that_fails_after_the_other_finished_leaves_the_import_done(
        tree: Any, users: Any, formats: Any, old_communes: Any, monkeypatch: Any) -> None:
    job = _queued_job(users, _divided_file(), monkeypatch,
                      {DIVIDED: str(old_communes["27964"].pk)})
    kept = imports._kept

    def other_then_fail(job_: ImportJob) -> Any:
        monkeypatch.setattr(imports, "_kept", kept)
        assert imports.run_job(job.pk) == ImportJob.Status.DONE
        raise OSError("disk full")

    monkeypatch.setattr(imports, "_kept", other_then_fail)
    assert imports.run_job(job.pk) == ImportJob.Status.DONE
    _imported_once(job)


@pytest.mark.parametrize("ending", ["checked", "failed"])
def test_a_check_that_ends_after_the_import_leaves_the_import_alone(
        tree: Any, users: Any, formats: Any, old_communes: Any, monkeypatch: Any,
        ending: str) -> None:
    from ctip.imports import tasks

    monkeypatch.setattr(tasks, "run_preview", SimpleNamespace(enqueue=lambda *_a: None))
    monkeypatch.setattr(tasks, "run_import", SimpleNamespace(enqueue=lambda *_a: None))
    officer = users["province_officer"]
    upload = _divided_file()
    activities = imports.kind("activities")
    job = imports.start_preview(activities, officer, name=upload.name, data=upload.read(),
                                here=False)
    assert job is not None and job.status == ImportJob.Status.PREVIEWING
    token = job.result["token"]
    plan_parsed = imports.plan_parsed

    def meanwhile(*args: Any, **kwargs: Any) -> Any:
        # while this check runs, the other run of it finishes, she confirms, it is imported
        monkeypatch.setattr(imports, "plan_parsed", plan_parsed)
        assert imports.run_preview_job(job.pk) == ImportJob.Status.PREVIEWED
        started = imports.start_job(activities, officer, token,
                                    imports.Choices({DIVIDED: str(old_communes["27964"].pk)}))
        assert started is not None and started.pk == job.pk
        assert imports.run_job(job.pk) == ImportJob.Status.DONE
        if ending == "failed":
            raise OSError("disk full")
        return plan_parsed(*args, **kwargs)

    monkeypatch.setattr(imports, "plan_parsed", meanwhile)
    assert imports.run_preview_job(job.pk) == ImportJob.Status.DONE
    _imported_once(job)


def _pdfs(export: Export) -> list[str]:
    return sorted(p.name for p in
                  (Path(settings.MEDIA_ROOT) / "exports").rglob(f"*-{export.pk}*.pdf"))


def test_two_builds_of_a_pdf_at_once_keep_one_file(report: Report,  # noqa: F811
                                                   monkeypatch: Any) -> None:
    export = Export.objects.create(report=report)
    render = pdf.render_pdf

    first: dict[str, Any] = {}

    def meanwhile(*args: Any, **kwargs: Any) -> bytes:
        monkeypatch.setattr(pdf, "render_pdf", render)
        other = run_export(export.pk)
        assert other.status == Export.Status.DONE
        first.update(finished_at=other.finished_at, name=str(other.file.name))
        return render(*args, **kwargs)

    monkeypatch.setattr(pdf, "render_pdf", meanwhile)
    run_export(export.pk)
    export.refresh_from_db()
    assert export.status == Export.Status.DONE and export.file
    # the later run found it finished: the finished PDF was neither removed nor written again
    assert (export.finished_at, str(export.file.name)) == (first["finished_at"], first["name"])
    assert export.file.storage.exists(str(export.file.name))
    assert _pdfs(export) == [Path(str(export.file.name)).name]


def test_a_build_failing_after_the_other_finished_keeps_the_pdf(report: Report,  # noqa: F811
                                                                monkeypatch: Any) -> None:
    export = Export.objects.create(report=report)
    render = pdf.render_pdf

    def other_then_fail(*_args: Any, **_kwargs: Any) -> bytes:
        monkeypatch.setattr(pdf, "render_pdf", render)
        assert run_export(export.pk).status == Export.Status.DONE
        raise RuntimeError("out of memory")

    monkeypatch.setattr(pdf, "render_pdf", other_then_fail)
    run_export(export.pk)
    export.refresh_from_db()
    assert export.status == Export.Status.DONE and export.error == ""
    assert export.file.storage.exists(str(export.file.name))
    assert _pdfs(export) == [Path(str(export.file.name)).name]


# --- a job started again on its row: a run of the earlier round changes nothing of it --------


def test_a_check_of_an_earlier_round_leaves_her_new_check_alone(
        tree: Any, users: Any, formats: Any, old_communes: Any, monkeypatch: Any) -> None:
    from ctip.imports import tasks

    queued: list[tuple[int, int]] = []
    monkeypatch.setattr(tasks, "run_preview",
                        SimpleNamespace(enqueue=lambda *args: queued.append(args)))
    officer = users["province_officer"]
    activities = imports.kind("activities")
    upload = _divided_file()
    job = imports.start_preview(activities, officer, name=upload.name, data=upload.read(),
                                here=False)
    assert job is not None
    token = job.result["token"]
    chosen = imports.Choices({DIVIDED: str(old_communes["27964"].pk)})
    plan_parsed = imports.plan_parsed

    def meanwhile(*args: Any, **kwargs: Any) -> Any:
        # this run is thought dead; the other one finishes and she checks again, choosing
        monkeypatch.setattr(imports, "plan_parsed", plan_parsed)
        assert imports.run_preview_job(*queued[0]) == ImportJob.Status.PREVIEWED
        again = imports.start_preview(activities, officer, token=token, choices=chosen,
                                      here=False)
        assert again is not None and again.status == ImportJob.Status.PREVIEWING
        return plan_parsed(*args, **kwargs)  # this run's check: without her choice

    monkeypatch.setattr(imports, "plan_parsed", meanwhile)
    imports.run_preview_job(*queued[0])
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEWING  # her check is still to come
    assert imports.run_preview_job(*queued[0]) == ImportJob.Status.PREVIEWING  # old task
    # the earlier round's task given up now fails nothing of hers, still being checked
    imports._preview_given_up(list(queued[0]), {})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEWING and job.message == ""
    assert queued[1] == (job.pk, job.round)
    assert imports.run_preview_job(*queued[1]) == ImportJob.Status.PREVIEWED
    job.refresh_from_db()
    plan = imports.preview_of(job)
    assert job.choices == chosen.as_dict() and plan is not None
    assert plan.error_rows == [] and not plan.open_ambiguities  # with her choice


def test_a_build_of_an_earlier_round_leaves_the_retried_export_alone(
        report: Report, monkeypatch: Any,  # noqa: F811
        django_capture_on_commit_callbacks: Any) -> None:
    from ctip.reports import tasks

    capture = django_capture_on_commit_callbacks

    export = Export.objects.create(report=report)
    render = pdf.render_pdf
    queued: list[tuple[int, int]] = []
    monkeypatch.setattr(tasks, "build_report_pdf",
                        SimpleNamespace(enqueue=lambda *args: queued.append(args)))

    def stalled_then_fails(*_args: Any, **_kwargs: Any) -> bytes:
        # this build stalled: the page took it back and she asked again; the new build is
        # queued, not started, when this one fails at last
        monkeypatch.setattr(pdf, "render_pdf", render)
        with capture(execute=True):
            assert tasks.retry_export(actor=None, export=export, stalled=True)
        assert queued == [(export.pk, 2)]
        raise RuntimeError("connection lost")

    monkeypatch.setattr(pdf, "render_pdf", stalled_then_fails)
    run_export(export.pk, 1)
    tasks._export_given_up([export.pk, 1], {})  # and the first task given up at last
    export.refresh_from_db()
    assert (export.status, export.error, export.round) == (Export.Status.QUEUED, "", 2)
    assert run_export(export.pk, 1).status == Export.Status.QUEUED  # its task, run again
    assert run_export(*queued[0]).status == Export.Status.DONE
    export.refresh_from_db()
    assert export.file.storage.exists(str(export.file.name))
    assert _pdfs(export) == [Path(str(export.file.name)).name]


# --- a task that fails past its own guard still ends its job -----------------------------------


@pytest.mark.parametrize("task", ["run_preview", "run_import", "build_report_pdf"])
def test_a_task_failing_past_its_guard_ends_its_job(
        task: str, tree: Any, users: Any, formats: Any, old_communes: Any, monkeypatch: Any,
        report: Report, django_capture_on_commit_callbacks: Any) -> None:  # noqa: F811
    """The run raised past its own guard (the write of its failure failed too, the worker
    was stopped under it): the tests' backend runs the task as it is queued, and marks it
    FAILED, as the worker does; the job says so instead of waiting for ever."""
    from ctip.reports import tasks as report_tasks
    from ctip.reports.tasks import request_export

    def broken(*_args: Any) -> str:
        raise SystemExit(1)  # the worker stopping under the run

    officer = users["province_officer"]
    if task == "build_report_pdf":
        monkeypatch.setattr(report_tasks, "run_export", broken)
        with django_capture_on_commit_callbacks(execute=True):
            export = request_export(actor=officer, report=report)
        export.refresh_from_db()
        assert export.status == Export.Status.FAILED and "Tiến trình chạy nền" in export.error
        return
    upload = _divided_file()
    token = imports.stash(officer, upload.name, upload.read())
    activities = imports.kind("activities")
    if task == "run_preview":
        monkeypatch.setattr(imports, "run_preview_job", broken)
        monkeypatch.setattr(imports, "worker_running", lambda: True)
        job = imports.start_preview(activities, officer, token=token)
    else:
        monkeypatch.setattr(imports, "run_job", broken)
        job = imports.start_job(activities, officer, token,
                                imports.Choices({DIVIDED: str(old_communes["27964"].pk)}))
    assert job is not None
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "Tiến trình chạy nền" in job.message
    assert not Activity.objects.exists()


def test_pressing_import_again_does_not_wait_for_the_import(
        tree: Any, users: Any, formats: Any, old_communes: Any, monkeypatch: Any) -> None:
    """The import holds its job's row for its whole length (``still``): the page sent again
    meanwhile, or the file checked again, answers at once without asking for that lock."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ctip.imports import tasks

    monkeypatch.setattr(tasks, "run_import", SimpleNamespace(enqueue=lambda *_a: None))
    officer = users["province_officer"]
    activities = imports.kind("activities")
    upload = _divided_file()
    token = imports.stash(officer, upload.name, upload.read())
    job = imports.start_job(activities, officer, token,
                            imports.Choices({DIVIDED: str(old_communes["27964"].pk)}))
    assert job is not None
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    with CaptureQueriesContext(connection) as queries:
        again = imports.start_job(activities, officer, token)
        checked = imports.start_preview(activities, officer, token=token, here=False)
    assert again is not None and again.pk == job.pk and checked is None
    waiting = [q["sql"] for q in queries.captured_queries
               if "FOR UPDATE" in q["sql"] and "NOWAIT" not in q["sql"]]
    assert not waiting


def test_a_worker_thought_dead_that_fails_leaves_the_job_to_the_one_running_it(
        tree: Any, users: Any, formats: Any, old_communes: Any, monkeypatch: Any) -> None:
    """The worker thought dead ends FAILED (stopped under its run) while the worker its task
    was given to runs it: the failure is not written on the job, which that run finishes.
    Once no other worker holds the task, the same failure is written."""
    import uuid

    from ctip.core import leases
    from ctip.core.models import TaskLease

    job = _queued_job(users, _divided_file(), monkeypatch,
                      {DIVIDED: str(old_communes["27964"].pk)})
    task_id = uuid.uuid4()
    leases.take(task_id, "first")
    leases.take(task_id, "second")  # the reaper gave it to another worker
    failed = SimpleNamespace(
        id=task_id, status="FAILED", args=[job.pk, job.round], kwargs={},
        task=SimpleNamespace(module_path="ctip.imports.tasks.run_import"))
    monkeypatch.setattr(leases._running, "worker_id", "first", raising=False)
    leases._failed_task_gives_up(sender=None, task_result=failed)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED and job.message == ""

    TaskLease.objects.filter(task_id=task_id).update(worker_id="first")  # its own
    leases._failed_task_gives_up(sender=None, task_result=failed)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "Tiến trình chạy nền" in job.message


PRESSED_DURING_AN_IMPORT = TREE + BOTH + r'''
import hashlib
import time

from django.contrib.auth import get_user_model

from ctip.core.models import ImportJob
from ctip.imports import pipeline as imports

officer = get_user_model().objects.create_user(username="canbo", password=None)
token = imports.stash(officer, "a.xlsx", b"PK")
path, _upload = imports.unstash(officer, token)
job = ImportJob.objects.create(stash_key=path.stem, kind="activities", owner=officer,
                               file_name="a.xlsx", digest=hashlib.sha256(b"PK").hexdigest(),
                               status="previewed")
held = threading.Event()
answers = {}


def import_starting():  # its run holds the row (``jobstate.still``) for the whole import
    with transaction.atomic():
        ImportJob.objects.select_for_update().get(pk=job.pk)
        held.set()
        time.sleep(8)


def pressed_again():
    held.wait(10)
    started = time.monotonic()
    again = imports.start_job(imports.kind("activities"), officer, token)
    checked = imports.start_preview(imports.kind("activities"), officer, token=token,
                                    here=False)
    answers.update(seconds=time.monotonic() - started, job=again and again.pk,
                   checked=checked)


errors = both(import_starting, pressed_again)
print("errors:", errors or "none")
print("answered at once:", answers["seconds"] < 4, answers["job"] == job.pk, answers["checked"])
'''


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_pressing_import_as_the_import_starts_answers_at_once(db: Any, tmp_path: Any,
                                                             install_migrated: Any) -> None:
    """The import took its row between the page's look and its lock: the page is refused the
    lock at once (NOWAIT) and answers with the job, instead of waiting for the import."""
    out = run_on_own_database("ctip_import_pressed_again", PRESSED_DURING_AN_IMPORT, tmp_path,
                              install_migrated)
    assert "errors: none" in out, out
    assert "answered at once: True True None" in out, out
